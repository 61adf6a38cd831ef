import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { stackObjects } from "../e2e/kubernetes/stackObjects";
import { changes } from "../e2e/events";
import { kubernetesOpsByUrn, objectsCarryingPort, portChangeVerdict, refreshChanges, type PortChangeEvidence } from "../e2e/kubernetes/upVerdicts";
import { localClustersEnv, withLocalClusterCallResult, withLocalClusterOutputs } from "../e2e/standins/localClusters";

const gatewayUrn = "urn:pulumi:dev::trustmesh::trustmesh:index:MeshLink$trustmesh:index:MtlsServer$kubernetes:networking.istio.io/v1:Gateway::mesh-mysql-server-gateway";
const event = (urn: string, type: string, op: string) => JSON.stringify({ resourcePreEvent: { metadata: { urn, type, op } } });

describe("e2e up of the Kubernetes layer: verdicts", () => {
    it("counts updates, creates and deletes as changes, never the CRD reads every up makes", () => {
        assert.equal(changes({ same: 162, read: 16 }), 0);
        assert.equal(changes({ same: 161, read: 16, update: 1 }), 1);
        assert.equal(changes({ same: 160, replace: 1, create: 1 }), 2);
        assert.equal(changes(undefined), 0);
    });

    const inPlace: PortChangeEvidence = {
        ops: kubernetesOpsByUrn([event(gatewayUrn, "kubernetes:networking.istio.io/v1:Gateway", "update"), event("urn:x::gcp:compute/firewall:Firewall::fw", "gcp:compute/firewall:Firewall", "replace")].join("\n")),
        uidsBefore: { "aks/networking.istio.io/v1/Gateway/istio-system/mysql-ingress": "u1" },
        uidsAfter: { "aks/networking.istio.io/v1/Gateway/istio-system/mysql-ingress": "u1" },
        expectedWithNewPort: ["aks/networking.istio.io/v1/Gateway/istio-system/mysql-ingress"],
        withNewPort: ["aks/networking.istio.io/v1/Gateway/istio-system/mysql-ingress"],
        withOldPort: [],
    };

    it("accepts an update in place (cloud stand-in steps are not Kubernetes objects)", () => {
        const verdict = portChangeVerdict(inPlace);
        assert.deepEqual(verdict.problems, []);
        assert.equal(verdict.updateInPlace, true);
        assert.deepEqual(verdict.updated, [gatewayUrn]);
    });

    it("refuses a replace of a Kubernetes object", () => {
        const ops = kubernetesOpsByUrn(["create-replacement", "replace", "delete-replaced"].map((op) => event(gatewayUrn, "kubernetes:networking.istio.io/v1:Gateway", op)).join("\n"));
        const verdict = portChangeVerdict({ ...inPlace, ops });
        assert.equal(verdict.updateInPlace, false);
        assert.match(verdict.notInPlace[0], /create-replacement, replace, delete-replaced/);
    });

    it("refuses an object deleted and created again behind the engine's back (new uid), one left on the old port, one without the new port, and no update at all", () => {
        assert.equal(portChangeVerdict({ ...inPlace, uidsAfter: { "aks/networking.istio.io/v1/Gateway/istio-system/mysql-ingress": "u2" } }).updateInPlace, false);
        assert.equal(portChangeVerdict({ ...inPlace, withOldPort: ["gke/networking.istio.io/v1/ServiceEntry/istio-system/mysql-remote"] }).updateInPlace, false);
        assert.equal(portChangeVerdict({ ...inPlace, withNewPort: [] }).updateInPlace, false);
        assert.equal(portChangeVerdict({ ...inPlace, ops: new Map() }).updateInPlace, false);
    });

    it("tells a refresh's drift in the stack's own resources from changes to the objects it only reads", () => {
        // The shape of `pulumi refresh --event-log` (CLI 3.274.1): one resOutputsEvent per resource, op "update" when its state changed.
        const crd = "urn:pulumi:dev::trustmesh::trustmesh:index:CertManager$kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::gke-cert-manager-requires-certificates.cert-manager.io";
        const namespace = "urn:pulumi:dev::trustmesh::trustmesh:index:NamespaceBaseline$kubernetes:core/v1:Namespace::aks-mysql-namespace";
        const quota = "urn:pulumi:dev::trustmesh::trustmesh:index:NamespaceBaseline$kubernetes:core/v1:ResourceQuota::aks-mysql-quota";
        const event = (urn: string, op: string, diffs?: string[]) => JSON.stringify({ resOutputsEvent: { metadata: { urn, op, type: urn.split("::")[2], detailedDiff: null, ...(diffs ? { diffs } : {}) } } });
        const log = [
            JSON.stringify({ resourcePreEvent: { metadata: { urn: crd, op: "refresh" } } }),
            event(crd, "update"),
            event(namespace, "same"),
            event(quota, "refresh", ["status"]),
            "",
        ].join("\n");
        assert.deepEqual(refreshChanges(log, new Set([crd])), { drifted: [quota], readChanged: [crd] });
        assert.deepEqual(refreshChanges([event(namespace, "same"), event(crd, "update")].join("\n"), new Set([crd])), { drifted: [], readChanged: [crd] });
    });

    it("finds a port in an object's content, not in its metadata or status, and not inside a longer number", () => {
        const objects = {
            a: { spec: { servers: [{ port: { number: 13307 } }] } },
            b: { metadata: { annotations: { x: "13307" } }, status: { port: 13307 } },
            c: { spec: { port: 133070 } },
        };
        assert.deepEqual(objectsCarryingPort(13307, objects), ["a"]);
    });

    it("reads the stack's Kubernetes objects and their cluster from a stack export, leaving out reads and providers", () => {
        const provider = (name: string) => `urn:pulumi:dev::trustmesh::trustmesh:index:GkeCluster$pulumi:providers:kubernetes::${name}::0e3c`;
        const objects = stackObjects({
            resources: [
                { urn: "p", type: "pulumi:providers:kubernetes", custom: true },
                { urn: "ns", type: "kubernetes:core/v1:Namespace", custom: true, provider: provider("gke"), outputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "payments" } } },
                { urn: "crd", type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", custom: true, external: true, provider: provider("gke"), outputs: { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "bundles.trust.cert-manager.io" } } },
                { urn: "gw", type: "kubernetes:networking.istio.io/v1:Gateway", custom: true, provider: provider("aks"), outputs: { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "mysql-ingress", namespace: "istio-system" } } },
            ],
        });
        assert.deepEqual(
            objects.map((o) => [o.urn, o.cluster, o.object.metadata.namespace ?? ""]),
            [
                ["ns", "gke", ""],
                ["gw", "aks", "istio-system"],
            ],
        );
    });
});

