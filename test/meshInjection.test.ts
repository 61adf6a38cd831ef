import { strict as assert } from "node:assert";
import { istiodValues } from "../components/istio";
import { managedNamespaceLabels } from "../components/namespaceBaseline";
import { policySubjects, type PlanResult } from "../offline/plan";
import { runPolicies, type PolicySubject } from "../offline/policyRunner";
import { policyNamed } from "../policy/registry";
import { plannedStack } from "./helpers/plans";
import { subject } from "./policy/harness";

/** Issue 19, findings 1, 4 and 5: gateways and sidecar workloads get their proxy, on the first deploy too. */

const run = (name: string, subjects: PolicySubject[]) => runPolicies(subjects, { policies: [policyNamed(name)], config: { environment: "prod" } }).map((v) => v.message);

describe("mesh injection: the prod plan", function () {
    this.timeout(300_000);
    let plan: PlanResult;
    let subjects: PolicySubject[];
    before(async () => {
        plan = await plannedStack("prod");
        subjects = policySubjects(plan.run.resources);
    });

    it("finding 1: istio-system carries no istio-injection label, so the gateway chart's `image: auto` pods are injected", () => {
        const namespaces = plan.manifests.filter((m) => m.kind === "Namespace" && m.name === "istio-system");
        assert.equal(namespaces.length, 2);
        for (const ns of namespaces) assert.ok(!("istio-injection" in ns.object.metadata.labels), `${ns.cluster}: ${JSON.stringify(ns.object.metadata.labels)}`);
        const gateways = plan.run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "gateway");
        assert.equal(gateways.length, 4);
        assert.ok(gateways.every((g) => (g.inputs as any).namespace === "istio-system"));
        assert.deepEqual(run("mesh-injection-not-disabled", subjects), []);
    });

    it("breaks on purpose: istio-system labelled disabled fails naming every gateway release", () => {
        const changed = structuredClone(subjects);
        for (const s of changed.filter((x) => x.type === "kubernetes:core/v1:Namespace" && x.props.metadata.name === "istio-system")) s.props.metadata.labels["istio-injection"] = "disabled";
        const messages = run("mesh-injection-not-disabled", changed);
        for (const release of ["istio-ingressgateway", "istio-egressgateway"]) {
            assert.equal(messages.filter((m) => m.startsWith(`Istio gateway release "${release}" runs in namespace istio-system, which is labelled istio-injection: disabled`)).length, 2, release);
        }
    });

    it("finding 4: the MySQL server asks for its sidecar, holds until the proxy is up, and waits for istiod", () => {
        const deployment = plan.manifests.find((m) => m.kind === "Deployment" && m.name === "mysql")!.object;
        assert.equal(deployment.spec.template.metadata.labels["sidecar.istio.io/inject"], "true");
        assert.deepEqual(JSON.parse(deployment.spec.template.metadata.annotations["proxy.istio.io/config"]), { holdApplicationUntilProxyStarts: true });
        const resource = plan.run.resources.find((r) => r.name === "aks-mysql-example-deployment")!;
        assert.ok(resource.dependencies.some((u) => u.endsWith("::aks-istio-istiod")), "the Deployment does not wait for istiod");
        assert.ok(resource.dependencies.some((u) => u.endsWith("::aks-istio-cni")), "the Deployment does not wait for the CNI");
        assert.deepEqual(run("mesh-sidecar-waits-for-istiod", subjects), []);
    });

    it("breaks on purpose: the MySQL Deployment without its Istio dependencies fails naming it", () => {
        const changed = structuredClone(subjects);
        // As before the fix: the example (Deployment, Secret, Service) waited for the cluster and its namespace only.
        for (const s of changed.filter((x) => x.name.startsWith("aks-mysql-example-"))) s.dependencies = s.dependencies!.filter((u) => !u.includes("::aks-istio-"));
        const messages = run("mesh-sidecar-waits-for-istiod", changed);
        assert.equal(messages.length, 1);
        assert.match(messages[0]!, /^Deployment "mysql" \(sidecar.istio.io\/inject: "true"\) is injected with an Istio proxy but does not wait for istiod \("aks-istio-istiod"\)/);
    });

    it("breaks on purpose: a gateway release that does not wait for istiod fails", () => {
        const changed = structuredClone(subjects);
        const gateway = changed.find((s) => s.name === "gke-istio-ingress-gateway")!;
        gateway.dependencies = gateway.dependencies!.filter((u) => !u.includes("::gke-istio-istiod") && !u.includes("::gke-istio-base"));
        assert.match(run("mesh-sidecar-waits-for-istiod", changed).join("\n"), /Istio gateway release "istio-ingressgateway" is injected with an Istio proxy but does not wait for istiod/);
    });

    it("finding 5: istiod gives every injected container a RuntimeDefault seccomp profile, with the CNI instead of istio-init", () => {
        const values = istiodValues({ version: "1.28.1" }) as any;
        assert.deepEqual(values.global.proxy.seccompProfile, { type: "RuntimeDefault" });
        assert.equal(values.pilot.cni.enabled, true);
        // What the releases really get, merged with the CA values (istio-csr's caAddress also lives under global).
        for (const istiod of plan.run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "istiod")) {
            assert.deepEqual((istiod.inputs as any).values.global.proxy.seccompProfile, { type: "RuntimeDefault" }, istiod.name);
        }
        assert.deepEqual(run("mesh-injected-proxy-restricted", subjects), []);
    });
});

