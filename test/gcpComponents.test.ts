import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { GcpNetwork, type GcpNetworkArgs } from "../components/gcpNetwork";
import { GcpWorkloadIdentity, type GcpWorkloadIdentityArgs } from "../components/gcpWorkloadIdentity";
import { GkeCluster, type GkeClusterArgs } from "../components/gkeCluster";
import { GkeFleet } from "../components/gkeFleet";
import { GkeNodePool, nodeServiceAccountRoles } from "../components/gkeNodePool";
import { runOffline, type OfflineRun, type RecordedResource } from "../offline/engine";
import { manifestsOf } from "../offline/manifests";
import { validateObject } from "../offline/schemas";
import { readStackFile } from "../offline/stackFile";
import { parseEnvironmentConfig, type EnvironmentConfig } from "../stacks/config";
import { deployGcp, type GcpDeployment } from "../stacks/gcp";
import "../offline/fakes/index";

const networkArgs: GcpNetworkArgs = {
    project: "trustmesh-test",
    region: "europe-west1",
    nodesCidr: "10.10.0.0/20",
    podsCidr: "10.20.0.0/16",
    servicesCidr: "10.30.0.0/20",
    masterCidr: "172.16.0.0/28",
};

const clusterArgs: GkeClusterArgs = {
    project: "trustmesh-test",
    region: "europe-west1",
    clusterName: "test-gke",
    clusterKey: "gke",
    network: "https://www.googleapis.com/compute/v1/projects/trustmesh-test/global/networks/test",
    subnetwork: "https://www.googleapis.com/compute/v1/projects/trustmesh-test/regions/europe-west1/subnetworks/test",
    podsRangeName: "pods",
    servicesRangeName: "services",
    masterCidr: "172.16.0.0/28",
    authorizedNetworks: [{ displayName: "office", cidrBlock: "198.51.100.0/24" }],
};

async function run(program: () => unknown): Promise<OfflineRun> {
    return runOffline(() => {
        program();
        return {};
    }, { stack: "test" });
}

function find(result: OfflineRun, type: string, name?: string): RecordedResource {
    const found = result.resources.find((r) => r.type === type && (name === undefined || r.name === name));
    assert.ok(found, `no ${type}${name ? ` named ${name}` : ""}; got ${result.resources.map((r) => `${r.type}::${r.name}`).join(", ")}`);
    return found;
}

function all(result: OfflineRun, type: string): RecordedResource[] {
    return result.resources.filter((r) => r.type === type);
}

/** Runs a program expected to refuse its input; returns the error and what got registered anyway. */
async function refused(program: () => unknown): Promise<{ message: string; registered: RecordedResource[] }> {
    let message = "";
    const result = await runOffline(() => {
        try {
            program();
        } catch (error) {
            message = (error as Error).message;
            assert.ok(error instanceof pulumi.RunError, `expected a RunError, got ${String(error)}`);
        }
        return {};
    }, { stack: "test" });
    assert.ok(message, "expected the component to refuse its input");
    return { message, registered: result.resources.filter((r) => r.type !== "pulumi:pulumi:Stack") };
}

