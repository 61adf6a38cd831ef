// One bench run in its own process: plans the prod stack scaled to N links and writes its figures
// and the registered resources (for the floor: graph and redacted inputs) as JSON. Usage: trustmeshChild.ts <n> <resultFile> <resourcesFile>
import { writeFileSync } from "node:fs";
import { programResources } from "../offline/engine";
import { planStackFile } from "../offline/plan";
import { scaledStackFile } from "./scaledStack";
import type { TrustmeshFigures } from "./types";
import { floorResources } from "./floorProgram";
import { cpuMsSince, runChild } from "./child";

async function main(): Promise<void> {
    const [nArg, resultFile, resourcesFile] = process.argv.slice(2);
    const n = Number(nArg);
    const file = scaledStackFile(n);
    const cpuStart = process.cpuUsage();
    const result = await planStackFile(file);
    const cpuMs = cpuMsSince(cpuStart);
    const resources = programResources(result.run.resources);
    const figures: TrustmeshFigures = {
        n,
        resources: resources.length,
        wallMs: result.durationMs,
        cpuMs,
        // Read by the engine while the program ran (offline/engine.ts withOfflineRuntimeSettings).
        runtime: { execArgv: process.execArgv, ...result.run.runtime, nodeVersion: process.version },
        timings: result.timings,
        cpuTimings: result.cpuTimings,
        rssMb: process.resourceUsage().maxRSS / 1024,
        violations: result.violations.length,
        schemaErrors: result.schemaErrors.length,
    };
    writeFileSync(resourcesFile!, JSON.stringify(floorResources(result.run.resources)));
    writeFileSync(resultFile!, JSON.stringify(figures));
}

runChild(main);
