import { strict as assert } from "node:assert";
import type { RecordedResource } from "../offline/engine";
import { manifestsOf } from "../offline/manifests";
import type { PlanResult } from "../offline/plan";
import { plannedStack } from "./helpers/plans";

/**
 * A first `pulumi up` applies what has no dependency on each other in parallel. A custom resource
 * applied before its CRD exists, or an object before its namespace, fails the deploy. The engine
 * records each resource's dependencies; depending on a component means waiting for all its children.
 */
function dependencyClosure(resources: RecordedResource[]): (urn: string) => Set<string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    const descendants = (urn: string): string[] => (children.get(urn) ?? []).flatMap((c) => [c, ...descendants(c)]);
    const cache = new Map<string, Set<string>>();
    const closure = (urn: string): Set<string> => {
        const cached = cache.get(urn);
        if (cached) return cached;
        const result = new Set<string>();
        cache.set(urn, result);
        for (const dep of byUrn.get(urn)?.dependencies ?? []) {
            for (const reached of [dep, ...descendants(dep)]) {
                if (result.has(reached)) continue;
                result.add(reached);
                for (const further of closure(reached)) result.add(further);
            }
        }
        return result;
    };
    return closure;
}

/** The chart whose CRDs define an API group. */
function crdChartFor(apiVersion: string): string | undefined {
    const group = apiVersion.split("/")[0]!;
    if (group === "cert-manager.io" || group === "acme.cert-manager.io") return "cert-manager";
    if (group === "trust.cert-manager.io") return "trust-manager";
    if (group.endsWith(".istio.io")) return "base";
    return undefined;
}

describe("deploy ordering", function () {
    this.timeout(300_000);
    let plan: PlanResult;
    before(async () => {
        plan = await plannedStack("prod");
    });

    it("applies every custom resource after the Helm release that installs its CRDs, on the same cluster", () => {
        const closure = dependencyClosure(plan.run.resources);
        const byUrn = new Map(plan.run.resources.map((r) => [r.urn, r]));
        let checked = 0;
        for (const manifest of manifestsOf(plan.run.resources)) {
            const chart = crdChartFor(manifest.apiVersion);
            if (!chart) continue;
            const provider = byUrn.get(manifest.urn)!.provider;
            const waitsFor = [...closure(manifest.urn)].map((urn) => byUrn.get(urn)).filter((r): r is RecordedResource => !!r);
            const release = waitsFor.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.rawInputs.chart === chart && r.provider === provider);
            assert.ok(release, `${manifest.cluster} ${manifest.kind} ${manifest.namespace ?? ""}/${manifest.name} does not wait for the ${chart} chart`);
            checked++;
        }
        assert.ok(checked >= 15, `checked ${checked} custom resources`);
    });

    it("applies every namespaced object after the namespace the program creates for it", () => {
        const closure = dependencyClosure(plan.run.resources);
        const manifests = manifestsOf(plan.run.resources);
        const namespaces = new Map(manifests.filter((m) => m.kind === "Namespace").map((m) => [`${m.cluster}/${m.name}`, m.urn]));
        let checked = 0;
        for (const manifest of manifests) {
            if (!manifest.namespace) continue;
            const namespaceUrn = namespaces.get(`${manifest.cluster}/${manifest.namespace}`);
            if (!namespaceUrn) continue; // a namespace the cluster already has (kube-system)
            assert.ok(closure(manifest.urn).has(namespaceUrn), `${manifest.cluster} ${manifest.kind} ${manifest.namespace}/${manifest.name} does not wait for its namespace`);
            checked++;
        }
        assert.ok(checked >= 50, `checked ${checked} namespaced objects`);
    });

    it("creates every Google Cloud resource after the APIs it needs are enabled", () => {
        const closure = dependencyClosure(plan.run.resources);
        const apis = plan.run.resources.filter((r) => r.type === "gcp:projects/service:Service").map((r) => r.urn);
        assert.ok(apis.length >= 9);
        for (const r of plan.run.resources) {
            if (!r.custom || !r.type.startsWith("gcp:") || r.type === "gcp:projects/service:Service") continue;
            const waits = closure(r.urn);
            assert.ok(apis.some((api) => waits.has(api)), `${r.type} ${r.name} does not wait for the enabled APIs`);
        }
    });
});
