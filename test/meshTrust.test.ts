// One root of trust for both meshes (issue 15): workload certificates from the environment's CA through
// istio-csr, distinct trust domains, and the config rules around them.
import { strict as assert } from "node:assert";
import { istioCsrValues, validateIstioCsrArgs } from "../components/istioCsr";
import { validateMtlsServerArgs } from "../components/mtlsServer";
import { istiodCaValues, istioNetworkPolicySpecs, mergeValues, istiodValues } from "../components/istio";
import type { RecordedResource } from "../offline/engine";
import { policySubjects, type PlanResult } from "../offline/plan";
import { summaryLines } from "../offline/cli/plan";
import { pemCertificates } from "../policy/pki";
import { parseEnvironmentConfig } from "../stacks/config";
import type { PolicySubject } from "../offline/policyRunner";
import { allPolicies } from "../policy/registry";
import { violationsOf, withField } from "./policy/harness";
import { plannedStack, prodWithRotation } from "./helpers/plans";
import { problemsOf, stackConfig } from "./helpers/stacks";

const stacks = ["dev", "staging", "prod"] as const;
const clusters = ["gke", "aks"] as const;

function byName(resources: readonly RecordedResource[], name: string): RecordedResource {
    const found = resources.find((r) => r.name === name);
    assert.ok(found, `no resource ${name} in the plan`);
    return found;
}

describe("mesh trust: workload certificates from the environment's CA", function () {
    this.timeout(120_000);

    for (const stack of stacks) {
        it(`${stack}: on both clusters istio-csr signs with the cluster's intermediate and istiod hands it the CA`, async () => {
            const plan = await plannedStack(stack);
            const domains = new Set<string>();
            for (const cluster of clusters) {
                const csr = byName(plan.run.resources, `${cluster}-istio-istio-csr-release`);
                const values = csr.inputs.values as Record<string, any>;
                assert.equal(csr.inputs.chart, "cert-manager-istio-csr");
                assert.match(String(csr.inputs.version), /^v\d+\.\d+\.\d+$/);
                assert.deepEqual(values.app.certmanager.issuer, { enabled: true, name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
                assert.equal(values.app.tls.rootCAFile, "/var/run/secrets/istio-csr/root-cas.pem");

                // The issuer istio-csr names is the ClusterIssuer over this cluster's intermediate, and istio-csr waits for it.
                const issuer = byName(plan.run.resources, `${cluster}-internal-ca-issuer`);
                assert.equal((issuer.inputs.metadata as any).name, "internal-ca");
                assert.equal(issuer.provider, csr.provider);

                const istiod = byName(plan.run.resources, `${cluster}-istio-istiod`);
                const istiodVals = istiod.inputs.values as Record<string, any>;
                assert.equal(istiodVals.pilot.env.ENABLE_CA_SERVER, "false");
                assert.equal(istiodVals.global.caAddress, "cert-manager-istio-csr.cert-manager.svc:443");
                assert.equal(istiodVals.meshConfig.trustDomain, values.app.tls.trustDomain, "istiod and istio-csr agree on the trust domain");
                assert.ok(istiod.dependencies.includes(csr.urn), "istiod waits for istio-csr (its serving certificate)");
                domains.add(values.app.tls.trustDomain);
                assert.ok(values.app.tls.trustDomain.startsWith(`${cluster}.${stack}.`), `trust domain ${values.app.tls.trustDomain}`);
            }
            assert.equal(domains.size, 2, "distinct trust domains per cluster");
        });
    }

    it("prod: the istio-csr ConfigMap of trust anchors holds the environment root, and two istio-csr replicas", async () => {
        const plan = await plannedStack("prod");
        const root = plan.run.outputs.rootCaCertificate as string;
        for (const cluster of clusters) {
            const anchors = byName(plan.run.resources, `${cluster}-istio-istio-csr-trust-anchors`);
            assert.equal((anchors.inputs.data as Record<string, string>)["root-cas.pem"], root);
            assert.equal((byName(plan.run.resources, `${cluster}-istio-istio-csr-release`).inputs.values as any).replicaCount, 2);
        }
    });

    it("every injected namespace and the egress gateway may reach istio-csr's gRPC port (6443), and istio-csr admits them", async () => {
        const plan = await plannedStack("prod");
        const injected = plan.run.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as any)?.name === "allow-istiod-egress");
        assert.ok(injected.length > 0);
        for (const policy of injected) {
            const rules = (policy.inputs.spec as any).egress as any[];
            assert.ok(rules.some((rule) => rule.ports[0].port === 6443 && rule.to[0].podSelector.matchLabels.app === "cert-manager-istio-csr"), `${policy.name} opens istio-csr`);
        }
        const egress = istioNetworkPolicySpecs({ version: "1.28.1", externalCa: { trustAnchorsPem: "x" } })["egress-gateway"];
        assert.ok((egress.egress as any[]).some((rule: any) => rule.ports?.[0]?.port === 6443));
        assert.ok(!(istioNetworkPolicySpecs({ version: "1.28.1" })["egress-gateway"].egress as any[]).some((rule: any) => rule.ports?.[0]?.port === 6443), "only with istio-csr");
        const allow = byName(plan.run.resources, "gke-istio-istio-csr-allow-proxies");
        assert.deepEqual((allow.inputs.spec as any).ingress, [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 6443 }] }]);
    });

    it("istiod values: the CA overlay keeps the hardened values and only adds the CA and trust domain", () => {
        const args = { version: "1.28.1", trustDomain: "aks.prod.westeurope", externalCa: { trustAnchorsPem: "pem" } };
        const merged = mergeValues(istiodValues(args), istiodCaValues(args)) as any;
        assert.equal(merged.pilot.cni.enabled, true, "pilot.cni kept");
        assert.equal(merged.meshConfig.outboundTrafficPolicy.mode, "REGISTRY_ONLY", "meshConfig kept");
        assert.equal(merged.meshConfig.trustDomain, "aks.prod.westeurope");
        assert.deepEqual(istiodCaValues({ version: "1.28.1" }), { meshConfig: { trustDomain: "cluster.local" } }, "no external CA: istiod's own");
    });

    it("istio-csr refuses a bad trust domain, issuer and duration, all at once", () => {
        const problems = validateIstioCsrArgs({ trustDomain: "Bad Domain", trustAnchorsPem: "x", issuerName: "Internal_CA", maxCertificateDuration: "1 day", replicas: 0 });
        assert.equal(problems.length, 4, problems.join("; "));
        assert.deepEqual(validateIstioCsrArgs({ trustDomain: "gke.dev.europe-west1", trustAnchorsPem: "x" }), []);
        assert.equal((istioCsrValues({ trustDomain: "t", trustAnchorsPem: "x" }) as any).app.server.maxCertificateDuration, "1h");
    });
});

