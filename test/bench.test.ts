import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as gcp from "@pulumi/gcp";
import * as tls from "@pulumi/tls";
import * as azureNetwork from "@pulumi/azure-native/network";
import { floorResources, registerFloor } from "../bench/floorProgram";
import { childArgv, measureSize, runtimeDifferences, spreadOf } from "../bench/run";
import { scaledStackFile } from "../bench/scaledStack";
import { sdkClassOf } from "../bench/sdkClass";
import type { ChildRuntime } from "../bench/types";
import { offlineRuntimeSettings, runOffline } from "../offline/engine";
import { planStackFile } from "../offline/plan";

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

    it("builds each resource with the provider SDK class a program would use for its type", () => {
        assert.equal(sdkClassOf("kubernetes:core/v1:Namespace"), k8s.core.v1.Namespace);
        assert.equal(sdkClassOf("kubernetes:networking.k8s.io/v1:NetworkPolicy"), k8s.networking.v1.NetworkPolicy);
        assert.equal(sdkClassOf("kubernetes:helm.sh/v3:Release"), k8s.helm.v3.Release);
        // A CRD's kind (even in a group whose first label is an SDK module's) goes through CustomResource, as trustmesh's do.
        assert.equal(sdkClassOf("kubernetes:cert-manager.io/v1:Certificate"), k8s.apiextensions.CustomResource);
        assert.equal(sdkClassOf("kubernetes:networking.istio.io/v1:Gateway"), k8s.apiextensions.CustomResource);
        assert.equal(sdkClassOf("gcp:dns/recordSet:RecordSet"), gcp.dns.RecordSet);
        assert.equal(sdkClassOf("tls:index/privateKey:PrivateKey"), tls.PrivateKey);
        assert.equal(sdkClassOf("azure-native:network:VirtualNetwork"), azureNetwork.VirtualNetwork);
        assert.equal(sdkClassOf("trustmesh:index:MeshLink"), undefined);
        assert.equal(sdkClassOf("gcp:compute/noSuchThing:NoSuchThing"), undefined);
    });

    it("registers exactly the resources the plan registered: URN, type, parent, provider, dependencies and inputs", async function () {
        this.timeout(120_000);
        const file = scaledStackFile(1);
        const plan = await planStackFile(file);
        const list = floorResources(plan.run.resources);
        let throughSdkClasses = 0;
        const floor = await runOffline(
            () => {
                throughSdkClasses = registerFloor(list);
                return {};
            },
            { stack: file.stack, config: file.config, secretKeys: file.secretKeys },
        );
        const seen = (r: { urn: string; type: string; parent?: string; provider?: string; custom: boolean; dependencies: string[]; inputs: unknown }) =>
            JSON.stringify([r.urn, r.type, r.parent, r.provider, r.custom, r.dependencies, r.inputs]);
        assert.deepEqual(floorResources(floor.resources).map(seen), list.map(seen));
        // Providers stay generic (their recorded inputs are serialised already); trustmesh's components have no SDK.
        const ofProviderSdks = list.filter((r) => !r.type.startsWith("pulumi:") && !r.type.startsWith("trustmesh:"));
        assert.ok(ofProviderSdks.length > 200, `the stack registers resources of the provider SDKs (${ofProviderSdks.length})`);
        assert.equal(throughSdkClasses, ofProviderSdks.length, "every resource of a provider SDK's type (the remote ConfigFile component too) went through its class");
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
            // One run: its own ratio is the row's, to the rounding of each.
            assert.ok(Math.abs(row.runRatios.cpu.median - row.cpuMs / row.floorCpuMs) < 0.006, `run ratio ${row.runRatios.cpu.median}, row ${row.cpuMs / row.floorCpuMs}`);
            assert.equal(row.runRatios.cpu.min, row.runRatios.cpu.max);
            assert.ok(row.floorThroughSdkClasses > 100 && row.floorThroughSdkClasses < row.resources, `the floor built ${row.floorThroughSdkClasses} of ${row.resources} through SDK classes`);
        } finally {
            rmSync(work, { recursive: true, force: true });
        }
    });
});
