import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { childArgv, measureSize, runtimeDifferences, spreadOf } from "../bench/run";
import type { ChildRuntime } from "../bench/types";
import { offlineRuntimeSettings } from "../offline/engine";

describe("bench: a fair floor", () => {
    it("starts the plan and the floor children with the same Node flags and loader", () => {
        const plan = childArgv("trustmeshChild.ts", ["10", "a.json", "b.json"]);
        const floor = childArgv("floorChild.ts", ["b.json", "c.json"]);
        const flags = (argv: string[]) => argv.slice(0, argv.findIndex((a) => a.endsWith(".ts")));
        assert.deepEqual(flags(plan), flags(floor));
        assert.ok(flags(plan).includes("tsx"), "both load TypeScript through tsx");
    });

    it("refuses a row whose floor ran with other flags, another stack trace limit, other source map settings or another Node", () => {
        const plan: ChildRuntime = { execArgv: ["--import", "tsx"], stackTraceLimit: 4, sourceMaps: false, nodeVersion: "v22.0.0" };
        assert.deepEqual(runtimeDifferences(plan, { ...plan }), []);
        assert.match(runtimeDifferences(plan, { ...plan, stackTraceLimit: 10 }).join(), /stack trace limit differs: plan 4, floor 10/);
        assert.match(runtimeDifferences(plan, { ...plan, sourceMaps: true }).join(), /source maps differ: plan off, floor on/);
        assert.match(runtimeDifferences(plan, { ...plan, execArgv: ["--import", "tsx", "--stack-trace-limit=4"] }).join(), /Node flags differ/);
        assert.match(runtimeDifferences(plan, { ...plan, nodeVersion: "v20.0.0" }).join(), /Node differs/);
    });

    it("reports the median and the spread of several runs", () => {
        assert.deepEqual(spreadOf([30, 10, 20]), { median: 20, min: 10, max: 30 });
        assert.deepEqual(spreadOf([10, 20, 30, 40]), { median: 25, min: 10, max: 40 });
    });

    it("measures both sides for real under the engine's runtime settings, with CPU time beside wall", function () {
        this.timeout(240_000);
        const work = mkdtempSync(path.join(tmpdir(), "bench-test-"));
        try {
            const { row } = measureSize(0, work, 1);
            assert.equal(row.floorSettings.stackTraceLimit, offlineRuntimeSettings.stackTraceLimit);
            assert.equal(row.floorSettings.sourceMaps, offlineRuntimeSettings.sourceMaps);
            assert.ok(row.resources > 100, `the prod stack registers its resources (${row.resources})`);
            for (const key of ["cpuMs", "floorCpuMs", "wallMs", "floorWallMs", "rssMb", "floorRssMb"] as const) assert.ok(row[key] > 0, `${key} measured`);
            assert.equal(row.cpuRatio, Math.round((row.cpuMs / row.floorCpuMs) * 100) / 100);
            assert.ok(row.policyShare > 0 && row.policyShare < 1);
            assert.equal(row.runs, 1);
        } finally {
            rmSync(work, { recursive: true, force: true });
        }
    });
});