describe("e2e STAND-IN cloud answers pointing at the local API servers", () => {
    let dir: string;
    const endpoints = {
        gke: { server: "https://127.0.0.1:40001", endpoint: "127.0.0.1:40001", caCertificateBase64: "R0tFLUNB" },
        aks: { server: "https://127.0.0.1:40002", endpoint: "127.0.0.1:40002", caCertificateBase64: "QUtTLUNB" },
    };
    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "trustmesh-localclusters-"));
        writeFileSync(path.join(dir, "clusters.json"), JSON.stringify(endpoints));
    });
    afterEach(() => delete process.env[localClustersEnv]);
    after(() => rmSync(dir, { recursive: true, force: true }));

    const fakeCluster = { endpoint: "203.0.113.7", controlPlaneEndpointsConfig: { dnsEndpointConfig: { endpoint: "gke-abc.europe-west1.gke.goog", allowExternalTraffic: true } }, masterAuth: { clusterCaCertificate: "fake", clientCertificateConfig: { issueClientCertificate: false } } };

    it("change nothing unless the run names its endpoints file", () => {
        assert.deepEqual(withLocalClusterOutputs("gcp:container/cluster:Cluster", fakeCluster), fakeCluster);
    });

    it("give the GKE cluster the local gke API server as both endpoints, and its CA", () => {
        process.env[localClustersEnv] = path.join(dir, "clusters.json");
        const outs = withLocalClusterOutputs("gcp:container/cluster:Cluster", fakeCluster) as typeof fakeCluster;
        assert.equal(outs.endpoint, "127.0.0.1:40001");
        assert.deepEqual(outs.controlPlaneEndpointsConfig.dnsEndpointConfig, { endpoint: "127.0.0.1:40001", allowExternalTraffic: true });
        assert.deepEqual(outs.masterAuth, { clusterCaCertificate: "R0tFLUNB", clientCertificateConfig: { issueClientCertificate: false } });
        assert.deepEqual(withLocalClusterOutputs("gcp:container/nodePool:NodePool", { name: "apps" }), { name: "apps" });
    });

    it("give the AKS user kubeconfig the local aks API server and CA, keeping its user", () => {
        process.env[localClustersEnv] = path.join(dir, "clusters.json");
        const kubeconfig = { clusters: [{ name: "aks-dev", cluster: { server: "https://aks-dev.hcp.westeurope.azmk8s.io:443", "certificate-authority-data": "ZmFrZQ==" } }], users: [{ name: "u", user: { exec: { command: "kubelogin" } } }] };
        const result = withLocalClusterCallResult("azure-native:containerservice:listManagedClusterUserCredentials", { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(stringify(kubeconfig)).toString("base64") }] });
        const written = parse(Buffer.from((result.kubeconfigs as Array<{ value: string }>)[0].value, "base64").toString("utf8"));
        assert.deepEqual(written.clusters[0].cluster, { server: "https://127.0.0.1:40002", "certificate-authority-data": "QUtTLUNB" });
        assert.deepEqual(written.users, kubeconfig.users);
    });
});
