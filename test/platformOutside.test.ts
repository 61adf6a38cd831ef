import { strict as assert } from "node:assert";
import { planStack, type PlanResult } from "../offline/plan";
import { platformCrds } from "../components/requiredCrds";
import { problemsOf, stackConfig, tempStack } from "./helpers/stacks";

describe("platform components installed outside the stack (trustmesh:platform.installedOutside)", () => {
    let outside: PlanResult;
    before(async () => {
        const dir = tempStack("dev", "dev", (config) => {
            config["trustmesh:platform"] = { installedOutside: ["cert-manager", "trust-manager", "reloader", "istio"] };
        });
        outside = await planStack({ stack: "dev", stacksDir: dir });
    });

    it("installs no chart and creates no platform namespace", () => {
        const releases = outside.run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        assert.deepEqual(releases.map((r) => r.name), []);
        const platformNamespaces = outside.manifests.filter((m) => m.kind === "Namespace" && ["cert-manager", "istio-system", "reloader"].includes(m.name));
        assert.deepEqual(platformNamespaces.map((m) => `${m.cluster}/${m.name}`), []);
    });

    it("reads every CRD its own objects use, on each cluster, instead", () => {
        const expected = [...platformCrds.certManager, ...platformCrds.trustManager, ...platformCrds.istio];
        for (const cluster of ["gke", "aks"]) {
            const read = outside.run.reads.filter((r) => r.provider?.endsWith(`::${cluster}`)).map((r) => r.id);
            assert.deepEqual(read.sort(), [...expected].sort(), `CRDs checked on ${cluster}`);
            assert.ok(outside.run.reads.every((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"));
        }
    });

    it("still deploys the stack's own objects: issuers, CA Secret, trust Bundle, STRICT mTLS, gateways", () => {
        const kinds = new Set(outside.manifests.map((m) => `${m.cluster} ${m.kind} ${m.name}`));
        for (const cluster of ["gke", "aks"]) {
            for (const object of ["ClusterIssuer internal-ca", "Secret internal-ca", "Bundle trustmesh-root-ca", "PeerAuthentication default"]) {
                assert.ok(kinds.has(`${cluster} ${object}`), `${cluster} ${object}`);
            }
        }
        assert.ok([...kinds].some((k) => k.startsWith("aks Gateway")) && [...kinds].some((k) => k.startsWith("gke Gateway")));
    });

    it("makes the stack's cert-manager objects wait for the CRD checks on their cluster", () => {
        const gkeIssuers = outside.run.resources.filter((r) => (r.inputs as { kind?: string }).kind === "ClusterIssuer" && r.provider?.endsWith("::gke"));
        assert.ok(gkeIssuers.length >= 2, "the gke ClusterIssuers are registered");
        const checks = platformCrds.certManager.map((crd) => outside.run.reads.find((r) => r.urn.endsWith(`::gke-cert-manager-requires-${crd}`))!.urn);
        for (const issuer of gkeIssuers) {
            for (const check of checks) assert.ok(issuer.dependencies.includes(check), `${issuer.name} waits for ${check.split("::").pop()}`);
        }
    });

    it("refuses a component it does not know, naming the allowed ones", () => {
        const config = stackConfig("dev");
        config.platform = { installedOutside: ["cert-manager", "linkerd"] };
        const problems = problemsOf(config);
        assert.equal(problems.length, 1);
        assert.match(problems[0].key, /^trustmesh:platform\.installedOutside/);
        assert.match(problems[0].message, /cert-manager.*trust-manager.*reloader.*istio/);
    });
});
