import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { activeRuntimeSettings, offlineRuntimeSettings, runOffline, type RuntimeSettings } from "../offline/engine";
import { fakeOutputs } from "../offline/fakeOutputs";
import "../offline/fakes/index";

class Holder extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:test:Holder", name, {}, opts);
        this.registerOutputs({});
    }
}

describe("offline engine", () => {
    it("runs the program with short stack traces and no source-map mapping, and restores the process's own settings after", async () => {
        const before = activeRuntimeSettings();
        let during: RuntimeSettings | undefined;
        const run = await runOffline(() => {
            during = activeRuntimeSettings();
            new k8s.core.v1.Namespace("ns", { metadata: { name: "web" } });
            return {};
        }, { stack: "test" });
        assert.deepEqual(during, offlineRuntimeSettings);
        assert.deepEqual(run.runtime, offlineRuntimeSettings);
        assert.deepEqual(activeRuntimeSettings(), before);
    });

    it("records type, name, parent, explicit and implied dependencies, provider, protect", async () => {
        const run = await runOffline(() => {
            const holder = new Holder("holder");
            const provider = new k8s.Provider("gke", { kubeconfig: "{}" }, { parent: holder });
            const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "web" } }, { parent: holder, provider, protect: true });
            const marker = new k8s.core.v1.ConfigMap("marker", { metadata: { name: "marker", namespace: "web" } }, { parent: holder, provider });
            // `ns.metadata.name` implies a dependency on ns; dependsOn adds marker explicitly.
            new k8s.core.v1.ConfigMap("cm", { metadata: { name: "cm", namespace: ns.metadata.name } }, { parent: holder, provider, dependsOn: [marker] });
            return {};
        }, { stack: "test" });
        const byName = new Map(run.resources.map((r) => [r.name, r]));
        const holder = byName.get("holder")!;
        const ns = byName.get("ns")!;
        const cm = byName.get("cm")!;
        assert.equal(holder.type, "trustmesh:test:Holder");
        assert.equal(holder.custom, false);
        assert.equal(ns.parent, holder.urn);
        assert.equal(ns.protect, true);
        assert.equal(cm.protect, false);
        assert.equal(ns.provider, byName.get("gke")!.urn);
        assert.deepEqual(cm.dependencies, [byName.get("marker")!.urn, ns.urn].sort());
        assert.equal(ns.urn, "urn:pulumi:test::trustmesh::trustmesh:test:Holder$kubernetes:core/v1:Namespace::ns");
    });

    it("records no provider on a component the provider builds (yaml/v2:ConfigFile), as the engine's preview does", async () => {
        const run = await runOffline(() => {
            const provider = new k8s.Provider("gke", { kubeconfig: "{}" });
            new k8s.yaml.v2.ConfigFile("operator", { file: "https://example.com/operator.yaml" }, { provider });
            new k8s.core.v1.Namespace("ns", { metadata: { name: "web" } }, { provider });
            return {};
        }, { stack: "test" });
        const byName = new Map(run.resources.map((r) => [r.name, r]));
        assert.equal(byName.get("operator")!.custom, false);
        assert.equal(byName.get("operator")!.provider, undefined);
        assert.equal(byName.get("ns")!.provider, byName.get("gke")!.urn);
    });

    it("makes URNs as the Pulumi engine does: no root-stack prefix, the parent's whole qualified type", async () => {
        const run = await runOffline(() => {
            const outer = new Holder("outer");
            const inner = new Holder("inner", { parent: outer });
            new k8s.core.v1.ConfigMap("deep", { metadata: { name: "deep" } }, { parent: inner });
            return {};
        }, { stack: "test" });
        const urnOf = (name: string) => run.resources.find((r) => r.name === name)!.urn;
        assert.equal(urnOf("outer"), "urn:pulumi:test::trustmesh::trustmesh:test:Holder::outer");
        assert.equal(urnOf("inner"), "urn:pulumi:test::trustmesh::trustmesh:test:Holder$trustmesh:test:Holder::inner");
        assert.equal(urnOf("deep"), "urn:pulumi:test::trustmesh::trustmesh:test:Holder$trustmesh:test:Holder$kubernetes:core/v1:ConfigMap::deep");
    });

    it("writes secrets as [secret] in inputs, keeps them in rawInputs and lists their paths", async () => {
        const run = await runOffline(() => {
            new k8s.core.v1.Secret("db", { metadata: { name: "db" }, stringData: { password: pulumi.secret("hunter2") } });
            new k8s.Provider("aks", { kubeconfig: pulumi.secret("apiVersion: v1") });
            return { kubeconfig: pulumi.secret("apiVersion: v1"), clusterName: "aks" };
        }, { stack: "test" });
        const secret = run.resources.find((r) => r.name === "db")!;
        assert.deepEqual(secret.inputs.stringData, { password: "[secret]" }, "the key stays, the value is redacted");
        assert.deepEqual(secret.secretPaths, ["stringData"]);
        assert.deepEqual(secret.rawInputs.stringData, { password: "hunter2" });
        assert.equal(run.resources.find((r) => r.name === "aks")!.inputs.kubeconfig, "[secret]");
        assert.deepEqual(run.outputs, { kubeconfig: "[secret]", clusterName: "aks" });
        assert.deepEqual(run.secretOutputs, ["kubeconfig"]);
        assert.doesNotMatch(JSON.stringify(run.resources.map((r) => r.inputs)), /hunter2/);
    });

    it("feeds registered fake outputs to dependent resources", async () => {
        const restore = fakeOutputs("kubernetes:core/v1:Service", () => ({ spec: { clusterIP: "10.0.0.10" } }));
        const run = await runOffline(() => {
            const svc = new k8s.core.v1.Service("svc", { metadata: { name: "svc" }, spec: { ports: [{ port: 80 }] } });
            new k8s.core.v1.ConfigMap("ip", { metadata: { name: "ip" }, data: { ip: svc.spec.clusterIP } });
            return {};
        }, { stack: "test" }).finally(restore);
        assert.deepEqual(run.resources.find((r) => r.name === "ip")!.inputs.data, { ip: "10.0.0.10" });
    });

    it("fails a run that performs an invoke no fake answers", async () => {
        await assert.rejects(
            runOffline(async () => {
                await pulumi.runtime.invoke("example:index:getUnregisteredThing", {});
                return {};
            }, { stack: "test" }),
            /no fake answer for invoke "example:index:getUnregisteredThing"/,
        );
    });

    it("refuses a second run while one is in progress", async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const first = runOffline(async () => {
            await gate;
            return {};
        }, { stack: "a" });
        await assert.rejects(runOffline(() => ({}), { stack: "b" }), /already in progress/);
        release();
        await first;
    });
});
