import { strict as assert } from "node:assert";
import { runPolicies } from "../../offline/policyRunner";
import { namespacesNetworkPolicies } from "../../policy/namespacesNetwork";
import { nullSafety, policyTable, subject, violationsOf, withField } from "./harness";

const psa = "pod-security.kubernetes.io/";
const namespace = {
    metadata: { name: "payments", labels: { [`${psa}enforce`]: "restricted", [`${psa}audit`]: "restricted", [`${psa}warn`]: "restricted" } },
};
const denyAll = { metadata: { name: "default-deny", namespace: "payments" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
const allowDns = {
    metadata: { name: "allow-dns", namespace: "payments" },
    spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ port: 53, protocol: "UDP" }] }] },
};
const NS = "kubernetes:core/v1:Namespace";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("policy: namespaces and network", () => {
    policyTable(NS, namespace, [
        { policy: "namespace-pod-security-enforce", path: `metadata.labels[${psa}enforce]`, value: "privileged" },
        { policy: "namespace-pod-security-enforce", path: `metadata.labels[${psa}enforce]`, value: "baseline" },
        { policy: "namespace-pod-security-enforce", path: `metadata.labels[${psa}enforce]`, value: undefined },
        { policy: "namespace-pod-security-audit-warn", path: `metadata.labels[${psa}warn]`, value: "baseline" },
        // stack policy: the namespace with its default-deny policy passes; a policy that allows ingress does not deny
        { policy: "namespace-default-deny", path: "metadata.name", value: "orders", others: [subject(NP, denyAll)] },
    ]);
    policyTable(NP, allowDns, [
        { policy: "network-policy-allow-all", path: "spec.egress.0", value: {} },
        { policy: "network-policy-allow-all", path: "spec.egress.0", value: { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] } },
    ]);

    it("accepts baseline with a reason annotation", () => {
        const baseline = withField(withField(namespace, `metadata.labels[${psa}enforce]`, "baseline"), "metadata.annotations", { "trustmesh.io/baseline-reason": "KubeVirt launcher" });
        assert.deepEqual(violationsOf("namespace-pod-security-enforce", [subject(NS, baseline)]), []);
    });

    it("wants both directions denied, possibly by two policies, and per cluster", () => {
        const ingressOnly = withField(denyAll, "spec.policyTypes", ["Ingress"]);
        const egressOnly = withField(withField(denyAll, "spec.policyTypes", ["Egress"]), "metadata.name", "deny-egress");
        assert.match(violationsOf("namespace-default-deny", [subject(NS, namespace), subject(NP, ingressOnly)])[0]!.message, /Egress/);
        assert.deepEqual(violationsOf("namespace-default-deny", [subject(NS, namespace), subject(NP, ingressOnly), subject(NP, egressOnly)]), []);
        // a NetworkPolicy in another cluster's "payments" does not cover this one
        const found = violationsOf("namespace-default-deny", [subject(NS, namespace, { provider: "urn:a::gke::id" }), subject(NP, denyAll, { provider: "urn:a::aks::id" })]);
        assert.equal(found.length, 1);
        // system namespaces are not judged
        assert.deepEqual(violationsOf("namespace-default-deny", [subject(NS, withField(namespace, "metadata.name", "kube-system"))]), []);
    });

    it("never reports a namespace it cannot see (unknown during preview)", () => {
        const unknownNs = { metadata: { name: "default-deny", namespace: undefined }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
        assert.deepEqual(violationsOf("namespace-default-deny", [subject(NS, namespace), subject(NP, unknownNs)]), []);
        const unknownLabel = { metadata: { name: "payments", labels: { [`${psa}enforce`]: undefined } } };
        assert.deepEqual(violationsOf("namespace-pod-security-enforce", [subject(NS, unknownLabel)]), []);
    });

    it("has the four namespace and network checks", () => {
        assert.deepEqual(runPolicies([subject(NS, namespace), subject(NP, denyAll), subject(NP, allowDns)], { policies: namespacesNetworkPolicies }), []);
    });

    nullSafety("namespaces-network", [NS, NP]);
});