describe("GcpNetwork", () => {
    let result: OfflineRun;
    before(async () => {
        result = await run(() => new GcpNetwork("net", { ...networkArgs, networkName: "test-net" }));
    });

    it("is a custom-mode VPC", () => {
        const vpc = find(result, "gcp:compute/network:Network").inputs;
        assert.equal(vpc.autoCreateSubnetworks, false);
        assert.equal(vpc.name, "test-net");
        assert.equal(vpc.project, "trustmesh-test");
    });

    it("has a private subnet with the pod and service secondary ranges and Private Google Access", () => {
        const subnet = find(result, "gcp:compute/subnetwork:Subnetwork").inputs;
        assert.equal(subnet.ipCidrRange, "10.10.0.0/20");
        assert.equal(subnet.region, "europe-west1");
        assert.equal(subnet.privateIpGoogleAccess, true);
        assert.deepEqual(subnet.secondaryIpRanges, [
            { rangeName: "pods", ipCidrRange: "10.20.0.0/16" },
            { rangeName: "services", ipCidrRange: "10.30.0.0/20" },
        ]);
        assert.match(String(subnet.network), /\/projects\/trustmesh-test\/global\/networks\/test-net$/);
        assert.equal((subnet.logConfig as Record<string, unknown>).metadata, "INCLUDE_ALL_METADATA");
    });

    it("gives private nodes egress through Cloud Router + Cloud NAT on the subnet", () => {
        const router = find(result, "gcp:compute/router:Router").inputs;
        const nat = find(result, "gcp:compute/routerNat:RouterNat").inputs;
        assert.equal(nat.router, router.name);
        // Reserved addresses, never ephemeral ones: a peer must be able to admit exactly them.
        assert.equal(nat.natIpAllocateOption, "MANUAL_ONLY");
        const addresses = all(result, "gcp:compute/address:Address");
        assert.equal(addresses.length, 1);
        assert.deepEqual(nat.natIps, addresses.map((a) => a.outputs!.selfLink));
        assert.equal(nat.sourceSubnetworkIpRangesToNat, "LIST_OF_SUBNETWORKS");
        const subnets = nat.subnetworks as Array<Record<string, unknown>>;
        assert.equal(subnets.length, 1);
        assert.match(String(subnets[0]!.name), /\/subnetworks\/test-net-nodes$/);
        assert.deepEqual(subnets[0]!.sourceIpRangesToNats, ["ALL_IP_RANGES"]);
    });

    it("lets only the control plane reach the webhook ports, nothing from 0.0.0.0/0", () => {
        const rules = all(result, "gcp:compute/firewall:Firewall");
        assert.equal(rules.length, 1);
        const rule = rules[0]!.inputs;
        assert.equal(rule.direction, "INGRESS");
        assert.deepEqual(rule.sourceRanges, ["172.16.0.0/28"]);
        assert.deepEqual(rule.targetTags, ["test-net-node"]);
        assert.deepEqual(rule.allows, [{ protocol: "tcp", ports: ["10250", "6443", "15017"] }]);
        for (const r of rules) assert.doesNotMatch(JSON.stringify(r.inputs), /0\.0\.0\.0\/0/);
    });

    const bad: Array<[string, Partial<GcpNetworkArgs>, RegExp]> = [
        ["overlapping pod and node ranges", { podsCidr: "10.10.0.0/16" }, /podsCidr "10\.10\.0\.0\/16" overlaps nodesCidr/],
        ["a pod range smaller than a /21", { podsCidr: "10.20.0.0/23" }, /podsCidr "10\.20\.0\.0\/23" is too small: use at least a \/21/],
        ["a service range smaller than a /24", { servicesCidr: "10.30.0.0/26" }, /servicesCidr .* at least a \/24/],
        ["a master range that is not a /28", { masterCidr: "172.16.0.0/24" }, /masterCidr .* exactly a \/28/],
        ["a CIDR with host bits", { nodesCidr: "10.10.0.1/20" }, /nodesCidr "10\.10\.0\.1\/20" must be an IPv4 CIDR/],
        ["a missing project", { project: "" }, /project is required/],
        ["a missing region", { region: undefined as unknown as string }, /region is required/],
    ];
    for (const [what, change, message] of bad) {
        it(`refuses ${what} before registering anything`, async () => {
            const { message: error, registered } = await refused(() => new GcpNetwork("net", { ...networkArgs, ...change }));
            assert.match(error, /^GcpNetwork net: /);
            assert.match(error, message);
            assert.deepEqual(registered, []);
        });
    }
});