describe("mesh injection: policies on plain manifests and small stacks", () => {
    const namespace = (name: string, labels: Record<string, string>) => subject("kubernetes:core/v1:Namespace", { metadata: { name, labels } });
    const deployment = (ns: string, podLabels: Record<string, string>, image = "registry.k8s.io/app:1", podSecurityContext: Record<string, any> = {}) =>
        subject("kubernetes:apps/v1:Deployment", {
            metadata: { name: "app", namespace: ns },
            spec: { template: { metadata: { labels: podLabels }, spec: { securityContext: podSecurityContext, containers: [{ name: "app", image }] } } },
        });
    const istiod = (values: Record<string, any>) => subject("kubernetes:helm.sh/v3:Release", { chart: "istiod", name: "istiod", namespace: "istio-system", values });
    const restricted = { "pod-security.kubernetes.io/enforce": "restricted" };

    it("a gateway rendered by `helm template` (image: auto) in a namespace labelled disabled fails", () => {
        assert.match(run("mesh-injection-not-disabled", [namespace("gw", { "istio-injection": "disabled" }), deployment("gw", { istio: "ingressgateway" }, "auto")]).join(), /image: auto, a gateway filled in by injection/);
        assert.deepEqual(run("mesh-injection-not-disabled", [namespace("gw", {}), deployment("gw", { istio: "ingressgateway" }, "auto")]), []);
    });

    it("a workload that asks for a sidecar in a namespace labelled disabled fails; without the label it passes", () => {
        assert.equal(run("mesh-injection-not-disabled", [namespace("apps", { "istio-injection": "disabled" }), deployment("apps", { "sidecar.istio.io/inject": "true" })]).length, 1);
        assert.deepEqual(run("mesh-injection-not-disabled", [namespace("apps", {}), deployment("apps", { "sidecar.istio.io/inject": "true" })]), []);
    });

    it("a Gateway route to a backend in a namespace labelled disabled fails", () => {
        const vs = subject("kubernetes:networking.istio.io/v1:VirtualService", {
            metadata: { name: "db", namespace: "istio-system" },
            spec: { hosts: ["db.example.com"], gateways: ["db-ingress"], tcp: [{ route: [{ destination: { host: "db.data.svc.cluster.local", port: { number: 3306 } } }] }] },
        });
        assert.match(run("mesh-injection-not-disabled", [namespace("data", { "istio-injection": "disabled" }), vs]).join(), /routes a Gateway to db.data.svc.cluster.local, whose namespace data is labelled istio-injection: disabled/);
        assert.deepEqual(run("mesh-injection-not-disabled", [namespace("data", { "istio-injection": "enabled" }), vs]), []);
    });

    it("waiting for istiod: workloads of an enabled namespace must, opted-out ones need not; no istiod release, nothing to judge", () => {
        const control = istiod({});
        const app = deployment("apps", {});
        assert.equal(run("mesh-sidecar-waits-for-istiod", [control, namespace("apps", { "istio-injection": "enabled" }), app]).length, 1);
        assert.deepEqual(run("mesh-sidecar-waits-for-istiod", [control, namespace("apps", { "istio-injection": "enabled" }), { ...app, dependencies: [control.urn] }]), []);
        assert.deepEqual(run("mesh-sidecar-waits-for-istiod", [control, namespace("apps", { "istio-injection": "enabled" }), deployment("apps", { "sidecar.istio.io/inject": "false" })]), []);
        assert.deepEqual(run("mesh-sidecar-waits-for-istiod", [namespace("apps", { "istio-injection": "enabled" }), app]), []);
    });

    it("restricted namespaces: istiod without a proxy seccomp profile fails for pods that set none, and without the CNI for every pod", () => {
        const ns = namespace("apps", { "istio-injection": "enabled", ...restricted });
        const bare = deployment("apps", {});
        const withProfile = deployment("apps", {}, "registry.k8s.io/app:1", { seccompProfile: { type: "RuntimeDefault" } });
        const hardened = { global: { proxy: { seccompProfile: { type: "RuntimeDefault" } } }, pilot: { cni: { enabled: true } } };
        assert.match(run("mesh-injected-proxy-restricted", [istiod({ pilot: { cni: { enabled: true } } }), ns, bare]).join(), /global.proxy.seccompProfile is not RuntimeDefault/);
        assert.deepEqual(run("mesh-injected-proxy-restricted", [istiod({ pilot: { cni: { enabled: true } } }), ns, withProfile]), []);
        assert.match(run("mesh-injected-proxy-restricted", [istiod({ global: hardened.global }), ns, withProfile]).join(), /pilot.cni.enabled is off/);
        assert.deepEqual(run("mesh-injected-proxy-restricted", [istiod(hardened), ns, bare]), []);
        assert.deepEqual(run("mesh-injected-proxy-restricted", [istiod({}), namespace("apps", { "istio-injection": "disabled", ...restricted }), bare]), []);
    });

    it("namespace labels: the injection label is written for enabled and disabled, and left out for per-pod", () => {
        assert.equal(managedNamespaceLabels("restricted", "enabled")["istio-injection"], "enabled");
        assert.equal(managedNamespaceLabels("restricted", "disabled")["istio-injection"], "disabled");
        assert.ok(!("istio-injection" in managedNamespaceLabels("baseline", "per-pod")));
    });
});