describe("mesh trust: config rules", () => {
    it("MtlsServer refuses a service port or target port in Istio's reserved range, naming the argument", () => {
        const server = { linkName: "mysql", host: "mysql.example.com", service: "mysql", namespace: "mysql", port: 15020, targetPort: 15006, linkPort: 13306 };
        assert.deepEqual(validateMtlsServerArgs(server), [
            "port 15020 is in Istio's reserved range 15000-15090 (the sidecar's own listeners); pick another port",
            "targetPort 15006 is in Istio's reserved range 15000-15090 (the sidecar's own listeners); pick another port",
        ]);
        assert.deepEqual(validateMtlsServerArgs({ ...server, port: 3306, targetPort: 14999 }), []);
        assert.match(validateMtlsServerArgs({ ...server, port: 3306, targetPort: undefined, clientPrincipal: "gke/ns/*/sa/x" }).join(), /clientPrincipal .* without wildcards/);
    });

    it("prod refuses istiod's self-signed CA and the managed control plane, naming the key", () => {
        const values = stackConfig("prod");
        values.mesh.certificateAuthority = "istiod";
        values.gcp.managedMesh = true;
        const problems = problemsOf(values);
        assert.ok(problems.some((p) => p.key === "trustmesh:mesh.certificateAuthority" && /refused in prod/.test(p.message)), JSON.stringify(problems));
        assert.ok(problems.some((p) => p.key === "trustmesh:gcp.managedMesh" && /Google's CA/.test(p.message)), JSON.stringify(problems));
    });

    it("refuses the same trust domain on both clusters, and a malformed one", () => {
        const same = stackConfig("dev");
        same.mesh.trustDomains = { gke: "mesh.example", aks: "mesh.example" };
        assert.ok(problemsOf(same).some((p) => p.key === "trustmesh:mesh.trustDomains" && /its own/.test(p.message)));
        const bad = stackConfig("dev");
        bad.mesh.trustDomains = { gke: "GKE Cluster" };
        assert.ok(problemsOf(bad).some((p) => p.key === "trustmesh:mesh.trustDomains.gke" && /SPIFFE trust domain/.test(p.message)));
    });
});

describe("mesh trust: identity on the link", function () {
    this.timeout(120_000);

    it("prod: the server's ingress gateway admits only the client certificate's identity on the link port", async () => {
        const plan = await plannedStack("prod");
        const clientCert = byName(plan.run.resources, "mesh-mysql-client-certificate-certificate");
        const uris = (clientCert.inputs.spec as any).uris as string[];
        assert.deepEqual(uris, ["spiffe://gke.prod.europe-west1/ns/istio-system/sa/istio-egressgateway"]);
        const gateway = byName(plan.run.resources, "mesh-mysql-server-gateway-authorization");
        assert.ok(gateway.provider?.includes("aks"), "on the server cluster");
        assert.deepEqual(gateway.inputs.spec, {
            selector: { matchLabels: { istio: "ingressgateway" } },
            action: "ALLOW",
            rules: [{ from: [{ source: { principals: ["gke.prod.europe-west1/ns/istio-system/sa/istio-egressgateway"] } }], to: [{ operation: { ports: ["13306"] } }] }],
        });
        const workload = byName(plan.run.resources, "mesh-mysql-server-workload-authorization");
        assert.equal((workload.inputs.metadata as any).namespace, "mysql");
        assert.deepEqual(workload.inputs.spec, {
            action: "DENY",
            rules: [{ from: [{ source: { notPrincipals: ["aks.prod.westeurope/ns/istio-system/sa/istio-ingressgateway"] } }], to: [{ operation: { ports: ["3306"] } }] }],
        });
        const egress = byName(plan.run.resources, "mesh-mysql-client-egress-authorization");
        assert.ok(egress.provider?.includes("gke"), "on the client cluster");
        assert.deepEqual((egress.inputs.spec as any).rules[0].from, [{ source: { principals: ["gke.prod.europe-west1/ns/mysql-client/sa/*"] } }], "only the client namespace's identities");
        assert.deepEqual((egress.inputs.spec as any).rules[0].when, [{ key: "connection.sni", values: ["mysql.mesh.prod.example.com"] }]);
        assert.equal(plan.schemaErrors.length, 0);
        assert.deepEqual(plan.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    });

    it("mesh-link-authorization: fails without the policy, with a wildcard, and with another identity; passes the plan", async () => {
        const plan = await plannedStack("prod");
        const subjects = policySubjects(plan.run.resources as RecordedResource[]);
        const policy = "mesh-link-authorization";
        assert.deepEqual(violationsOf(policy, subjects), []);
        const isGatewayPolicy = (s: PolicySubject) => s.name === "mesh-mysql-server-gateway-authorization";
        const without = violationsOf(policy, subjects.filter((s) => !isGatewayPolicy(s)));
        assert.equal(without.length, 1);
        assert.match(without[0]!.message, /no ALLOW AuthorizationPolicy .* from\.source\.principals \[gke\.prod\.europe-west1\/ns\/istio-system\/sa\/istio-egressgateway\] and to\.operation\.ports \["13306"\]/);
        const withPrincipal = (principal: string) =>
            subjects.map((s) => (isGatewayPolicy(s) ? { ...s, props: withField(s.props, "spec.rules.0.from.0.source.principals", [principal]) } : s));
        assert.match(violationsOf(policy, withPrincipal("gke.prod.europe-west1/ns/istio-system/sa/*")).map((v) => v.message).join("\n"), /is a wildcard/);
        assert.match(violationsOf(policy, withPrincipal("gke.prod.europe-west1/ns/other/sa/default")).map((v) => v.message).join("\n"), /the link's client certificate carries gke\.prod\.europe-west1\/ns\/istio-system\/sa\/istio-egressgateway/);
        const otherPort = subjects.map((s) => (isGatewayPolicy(s) ? { ...s, props: withField(s.props, "spec.rules.0.to.0.operation.ports", ["13307"]) } : s));
        assert.equal(violationsOf(policy, otherPort).length, 1, "a policy for another port does not count");
    });

    it("mesh-external-ca-in-prod: fails an istiod release that keeps its own CA in prod, not in dev", async () => {
        const plan = await plannedStack("prod");
        const subjects = policySubjects(plan.run.resources as RecordedResource[]);
        assert.deepEqual(violationsOf("mesh-external-ca-in-prod", subjects), []);
        const own = subjects.map((s) => (s.name === "aks-istio-istiod" ? { ...s, props: withField(s.props, "values.pilot.env", {}) } : s));
        const found = violationsOf("mesh-external-ca-in-prod", own);
        assert.equal(found.length, 1);
        assert.match(found[0]!.message, /ENABLE_CA_SERVER is unset/);
        assert.deepEqual(violationsOf("mesh-external-ca-in-prod", own, { config: { environment: "dev" } }), []);
    });

    it("pki-trust-bundle-issuing-roots: fails a bundle or mesh trust anchors without the root of an intermediate", async () => {
        const plan = await plannedStack("prod");
        const subjects = policySubjects(plan.run.resources as RecordedResource[]);
        const policy = "pki-trust-bundle-issuing-roots";
        assert.deepEqual(violationsOf(policy, subjects), []);
        const foreign = "-----BEGIN CERTIFICATE-----\nMIIBforeign\n-----END CERTIFICATE-----\n";
        const swapped = subjects.map((s) => {
            if (s.name === "gke-trust-manager-bundle") return { ...s, props: withField(s.props, "spec.sources", [{ inLine: foreign }]) };
            if (s.name === "aks-istio-istio-csr-trust-anchors") return { ...s, props: withField(s.props, "data", { "root-cas.pem": foreign }) };
            return s;
        });
        const found = violationsOf(policy, swapped);
        // Each of the two stores misses the one root that issued both intermediates.
        assert.equal(found.length, 2, found.map((v) => v.message).join("\n"));
        assert.ok(found.some((v) => /trust-manager Bundle "trustmesh-root-ca" is missing the root that issued intermediate (gke|aks)-internal-ca-cert, (gke|aks)-internal-ca-cert/.test(v.message)));
        assert.ok(found.some((v) => /mesh trust anchors ConfigMap "istio-csr-trust-anchors" is missing the root that issued intermediate (gke|aks)-internal-ca-cert, (gke|aks)-internal-ca-cert/.test(v.message)));
    });

    it("the new policies are in the pack's catalogue", () => {
        const names = allPolicies.map((p) => p.name);
        for (const name of ["mesh-external-ca-in-prod", "mesh-link-authorization", "pki-trust-bundle-issuing-roots"]) assert.ok(names.includes(name), name);
    });
});

/** The roots (certificate bodies) a PEM text holds, in order. */
function rootsIn(pem: string): string[] {
    return pemCertificates(pem);
}

describe("mesh trust: root rotation in three phases (prod)", function () {
    this.timeout(300_000);
    const plans = new Map<number, PlanResult>();
    let oldRoot: string;
    let newRoot: string;

    before(async () => {
        for (const [phase, from] of [[1, 0], [2, 1], [3, 2]] as const) plans.set(phase, await prodWithRotation(phase, from));
        const first = plans.get(1)!;
        oldRoot = pemCertificates(first.run.outputs.rootCaCertificate as string)[0]!;
        newRoot = rootsIn(first.run.outputs.trustAnchors as string).find((root) => root !== oldRoot)!;
        assert.ok(oldRoot && newRoot && oldRoot !== newRoot, "two distinct roots");
    });

    const intermediateIssuer = (plan: PlanResult, cluster: string) => pemCertificates(byName(plan.run.resources, `${cluster}-internal-ca-cert`).inputs.caCertPem as string)[0];
    const bundleRoots = (plan: PlanResult, cluster: string) => rootsIn(((byName(plan.run.resources, `${cluster}-trust-manager-bundle`).inputs.spec as any).sources as any[]).map((s) => s.inLine).join(""));
    const meshAnchors = (plan: PlanResult, cluster: string) => rootsIn((byName(plan.run.resources, `${cluster}-istio-istio-csr-trust-anchors`).inputs.data as any)["root-cas.pem"]);

    it("phase 1: both roots in the trust-manager bundle and the mesh trust anchors on both clusters; intermediates still from the old root", () => {
        const plan = plans.get(1)!;
        for (const cluster of clusters) {
            assert.deepEqual(bundleRoots(plan, cluster), [oldRoot, newRoot], `${cluster} bundle`);
            assert.deepEqual(meshAnchors(plan, cluster), [oldRoot, newRoot], `${cluster} mesh trust anchors`);
            assert.equal(intermediateIssuer(plan, cluster), oldRoot);
        }
        assert.equal((plan.run.outputs.pkiRotation as any).phase, 1);
        assert.deepEqual(plan.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
        assert.equal(plan.schemaErrors.length, 0);
    });

    it("phase 2: intermediates re-issued from the new root, both roots still trusted", () => {
        const plan = plans.get(2)!;
        for (const cluster of clusters) {
            assert.equal(intermediateIssuer(plan, cluster), newRoot, `${cluster} intermediate from the new root`);
            assert.deepEqual(bundleRoots(plan, cluster), [oldRoot, newRoot]);
            assert.deepEqual(meshAnchors(plan, cluster), [oldRoot, newRoot]);
        }
        assert.deepEqual(plan.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    });

    it("phase 3: the old root is out of every bundle and trust anchor; the plan says so", () => {
        const plan = plans.get(3)!;
        for (const cluster of clusters) {
            assert.deepEqual(bundleRoots(plan, cluster), [newRoot]);
            assert.deepEqual(meshAnchors(plan, cluster), [newRoot]);
            assert.equal(intermediateIssuer(plan, cluster), newRoot);
        }
        assert.match(summaryLines(plan, "out", 0).join("\n"), /pki root rotation: phase 3 of 3: the current root retired/);
        assert.deepEqual(plan.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    });

    it("a bundle that retired the old root while intermediates still come from it is a mandatory violation", () => {
        // Phase 1's intermediates (old root) with phase 3's bundles (new root only): what a 1 -> 3 jump would leave.
        const phase1 = policySubjects(plans.get(1)!.run.resources as RecordedResource[]);
        const phase3 = new Map(policySubjects(plans.get(3)!.run.resources as RecordedResource[]).map((s) => [s.name, s]));
        const jumped = phase1.map((s) => (/-trust-manager-bundle$|-istio-csr-trust-anchors$/.test(s.name) ? { ...s, props: phase3.get(s.name)!.props } : s));
        const found = violationsOf("pki-trust-bundle-issuing-roots", jumped);
        assert.equal(found.length, 4, found.map((v) => v.message).join("\n"));
    });

    it("prod refuses a phase jump, naming the key; dev allows it", () => {
        const prod = stackConfig("prod");
        prod.pki = { ...(prod.pki ?? {}), nextRoot: { generation: 2 }, rotation: { phase: 3, deployedPhase: 1 } };
        const problems = problemsOf(prod);
        assert.equal(problems.length, 1, JSON.stringify(problems));
        assert.equal(problems[0]!.key, "trustmesh:pki.rotation.phase");
        assert.match(problems[0]!.message, /3 is refused in prod from deployedPhase 1: .*deploy phase 2 first/);
        const back = stackConfig("prod");
        back.pki = { ...(back.pki ?? {}), nextRoot: { generation: 2 }, rotation: { phase: 0 + 1, deployedPhase: 3 } };
        assert.match(problemsOf(back)[0]!.message, /deploy phase 2 first/);
        const dev = stackConfig("dev");
        dev.pki = { ...(dev.pki ?? {}), nextRoot: { generation: 2 }, rotation: { phase: 3, deployedPhase: 1 } };
        assert.doesNotThrow(() => parseEnvironmentConfig(dev));
    });

    it("a next root needs a rotation and the next generation", () => {
        const values = stackConfig("dev");
        values.pki = { ...(values.pki ?? {}), nextRoot: { generation: 3 } };
        const keys = problemsOf(values).map((p) => p.key).sort();
        assert.deepEqual(keys, ["trustmesh:pki.nextRoot.generation", "trustmesh:pki.rotation"]);
    });
});
