import { strict as assert } from "node:assert";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";
const cluster = {
    name: "prod-gke",
    location: "europe-west1",
    removeDefaultNodePool: true,
    initialNodeCount: 1,
    deletionProtection: true,
    privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: false, masterIpv4CidrBlock: "172.16.0.0/28" },
    masterAuthorizedNetworksConfig: { cidrBlocks: [{ displayName: "ops", cidrBlock: "10.10.15.0/28" }] },
    workloadIdentityConfig: { workloadPool: "trustmesh-prod.svc.id.goog" },
    enableShieldedNodes: true,
    datapathProvider: "ADVANCED_DATAPATH",
    releaseChannel: { channel: "REGULAR" },
    binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
    masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
};
const pool = {
    cluster: "prod-gke",
    management: { autoRepair: true, autoUpgrade: true },
    nodeConfig: {
        serviceAccount: "gke-nodes@trustmesh-prod.iam.gserviceaccount.com",
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        metadata: { "disable-legacy-endpoints": "true" },
    },
};
const member = { project: "trustmesh-prod", role: "roles/logging.logWriter", member: "serviceAccount:gke-nodes@trustmesh-prod.iam.gserviceaccount.com" };

describe("policy: GKE", () => {
    policyTable(CLUSTER, cluster, [
        { policy: "gke-private-nodes", path: "privateClusterConfig.enablePrivateNodes", value: false },
        { policy: "gke-authorized-networks", path: "masterAuthorizedNetworksConfig.cidrBlocks.0.cidrBlock", value: "0.0.0.0/0" },
        { policy: "gke-authorized-networks", path: "masterAuthorizedNetworksConfig", value: undefined },
        { policy: "gke-authorized-networks", path: "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", value: true },
        { policy: "gke-workload-identity", path: "workloadIdentityConfig", value: undefined },
        { policy: "gke-shielded-nodes", path: "enableShieldedNodes", value: false },
        { policy: "gke-legacy-abac", path: "enableLegacyAbac", value: true },
        { policy: "gke-client-certificate", path: "masterAuth.clientCertificateConfig.issueClientCertificate", value: true },
        { policy: "gke-network-policy", path: "datapathProvider", value: "LEGACY_DATAPATH" },
        { policy: "gke-release-channel", path: "releaseChannel.channel", value: "UNSPECIFIED" },
        { policy: "gke-kubernetes-alpha", path: "enableKubernetesAlpha", value: true },
        { policy: "gke-deletion-protection", path: "deletionProtection", value: false },
        { policy: "gke-binary-authorization", path: "binaryAuthorization.evaluationMode", value: "DISABLED" },
        // inline node pools of the cluster are judged like NodePool resources
        { policy: "gke-metadata-server", path: "nodePools", value: [{ ...pool, nodeConfig: { ...pool.nodeConfig, workloadMetadataConfig: { mode: "GCE_METADATA" } } }] },
    ]);
    policyTable(POOL, pool, [
        { policy: "gke-metadata-server", path: "nodeConfig.workloadMetadataConfig.mode", value: "GCE_METADATA" },
        { policy: "gke-secure-boot", path: "nodeConfig.shieldedInstanceConfig.enableSecureBoot", value: false },
        { policy: "gke-secure-boot", path: "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring", value: false },
        { policy: "gke-node-auto-repair", path: "management.autoRepair", value: false },
        { policy: "gke-node-auto-upgrade", path: "management.autoUpgrade", value: false },
        { policy: "gke-node-service-account", path: "nodeConfig.serviceAccount", value: "123456789-compute@developer.gserviceaccount.com" },
        { policy: "gke-node-service-account", path: "nodeConfig", value: undefined },
        { policy: "gke-legacy-metadata-endpoints", path: "nodeConfig.metadata.disable-legacy-endpoints", value: "false" },
    ]);
    policyTable("gcp:projects/iAMMember:IAMMember", member, [
        { policy: "gcp-no-primitive-roles", path: "role", value: "roles/editor" },
        { policy: "gcp-no-primitive-roles", path: "role", value: "roles/owner", type: "gcp:projects/iAMBinding:IAMBinding" },
    ]);

    it("keeps deletion protection and Binary Authorization to prod", () => {
        const { binaryAuthorization: _dropped, ...rest } = cluster;
        const lax = { ...rest, deletionProtection: false };
        for (const name of ["gke-deletion-protection", "gke-binary-authorization"]) {
            assert.deepEqual(violationsOf(name, [subject(CLUSTER, lax)], { config: { environment: "dev" } }), [], name);
            assert.equal(violationsOf(name, [subject(CLUSTER, lax)], { config: { environment: "prod" } }).length, 1, name);
        }
    });

    it("never reports a value unknown during preview (present but undefined)", () => {
        const unknownSa = { ...pool, nodeConfig: { ...pool.nodeConfig, serviceAccount: undefined } };
        assert.deepEqual(violationsOf("gke-node-service-account", [subject(POOL, unknownSa)]), []);
        const unknownNodeConfig = { ...pool, nodeConfig: undefined };
        assert.deepEqual(violationsOf("gke-metadata-server", [subject(POOL, unknownNodeConfig)]), []);
        const unknownPrivate = { ...cluster, privateClusterConfig: undefined, masterAuthorizedNetworksConfig: undefined, workloadIdentityConfig: undefined };
        for (const name of ["gke-private-nodes", "gke-authorized-networks", "gke-workload-identity"]) {
            assert.deepEqual(violationsOf(name, [subject(CLUSTER, unknownPrivate)]), [], name);
        }
    });

    nullSafety("gke", [CLUSTER, POOL, "gcp:projects/iAMMember:IAMMember"]);
});
