// The floor: a bare Pulumi program that registers the same resources (type, name, parent, provider,
// dependencies, inputs) as a trustmesh run, under the same mocks, with no trustmesh code. It builds each
// resource with the provider SDK class any program would use for its type (bench/sdkClass.ts), so the
// classes' own work counts on both sides. Usage: floorChild.ts <resourcesFile> <resultFile>
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { readFileSync, writeFileSync } from "node:fs";
import { fakeCallResult, newFakeResource } from "../offline/fakeOutputs";
import "../offline/fakes/index";
import type { FloorFigures, FloorResource } from "./types";
import { activeRuntimeSettings, withOfflineRuntimeSettings } from "../offline/engine";
import { cpuMsSince, runChild } from "./child";
import { registerFloor } from "./floorProgram";

async function main(): Promise<void> {
    const [resourcesFile, resultFile] = process.argv.slice(2);
    const list = JSON.parse(readFileSync(resourcesFile!, "utf8")) as FloorResource[];
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    // Under the offline engine's own runtime settings, so the ratio measures trustmesh's work only.
    const runtime = await withOfflineRuntimeSettings(async () => {
        await pulumi.runtime.setMocks({ newResource: newFakeResource, call: fakeCallResult }, "trustmesh", "prod", false);
        // registerFloor loads each provider SDK module on first use, inside this measured window, as the
        // plan loads them inside its own (the SDKs load their submodules while the program runs).
        let throughSdkClasses = 0;
        await pulumi.runtime.runInPulumiStack(async () => {
            throughSdkClasses = registerFloor(list);
            return {};
        });
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        return { ...activeRuntimeSettings(), throughSdkClasses };
    });
    const figures: FloorFigures = {
        resources: list.length,
        throughSdkClasses: runtime.throughSdkClasses,
        wallMs: performance.now() - started,
        cpuMs: cpuMsSince(cpuStart),
        rssMb: process.resourceUsage().maxRSS / 1024,
        runtime: { execArgv: process.execArgv, stackTraceLimit: runtime.stackTraceLimit, sourceMaps: runtime.sourceMaps, nodeVersion: process.version },
    };
    writeFileSync(resultFile!, JSON.stringify(figures));
}

runChild(main);
