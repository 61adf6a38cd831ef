import { strict as assert } from "node:assert";
import { kubeVirtNamespace, kubeVirtOperatorManifestUrl, kubeVirtVersion } from "../components/kubeVirt";
import { allCrds, pluralOf, type GeneratedCrd, type JsonSchema } from "../e2e/kubernetes/crds";
import { namespacesOfUnrenderedInstalls } from "../e2e/kubernetes/unrenderedInstalls";

/** Paths of schema nodes that break the structural-schema rules the API server enforces on a CRD. */
function structuralProblems(schema: JsonSchema, at = ""): string[] {
    const problems: string[] = [];
    const special = schema["x-kubernetes-int-or-string"] === true || schema["x-kubernetes-preserve-unknown-fields"] === true;
    if (!schema.type && !special) problems.push(`${at || "/"}: no type`);
    if (schema.properties && schema.additionalProperties) problems.push(`${at}: both properties and additionalProperties`);
    if (schema.type === "array" && !schema.items) problems.push(`${at}: array without items`);
    for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) problems.push(...structuralProblems(child, `${at}/${name}`));
    if (schema.items) problems.push(...structuralProblems(schema.items as JsonSchema, `${at}[]`));
    if (typeof schema.additionalProperties === "object") problems.push(...structuralProblems(schema.additionalProperties as JsonSchema, `${at}{}`));
    return problems;
}

function schemaOf(crds: GeneratedCrd[], kind: string, version: string): JsonSchema {
    const crd = crds.find((c) => c.kind === kind)!;
    const v = (crd.crd.spec.versions as Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }>).find((x) => x.name === version)!;
    return v.schema.openAPIV3Schema;
}

function at(schema: JsonSchema, path: string[]): JsonSchema {
    return path.reduce((node, key) => (key === "[]" ? (node.items as JsonSchema) : ((node.properties as Record<string, JsonSchema>)[key])), schema);
}

describe("e2e CRDs generated from the published kubernetes-models declarations", () => {
    let crds: GeneratedCrd[];
    before(() => {
        crds = allCrds();
    });

    it("covers every kind trustmesh renders, with its group's upstream scope", () => {
        const byKind = new Map(crds.map((c) => [`${c.group}/${c.kind}`, c.crd.spec.scope]));
        for (const kind of ["cert-manager.io/Certificate", "networking.istio.io/Gateway", "networking.istio.io/VirtualService", "networking.istio.io/DestinationRule", "networking.istio.io/ServiceEntry", "security.istio.io/PeerAuthentication", "secrets-store.csi.x-k8s.io/SecretProviderClass"]) {
            assert.equal(byKind.get(kind), "Namespaced", kind);
        }
        for (const kind of ["cert-manager.io/ClusterIssuer", "trust.cert-manager.io/Bundle"]) assert.equal(byKind.get(kind), "Cluster", kind);
    });

    it("writes only structural schemas (a type on every node, no properties next to additionalProperties)", () => {
        const problems = crds.flatMap((c) =>
            (c.crd.spec.versions as Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }>).flatMap((v) =>
                structuralProblems(v.schema.openAPIV3Schema).map((p) => `${c.kind} ${v.name} ${p}`),
            ),
        );
        assert.deepEqual(problems, []);
    });

    it("serves every Istio version the package declares, storing the newest stable one", () => {
        const gateway = crds.find((c) => c.kind === "Gateway")!.crd.spec.versions as Array<{ name: string; storage: boolean; served: boolean }>;
        assert.deepEqual(gateway.map((v) => v.name), ["v1", "v1beta1", "v1alpha3"]);
        assert.deepEqual(gateway.filter((v) => v.storage).map((v) => v.name), ["v1"]);
        assert.ok(gateway.every((v) => v.served));
    });

    it("keeps required properties, string enums and int-or-string from the declarations", () => {
        const certificate = schemaOf(crds, "Certificate", "v1");
        assert.deepEqual(at(certificate, ["spec"]).required, ["issuerRef", "secretName"]);
        assert.deepEqual(at(certificate, ["spec", "issuerRef"]).required, ["name"]);
        const gateway = schemaOf(crds, "Gateway", "v1");
        const tlsMode = at(gateway, ["spec", "servers", "[]", "tls", "mode"]);
        assert.equal(tlsMode.type, "string");
        assert.ok((tlsMode.enum as string[]).includes("MUTUAL") && (tlsMode.enum as string[]).includes("ISTIO_MUTUAL"));
        assert.equal(at(gateway, ["status", "observedGeneration"])["x-kubernetes-int-or-string"], true);
        assert.deepEqual(at(gateway, ["spec", "selector"]).additionalProperties, { type: "string" });
    });

    it("gives a kind with status the status subresource, as the upstream CRDs do", () => {
        const certificate = crds.find((c) => c.kind === "Certificate")!.crd.spec.versions as Array<{ subresources?: unknown }>;
        assert.deepEqual(certificate[0].subresources, { status: {} });
    });

    it("installs KubeVirt's kinds namespaced with spec and status unchecked, and says so in their source", () => {
        for (const kind of ["KubeVirt", "VirtualMachine"]) {
            const crd = crds.find((c) => c.group === "kubevirt.io" && c.kind === kind);
            assert.ok(crd, kind);
            assert.equal(crd.crd.spec.scope, "Namespaced");
            assert.equal(crd.crd.metadata.name, `${pluralOf(kind)}.kubevirt.io`);
            const schema = schemaOf(crds, kind, "v1");
            assert.equal(at(schema, ["spec"])["x-kubernetes-preserve-unknown-fields"], true);
            assert.equal(at(schema, ["metadata"]).type, "object");
            assert.match(crd.source, /no published schema/);
        }
        // The report names exactly these as unchecked; every other CRD comes from a package or the driver's types.
        assert.deepEqual(crds.filter((c) => /unchecked/.test(c.source)).map((c) => `${c.group}/${c.kind}`), ["kubevirt.io/KubeVirt", "kubevirt.io/VirtualMachine"]);
    });

    it("creates for the dry run only the namespaces a known unrendered install creates", () => {
        const files = [kubeVirtOperatorManifestUrl(kubeVirtVersion), "https://example.com/some-operator.yaml"];
        const manifests = [
            { cluster: "gke", object: { metadata: { namespace: kubeVirtNamespace } } },
            { cluster: "aks", object: { metadata: { namespace: "some-operator" } } },
        ];
        assert.deepEqual(namespacesOfUnrenderedInstalls(files, manifests).map((n) => `${n.cluster}/${n.namespace}`), [`gke/${kubeVirtNamespace}`]);
        // Only where the plan uses the namespace: no object in it, nothing to create.
        assert.deepEqual(namespacesOfUnrenderedInstalls(files, manifests.slice(1)), []);
    });

    it("names resources as the upstream CRDs do", () => {
        assert.deepEqual(["Gateway", "ServiceEntry", "ClusterIssuer", "Bundle", "PeerAuthentication", "ProxyConfig"].map(pluralOf), [
            "gateways",
            "serviceentries",
            "clusterissuers",
            "bundles",
            "peerauthentications",
            "proxyconfigs",
        ]);
    });
});
