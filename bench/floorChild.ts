// The floor: a bare Pulumi program that registers the same resources (type, name, parent, provider,
// inputs) as a trustmesh run, under the same mocks, with no trustmesh code. It loads the provider SDKs
// those types come from, as any program registering them would. Usage: floorChild.ts <resourcesFile> <resultFile>
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { readFileSync, writeFileSync } from "node:fs";
import { fakeCallResult, newFakeResource } from "../offline/fakeOutputs";
import "../offline/fakes/index";
import type { FloorFigures, FloorResource } from "./types";
import { activeRuntimeSettings, withOfflineRuntimeSettings } from "../offline/engine";
import { cpuMsSince, runChild } from "./child";

/** The npm module a type token's SDK class lives in, e.g. `azure-native:network:VirtualNetwork` -> `@pulumi/azure-native/network`. */
function sdkModule(type: string): string | undefined {
    const [pkg, mod] = type.split(":");
    if (pkg === "pulumi" || pkg === "trustmesh" || !pkg) return undefined;
    if (pkg === "azure-native" && mod) return `@pulumi/azure-native/${mod}`;
    return `@pulumi/${pkg}`;
}

// Plain subclasses: the SDK's base classes are abstract, and registerOutputs is protected.
class FloorCustom extends pulumi.CustomResource {}
class FloorProvider extends pulumi.ProviderResource {}
class FloorComponent extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        this.registerOutputs({});
    }
}

function register(list: FloorResource[]): void {
    const byUrn = new Map(list.map((r) => [r.urn, r]));
    const created = new Map<string, pulumi.Resource>();
    const ensure = (resource: FloorResource): pulumi.Resource => {
        const existing = created.get(resource.urn);
        if (existing) return existing;
        const parentEntry = resource.parent ? byUrn.get(resource.parent) : undefined;
        const providerEntry = resource.provider ? byUrn.get(resource.provider) : undefined;
        const opts: pulumi.CustomResourceOptions = {};
        if (parentEntry) opts.parent = ensure(parentEntry);
        if (providerEntry) opts.provider = ensure(providerEntry) as pulumi.ProviderResource;
        let made: pulumi.Resource;
        if (resource.type.startsWith("pulumi:providers:")) {
            made = new FloorProvider(resource.type.slice("pulumi:providers:".length), resource.name, resource.inputs, opts);
        } else if (resource.custom) {
            made = new FloorCustom(resource.type, resource.name, resource.inputs, opts);
        } else {
            made = new FloorComponent(resource.type, resource.name, opts);
        }
        created.set(resource.urn, made);
        return made;
    };
    for (const resource of list) ensure(resource);
}

async function main(): Promise<void> {
    const [resourcesFile, resultFile] = process.argv.slice(2);
    const list = JSON.parse(readFileSync(resourcesFile!, "utf8")) as FloorResource[];
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    // Under the offline engine's own runtime settings, so the ratio measures trustmesh's work only.
    const runtime = await withOfflineRuntimeSettings(async () => {
        // Inside the measured window: the plan loads the same provider modules inside its own (the
        // SDKs load their submodules on first use, while the program runs).
        for (const module of new Set(list.map((r) => sdkModule(r.type)).filter((m): m is string => !!m))) {
            try {
                await import(module);
            } catch {
                // A provider SDK that is not installed: the generic CustomResource registers its type anyway.
            }
        }
        await pulumi.runtime.setMocks({ newResource: newFakeResource, call: fakeCallResult }, "trustmesh", "prod", false);
        await pulumi.runtime.runInPulumiStack(async () => {
            register(list);
            return {};
        });
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        return activeRuntimeSettings();
    });
    const figures: FloorFigures = {
        resources: list.length,
        wallMs: performance.now() - started,
        cpuMs: cpuMsSince(cpuStart),
        rssMb: process.resourceUsage().maxRSS / 1024,
        runtime: { execArgv: process.execArgv, ...runtime, nodeVersion: process.version },
    };
    writeFileSync(resultFile!, JSON.stringify(figures));
}

runChild(main);