describe("GkeCluster", () => {
    let result: OfflineRun;
    let cluster: Record<string, any>;
    before(async () => {
        result = await run(() => new GkeCluster("gke", clusterArgs));
        cluster = find(result, "gcp:container/cluster:Cluster").inputs;
    });

    it("is regional and VPC-native on the given subnet", () => {
        assert.equal(cluster.location, "europe-west1");
        assert.equal(cluster.name, "test-gke");
        assert.equal(cluster.networkingMode, "VPC_NATIVE");
        assert.equal(cluster.subnetwork, clusterArgs.subnetwork);
        assert.deepEqual(cluster.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
    });
    it("private nodes, with the control plane in the master /28", () => {
        assert.equal(cluster.privateClusterConfig.enablePrivateNodes, true);
        assert.equal(cluster.privateClusterConfig.masterIpv4CidrBlock, "172.16.0.0/28");
    });
    it("private endpoint by default", () => assert.equal(cluster.privateClusterConfig.enablePrivateEndpoint, true));
    it("authorized networks: only those listed, not all of Google Cloud", () => {
        assert.deepEqual(cluster.masterAuthorizedNetworksConfig.cidrBlocks, [{ displayName: "office", cidrBlock: "198.51.100.0/24" }]);
        assert.equal(cluster.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled, false);
    });
    it("workload identity pool <project>.svc.id.goog", () => assert.deepEqual(cluster.workloadIdentityConfig, { workloadPool: "trustmesh-test.svc.id.goog" }));
    it("Dataplane V2 (ADVANCED_DATAPATH)", () => assert.equal(cluster.datapathProvider, "ADVANCED_DATAPATH"));
    it("shielded nodes", () => assert.equal(cluster.enableShieldedNodes, true));
    it("release channel STABLE by default", () => assert.deepEqual(cluster.releaseChannel, { channel: "STABLE" }));
    it("removes the default node pool", () => assert.equal(cluster.removeDefaultNodePool, true));

    it("runs the transient default pool as a role-less account with the pools' hardening", () => {
        const bootstrap = find(result, "gcp:serviceaccount/account:Account").inputs;
        assert.match(String(bootstrap.displayName), /no roles/);
        assert.deepEqual(all(result, "gcp:projects/iAMMember:IAMMember"), [], "the bootstrap account gets no role");
        assert.equal(cluster.nodeConfig.serviceAccount, `${bootstrap.accountId}@${clusterArgs.project}.iam.gserviceaccount.com`);
        assert.deepEqual(cluster.nodeConfig.shieldedInstanceConfig, { enableSecureBoot: true, enableIntegrityMonitoring: true });
        assert.deepEqual(cluster.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
        assert.equal(cluster.nodeConfig.metadata["disable-legacy-endpoints"], "true");
        assert.equal(cluster.nodeConfig.imageType, "COS_CONTAINERD");
    });
    it("deletion protection by default", () => assert.equal(cluster.deletionProtection, true));
    it("Binary Authorization enforced by default", () => assert.deepEqual(cluster.binaryAuthorization, { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" }));
    it("legacy ABAC off", () => assert.equal(cluster.enableLegacyAbac, false));
    it("no client certificate", () => assert.deepEqual(cluster.masterAuth, { clientCertificateConfig: { issueClientCertificate: false } }));
    it("no application-layer encryption key unless one is configured", () => assert.equal(cluster.databaseEncryption, undefined));
    it("managed Prometheus", () => assert.deepEqual(cluster.monitoringConfig.managedPrometheus, { enabled: true }));
    it("system and workload logging", () => assert.deepEqual(cluster.loggingConfig, { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] }));
    it("a daily maintenance window", () => assert.deepEqual(cluster.maintenancePolicy, { dailyMaintenanceWindow: { startTime: "03:00" } }));

    it("names its Kubernetes provider after the cluster key, with the kubeconfig as a secret", () => {
        const provider = find(result, "pulumi:providers:kubernetes");
        assert.equal(provider.name, "gke");
        assert.equal(provider.inputs.kubeconfig, "[secret]");
        assert.deepEqual(provider.secretPaths, ["kubeconfig"]);
        assert.match(String(provider.parent), /trustmesh:index:GkeCluster::gke$/);
    });

    it("turns the DNS endpoint on for IAM-authenticated traffic only, IP endpoints kept", () => {
        assert.deepEqual(cluster.controlPlaneEndpointsConfig, {
            dnsEndpointConfig: { allowExternalTraffic: true, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false },
            ipEndpointsConfig: { enabled: true },
        });
    });

    it("writes a kubeconfig for the DNS endpoint that authenticates with gke-gcloud-auth-plugin, never a certificate or token", () => {
        const kubeconfig = parse(String(find(result, "pulumi:providers:kubernetes").rawInputs.kubeconfig));
        assert.equal(kubeconfig.kind, "Config");
        const server = kubeconfig.clusters[0].cluster.server as string;
        // The DNS endpoint GKE assigned (the fake's), not the private IP in the master /28.
        assert.match(server, /^https:\/\/gke-[0-9a-f]{32}-\d+\.europe-west1\.gke\.goog$/);
        // It presents a publicly trusted certificate: no cluster CA in the kubeconfig, as gcloud writes it.
        assert.equal(kubeconfig.clusters[0].cluster["certificate-authority-data"], undefined);
        const user = kubeconfig.users[0].user;
        assert.deepEqual(Object.keys(user), ["exec"]);
        assert.equal(user.exec.command, "gke-gcloud-auth-plugin");
        assert.equal(user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.equal(kubeconfig["current-context"], "gke_trustmesh-test_europe-west1_test-gke");
        assert.doesNotMatch(JSON.stringify(kubeconfig), /client-certificate|client-key|token|password/);
    });

    it("with the DNS endpoint off, the kubeconfig uses the private IP endpoint and the cluster CA", async () => {
        const r = await run(() => new GkeCluster("gke", { ...clusterArgs, dnsEndpoint: false }));
        const c = find(r, "gcp:container/cluster:Cluster").inputs as Record<string, any>;
        assert.equal(c.controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic, false);
        const kubeconfig = parse(String(find(r, "pulumi:providers:kubernetes").rawInputs.kubeconfig));
        assert.equal(kubeconfig.clusters[0].cluster.server, "https://172.16.0.2");
        const ca = Buffer.from(kubeconfig.clusters[0].cluster["certificate-authority-data"], "base64").toString();
        assert.match(ca, /^-----BEGIN CERTIFICATE-----\n/);
    });

    it("takes the environment's settings when given: public endpoint, REGULAR, no protection, no Binary Authorization", async () => {
        const r = await run(
            () => new GkeCluster("gke", { ...clusterArgs, dnsEndpoint: false, privateEndpoint: false, releaseChannel: "REGULAR", deletionProtection: false, binaryAuthorization: false, maintenanceStartTime: "22:30" }),
        );
        const c = find(r, "gcp:container/cluster:Cluster").inputs as Record<string, any>;
        assert.equal(c.privateClusterConfig.enablePrivateEndpoint, false);
        assert.equal(c.privateClusterConfig.enablePrivateNodes, true, "nodes stay private");
        assert.deepEqual(c.releaseChannel, { channel: "REGULAR" });
        assert.equal(c.deletionProtection, false);
        assert.deepEqual(c.binaryAuthorization, { evaluationMode: "DISABLED" });
        assert.equal(c.maintenancePolicy.dailyMaintenanceWindow.startTime, "22:30");
        const kubeconfig = parse(String(find(r, "pulumi:providers:kubernetes").rawInputs.kubeconfig));
        assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/203\.0\.113\.\d+$/, "the fake public endpoint is in TEST-NET-3");
    });

    it("encrypts Secrets with the KMS key when one is set, after granting GKE's service agent on it", async () => {
        const key = "projects/trustmesh-test/locations/europe-west1/keyRings/gke/cryptoKeys/secrets";
        const r = await run(() => new GkeCluster("gke", { ...clusterArgs, databaseEncryptionKey: key }));
        const c = find(r, "gcp:container/cluster:Cluster");
        assert.deepEqual(c.inputs.databaseEncryption, { state: "ENCRYPTED", keyName: key });
        const grant = find(r, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
        assert.equal(grant.inputs.cryptoKeyId, key);
        assert.equal(grant.inputs.role, "roles/cloudkms.cryptoKeyEncrypterDecrypter");
        assert.match(String(grant.inputs.member), /^serviceAccount:service-\d{12}@container-engine-robot\.iam\.gserviceaccount\.com$/);
        assert.ok(c.dependencies.includes(grant.urn), "the cluster waits for the grant");
    });

    const bad: Array<[string, Partial<GkeClusterArgs>, RegExp]> = [
        ["0.0.0.0/0 in authorized networks", { authorizedNetworks: [{ displayName: "all", cidrBlock: "0.0.0.0/0" }] }, /authorizedNetworks\[0\]\.cidrBlock 0\.0\.0\.0\/0 would open the control plane to the whole internet/],
        ["an authorized network wider than a /8", { authorizedNetworks: [{ displayName: "half", cidrBlock: "128.0.0.0/1" }] }, /wider than a \/8/],
        ["a missing project", { project: "" }, /project is required/],
        ["a missing region", { region: "" }, /region is required/],
        ["a zone instead of a region", { region: "europe-west1-b" }, /must be a GCP region/],
        ["a master range that is not a /28", { masterCidr: "172.16.0.0/27" }, /masterCidr "172\.16\.0\.0\/27" must be an RFC 1918 \/28/],
        ["an unknown release channel", { releaseChannel: "NIGHTLY" }, /releaseChannel "NIGHTLY" is not one of RAPID, REGULAR, STABLE/],
        ["a malformed KMS key", { databaseEncryptionKey: "secrets-key" }, /databaseEncryptionKey/],
    ];
    for (const [what, change, message] of bad) {
        it(`refuses ${what} before registering anything`, async () => {
            const { message: error, registered } = await refused(() => new GkeCluster("gke", { ...clusterArgs, ...change }));
            assert.match(error, /^GkeCluster gke: /);
            assert.match(error, message);
            assert.deepEqual(registered, []);
        });
    }
});

describe("GkeNodePool", () => {
    let result: OfflineRun;
    let pool: RecordedResource;
    let config: Record<string, any>;
    before(async () => {
        result = await run(
            () =>
                new GkeNodePool("gke-apps", {
                    project: "trustmesh-test",
                    location: "europe-west1",
                    cluster: "test-gke",
                    poolName: "apps",
                    minNodes: 2,
                    maxNodes: 5,
                    nodeLocations: ["europe-west1-b", "europe-west1-c"],
                    networkTags: ["test-net-node"],
                }),
        );
        pool = find(result, "gcp:container/nodePool:NodePool");
        config = pool.inputs.nodeConfig as Record<string, any>;
    });

    it("runs as its own service account", () => {
        const sa = find(result, "gcp:serviceaccount/account:Account");
        assert.equal(sa.inputs.accountId, "gke-apps");
        assert.equal(config.serviceAccount, "gke-apps@trustmesh-test.iam.gserviceaccount.com");
    });
    it("whose roles are exactly container.defaultNodeServiceAccount and artifactregistry.reader", () => {
        const bindings = all(result, "gcp:projects/iAMMember:IAMMember");
        assert.deepEqual(bindings.map((b) => b.inputs.role).sort(), ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]);
        assert.deepEqual([...nodeServiceAccountRoles].sort(), bindings.map((b) => b.inputs.role).sort());
        for (const b of bindings) {
            assert.equal(b.inputs.member, "serviceAccount:gke-apps@trustmesh-test.iam.gserviceaccount.com");
            assert.equal(b.inputs.project, "trustmesh-test");
            assert.ok(pool.dependencies.includes(b.urn), "the pool waits for its roles");
        }
    });
    it("workload metadata GKE_METADATA", () => assert.deepEqual(config.workloadMetadataConfig, { mode: "GKE_METADATA" }));
    it("secure boot and integrity monitoring", () => assert.deepEqual(config.shieldedInstanceConfig, { enableSecureBoot: true, enableIntegrityMonitoring: true }));
    it("Container-Optimized OS with containerd", () => assert.equal(config.imageType, "COS_CONTAINERD"));
    it("autoscaling between min and max per zone", () => assert.deepEqual(pool.inputs.autoscaling, { minNodeCount: 2, maxNodeCount: 5 }));
    it("auto-repair and auto-upgrade", () => assert.deepEqual(pool.inputs.management, { autoRepair: true, autoUpgrade: true }));
    it("legacy metadata endpoints disabled", () => assert.equal(config.metadata["disable-legacy-endpoints"], "true"));
    it("read-only kubelet port closed", () => assert.equal(config.kubeletConfig.insecureKubeletReadonlyPortEnabled, "FALSE"));
    it("carries the network tag and zones, and no taint unless it is a system pool", () => {
        assert.deepEqual(config.tags, ["test-net-node"]);
        assert.deepEqual(pool.inputs.nodeLocations, ["europe-west1-b", "europe-west1-c"]);
        assert.deepEqual(config.taints, []);
    });

    it("a system pool keeps application pods off with GKE's system taint", async () => {
        const r = await run(() => new GkeNodePool("gke-system", { project: "trustmesh-test", location: "europe-west1", cluster: "test-gke", poolName: "system", system: true }));
        const c = find(r, "gcp:container/nodePool:NodePool").inputs.nodeConfig as Record<string, any>;
        assert.deepEqual(c.taints, [{ key: "components.gke.io/gke-managed-components", value: "true", effect: "NO_SCHEDULE" }]);
    });

    it("refuses minNodes above maxNodes and a missing project before registering anything", async () => {
        const { message, registered } = await refused(() => new GkeNodePool("p", { project: "", location: "europe-west1", cluster: "c", poolName: "apps", minNodes: 4, maxNodes: 2 }));
        assert.match(message, /project is required/);
        assert.match(message, /minNodes 4 must not exceed maxNodes 2/);
        assert.deepEqual(registered, []);
    });
});

describe("GcpWorkloadIdentity", () => {
    const args: GcpWorkloadIdentityArgs = {
        project: "trustmesh-test",
        namespace: "payments",
        serviceAccountName: "payments-api",
        roles: [{ role: "roles/cloudsql.client" }, { role: "roles/storage.objectViewer", project: "trustmesh-data" }],
    };
    let result: OfflineRun;
    before(async () => {
        result = await run(() => new GcpWorkloadIdentity("gke-payments-api", args));
    });

    it("creates a Google service account", () => {
        const gsa = find(result, "gcp:serviceaccount/account:Account");
        assert.equal(gsa.inputs.accountId, "gke-payments-api");
        assert.equal(gsa.inputs.project, "trustmesh-test");
    });
    it("lets exactly <project>.svc.id.goog[<ns>/<ksa>] act as it", () => {
        const binding = find(result, "gcp:serviceaccount/iAMMember:IAMMember").inputs;
        assert.equal(binding.role, "roles/iam.workloadIdentityUser");
        assert.equal(binding.member, "serviceAccount:trustmesh-test.svc.id.goog[payments/payments-api]");
        assert.equal(binding.serviceAccountId, "projects/trustmesh-test/serviceAccounts/gke-payments-api@trustmesh-test.iam.gserviceaccount.com");
    });
    it("grants the roles asked for, each on its project", () => {
        const grants = all(result, "gcp:projects/iAMMember:IAMMember").map((g) => [g.inputs.role, g.inputs.project, g.inputs.member]);
        const member = "serviceAccount:gke-payments-api@trustmesh-test.iam.gserviceaccount.com";
        assert.deepEqual(grants.sort(), [
            ["roles/cloudsql.client", "trustmesh-test", member],
            ["roles/storage.objectViewer", "trustmesh-data", member],
        ]);
    });
    it("creates the Kubernetes ServiceAccount annotated iam.gke.io/gcp-service-account", () => {
        const ksa = find(result, "kubernetes:core/v1:ServiceAccount").inputs as Record<string, any>;
        assert.equal(ksa.metadata.name, "payments-api");
        assert.equal(ksa.metadata.namespace, "payments");
        assert.deepEqual(ksa.metadata.annotations, { "iam.gke.io/gcp-service-account": "gke-payments-api@trustmesh-test.iam.gserviceaccount.com" });
    });

    it("adopts an existing Google service account by email, and can leave the ServiceAccount to a chart", async () => {
        const email = "dns-solver@trustmesh-shared.iam.gserviceaccount.com";
        const r = await run(
            () => new GcpWorkloadIdentity("gke-cert-manager", { ...args, namespace: "cert-manager", serviceAccountName: "cert-manager", roles: [], existingServiceAccountEmail: email, createKubernetesServiceAccount: false }),
        );
        assert.deepEqual(all(r, "gcp:serviceaccount/account:Account"), []);
        assert.deepEqual(all(r, "kubernetes:core/v1:ServiceAccount"), []);
        const binding = find(r, "gcp:serviceaccount/iAMMember:IAMMember").inputs;
        assert.equal(binding.serviceAccountId, `projects/trustmesh-shared/serviceAccounts/${email}`);
        assert.equal(binding.member, "serviceAccount:trustmesh-test.svc.id.goog[cert-manager/cert-manager]");
    });

    for (const role of ["roles/owner", "roles/editor", "roles/viewer"]) {
        it(`refuses the primitive role ${role} before registering anything`, async () => {
            const { message, registered } = await refused(() => new GcpWorkloadIdentity("wi", { ...args, roles: [{ role: "roles/dns.admin" }, { role }] }));
            assert.match(message, new RegExp(`^GcpWorkloadIdentity wi: roles\\[1\\]: role "${role}" is a primitive role and is refused`));
            assert.deepEqual(registered, []);
        });
    }

    it("refuses a missing project and a role listed twice", async () => {
        const { message } = await refused(() => new GcpWorkloadIdentity("wi", { ...args, project: "", roles: [{ role: "roles/dns.admin", project: "trustmesh-test" }, { role: "roles/dns.admin", project: "trustmesh-test" }] }));
        assert.match(message, /project is required/);
        assert.match(message, /listed twice/);
    });
});

describe("GkeFleet", () => {
    it("registers the cluster in the fleet with its OIDC issuer, and no mesh unless chosen", async () => {
        const r = await run(() => new GkeFleet("gke", { project: "trustmesh-test", clusterLocation: "europe-west1", clusterName: "test-gke" }));
        const membership = find(r, "gcp:gkehub/membership:Membership").inputs as Record<string, any>;
        assert.equal(membership.membershipId, "test-gke");
        assert.equal(membership.location, "global");
        assert.equal(membership.endpoint.gkeCluster.resourceLink, "//container.googleapis.com/projects/trustmesh-test/locations/europe-west1/clusters/test-gke");
        assert.equal(membership.authority.issuer, "https://container.googleapis.com/v1/projects/trustmesh-test/locations/europe-west1/clusters/test-gke");
        assert.deepEqual(all(r, "gcp:gkehub/feature:Feature"), []);
        assert.deepEqual(all(r, "gcp:gkehub/featureMembership:FeatureMembership"), []);
    });

    it("with the managed mesh: the servicemesh feature and a feature membership with automatic management", async () => {
        const r = await run(() => new GkeFleet("gke", { project: "trustmesh-test", clusterLocation: "europe-west1", clusterName: "test-gke", managedMesh: true }));
        const feature = find(r, "gcp:gkehub/feature:Feature").inputs;
        assert.equal(feature.name, "servicemesh");
        assert.equal(feature.location, "global");
        const fm = find(r, "gcp:gkehub/featureMembership:FeatureMembership").inputs as Record<string, any>;
        assert.equal(fm.feature, "servicemesh");
        assert.equal(fm.membership, "test-gke");
        assert.equal(fm.membershipLocation, "global");
        assert.deepEqual(fm.mesh, { management: "MANAGEMENT_AUTOMATIC" });
    });
});

describe("deployGcp", () => {
    function devConfig(edit?: (gcp: Record<string, any>) => void): EnvironmentConfig {
        const values = structuredClone(readStackFile("dev").trustmesh) as Record<string, any>;
        edit?.(values.gcp);
        return parseEnvironmentConfig(values);
    }

    let target!: GcpDeployment;
    let result: OfflineRun;
    before(async () => {
        result = await runOffline(() => {
            target = deployGcp(devConfig());
            // A workload identity bound through the cluster target, as the environment's stacks do.
            target.bindWorkloadIdentity!({ name: "gke-payments-api", namespace: "payments", serviceAccountName: "payments-api", gcpRoles: [{ role: "roles/cloudsql.client" }] });
            return target.outputs;
        }, { stack: "dev" });
    });

    it("is the gke target: cloud gcp, the cluster's provider, ready when the node pools are", () => {
        assert.equal(target.key, "gke");
        assert.equal(target.cloud, "gcp");
        assert.equal(target.provider, target.cluster.provider);
        assert.deepEqual(target.ready, target.nodePools);
        assert.deepEqual(all(result, "gcp:container/nodePool:NodePool").map((p) => p.inputs.name).sort(), ["apps", "system"]);
    });

    it("node pools carry the network's tag so the webhook rule applies, and per-cluster service accounts", () => {
        const rule = find(result, "gcp:compute/firewall:Firewall").inputs;
        for (const pool of all(result, "gcp:container/nodePool:NodePool")) {
            assert.deepEqual((pool.inputs.nodeConfig as Record<string, any>).tags, rule.targetTags);
        }
        assert.deepEqual(all(result, "gcp:serviceaccount/account:Account").map((a) => a.inputs.accountId).sort(), ["dev-gke-apps", "dev-gke-bootstrap", "dev-gke-system", "gke-payments-api"]);
    });

    it("binds workload identity: annotated ServiceAccount on the gke provider, valid against its schema", async () => {
        const manifests = manifestsOf(result.resources).filter((m) => m.kind === "ServiceAccount");
        assert.equal(manifests.length, 1);
        const [ksa] = manifests;
        assert.equal(ksa!.cluster, "gke");
        assert.equal(ksa!.object.metadata.annotations["iam.gke.io/gcp-service-account"], "gke-payments-api@trustmesh-dev.iam.gserviceaccount.com");
        const validation = await validateObject(ksa!.object);
        assert.equal(validation.status, "valid", validation.errors.join("; "));
        const binding = find(result, "gcp:serviceaccount/iAMMember:IAMMember");
        assert.equal(binding.inputs.member, "serviceAccount:trustmesh-dev.svc.id.goog[payments/payments-api]");
        assert.ok(binding.dependencies.includes(find(result, "gcp:container/cluster:Cluster").urn), "the binding waits for the cluster (its pool)");
    });

    it("returns the GKE outputs, the kubeconfig as a secret", () => {
        assert.equal(result.outputs.gkeClusterName, "dev-gke");
        assert.match(String(result.outputs.gkeEndpoint), /^203\.0\.113\.\d+$/);
        assert.equal(result.outputs.gkeKubeconfig, "[secret]");
        assert.deepEqual(result.secretOutputs, ["gkeKubeconfig"]);
    });

    it("with the managed mesh, Kubernetes objects also wait for the mesh feature membership", async () => {
        let meshTarget!: GcpDeployment;
        await runOffline(() => {
            meshTarget = deployGcp(devConfig((gcp) => (gcp.managedMesh = true)));
            return {};
        }, { stack: "dev" });
        assert.ok(meshTarget.fleet.meshFeatureMembership);
        assert.ok(meshTarget.ready.includes(meshTarget.fleet.meshFeatureMembership));
    });
});
