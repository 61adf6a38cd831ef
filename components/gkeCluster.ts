import * as container from "@pulumi/gcp/container";
import * as kms from "@pulumi/gcp/kms";
import * as organizations from "@pulumi/gcp/organizations";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { stringify } from "yaml";
import { cidrFamily, isCanonicalCidr, prefixLength } from "./cidr";
import { gkeMasterPrefix, isProjectId, isRfc1918, minAuthorizedNetworkPrefix, serviceAccountIdFor, workloadIdentityPool } from "./gcpRules";

/** A network allowed to reach the control plane. */
export interface GkeAuthorizedNetwork {
    /** What the network is, shown in the console. */
    displayName: string;
    /** Its CIDR block; never 0.0.0.0/0. */
    cidrBlock: string;
}

export const gkeReleaseChannels = ["RAPID", "REGULAR", "STABLE"];

/**
 * The workload vulnerability scanning mode the cluster asks for. GKE's API marks VULNERABILITY_BASIC
 * "no longer supported" (docs: kubernetes-engine/docs/deprecations/posture-management-deprecation);
 * the remaining values are VULNERABILITY_DISABLED and VULNERABILITY_ENTERPRISE (paid, GKE Enterprise).
 */
export const gkeVulnerabilityMode = "VULNERABILITY_DISABLED";
export const unsupportedGkeVulnerabilityModes = ["VULNERABILITY_BASIC"];


export interface GkeClusterArgs {
    /** Project of the cluster; its workload identity pool is `<project>.svc.id.goog`. */
    project: string;
    /** Region: the cluster is regional, its control plane replicated across the region's zones. */
    region: string;
    /** GKE cluster name: lowercase letters, digits and hyphens, at most 40 characters. */
    clusterName: string;
    /**
     * Name of the Kubernetes provider for the cluster, and so the cluster key the offline plan groups
     * its manifests under. @default - the component name
     */
    clusterKey?: string;
    /** Self link of the VPC (GcpNetwork.networkSelfLink). */
    network: pulumi.Input<string>;
    /** Self link of the node subnet (GcpNetwork.subnetworkSelfLink). */
    subnetwork: pulumi.Input<string>;
    /** Secondary range of the subnet for pods. */
    podsRangeName: pulumi.Input<string>;
    /** Secondary range of the subnet for Services. */
    servicesRangeName: pulumi.Input<string>;
    /** The /28 (RFC 1918) the control plane is peered into. */
    masterCidr: string;
    /** Networks allowed to reach the control plane; 0.0.0.0/0 is refused. @default [] - only the VPC */
    authorizedNetworks?: GkeAuthorizedNetwork[];
    /** Reach the control plane only on its private endpoint. @default true */
    privateEndpoint?: boolean;
    /**
     * The DNS-based control-plane endpoint, open to IAM-authenticated traffic from any network: the
     * kubeconfig and the Kubernetes provider use it, so no API server IP has to be reachable. Off
     * leaves only the IP endpoints. @default true
     */
    dnsEndpoint?: boolean;
    /** Release channel: RAPID, REGULAR or STABLE. @default "STABLE" */
    releaseChannel?: string;
    /** Refuse `pulumi destroy` and deletes of the cluster. @default true */
    deletionProtection?: boolean;
    /** Pulumi `protect` on the cluster: the engine refuses to delete or replace it. @default false */
    protect?: boolean;
    /** Enforce the project's Binary Authorization policy on every pod. @default true */
    binaryAuthorization?: boolean;
    /**
     * Cloud KMS key (`projects/.../cryptoKeys/...`) for application-layer Secret encryption; the GKE
     * service agent is granted encrypt/decrypt on it. @default - Google-managed encryption only
     */
    databaseEncryptionKey?: string;
    /** Daily maintenance window start, HH:MM in UTC. @default "03:00" */
    maintenanceStartTime?: string;
    /** Labels on the cluster resource. @default {} */
    resourceLabels?: Record<string, string>;
    /**
     * Dual-stack pods and Services (IPv4 and IPv6), on a dual-stack subnet (GcpNetwork `dualStack`).
     * GKE needs Dataplane V2 for it, which this cluster always runs. @default false
     */
    dualStack?: boolean;
    /** GKE's Secret Manager add-on (CSI provider `gke`), re-reading mounted secrets every two minutes. @default false */
    secretManager?: boolean;
}

const kmsKeyPattern = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

export function validateGkeClusterArgs(args: GkeClusterArgs): string[] {
    const problems: string[] = [];
    if (!args.project) problems.push("project is required (the GCP project id)");
    else if (!isProjectId(args.project)) problems.push(`project "${args.project}" must be a GCP project id: 6-30 lowercase letters, digits or hyphens`);
    if (!args.region) problems.push("region is required (e.g. europe-west1)");
    else if (!/^[a-z]+-[a-z]+\d+$/.test(args.region)) problems.push(`region "${args.region}" must be a GCP region such as europe-west1 (the cluster is regional)`);
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(args.clusterName ?? "")) {
        problems.push(`clusterName "${args.clusterName}" must be lowercase letters, digits and hyphens, at most 40 characters`);
    }
    if (!args.masterCidr || !isCanonicalCidr(args.masterCidr)) {
        problems.push(`masterCidr "${args.masterCidr}" must be an IPv4 CIDR with zero host bits`);
    } else if (prefixLength(args.masterCidr) !== gkeMasterPrefix || !isRfc1918(args.masterCidr)) {
        problems.push(`masterCidr "${args.masterCidr}" must be an RFC 1918 /${gkeMasterPrefix}`);
    }
    (args.authorizedNetworks ?? []).forEach((n, i) => {
        if (cidrFamily(n.cidrBlock) === "ipv6") {
            problems.push(`authorizedNetworks[${i}].cidrBlock "${n.cidrBlock}" is IPv6: GKE control plane authorized networks take IPv4 blocks only`);
        } else if (!isCanonicalCidr(n.cidrBlock)) {
            problems.push(`authorizedNetworks[${i}].cidrBlock "${n.cidrBlock}" must be an IPv4 CIDR with zero host bits`);
        } else if (prefixLength(n.cidrBlock) === 0) {
            problems.push(`authorizedNetworks[${i}].cidrBlock 0.0.0.0/0 would open the control plane to the whole internet; list the networks that need access`);
        } else if (prefixLength(n.cidrBlock) < minAuthorizedNetworkPrefix) {
            problems.push(`authorizedNetworks[${i}].cidrBlock "${n.cidrBlock}" is wider than a /${minAuthorizedNetworkPrefix} and would open the control plane to a large part of the internet; list the networks that need access`);
        }
        if (!n.displayName) problems.push(`authorizedNetworks[${i}].displayName is required`);
    });
    if (args.releaseChannel !== undefined && !gkeReleaseChannels.includes(args.releaseChannel)) {
        problems.push(`releaseChannel "${args.releaseChannel}" is not one of ${gkeReleaseChannels.join(", ")}`);
    }
    if (args.databaseEncryptionKey !== undefined && !kmsKeyPattern.test(args.databaseEncryptionKey)) {
        problems.push(`databaseEncryptionKey "${args.databaseEncryptionKey}" must be projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`);
    }
    if (args.maintenanceStartTime !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(args.maintenanceStartTime)) {
        problems.push(`maintenanceStartTime "${args.maintenanceStartTime}" must be HH:MM (UTC)`);
    }
    if (args.clusterKey !== undefined && !/^[a-z][-a-z0-9]*$/.test(args.clusterKey)) {
        problems.push(`clusterKey "${args.clusterKey}" must be a lowercase name such as "gke"`);
    }
    return problems;
}

/**
 * A kubeconfig for a GKE cluster that authenticates with the `gke-gcloud-auth-plugin` exec plugin: the
 * caller's own Google credentials, short-lived tokens, never a client certificate or a static token.
 * An IP endpoint presents a certificate from the cluster CA; the DNS endpoint (`caCertificate`
 * undefined) presents one from a public CA, as `gcloud container clusters get-credentials --dns-endpoint` writes it.
 */
export function gkeKubeconfig(contextName: string, endpoint: string, caCertificate?: string): string {
    const cluster = caCertificate === undefined ? { server: `https://${endpoint}` } : { server: `https://${endpoint}`, "certificate-authority-data": caCertificate };
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: contextName, cluster }],
        users: [
            {
                name: contextName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "gke-gcloud-auth-plugin",
                        installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                        provideClusterInfo: true,
                        interactiveMode: "IfAvailable",
                    },
                },
            },
        ],
        contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
        "current-context": contextName,
    });
}

/**
 * A regional, VPC-native, private GKE cluster hardened the way `safer-cluster` does it: private nodes,
 * authorized networks, Workload Identity, Dataplane V2, shielded nodes, a release channel, no default
 * node pool, no legacy ABAC or client certificates, Binary Authorization, managed Prometheus and
 * logging, a maintenance window. Node pools are added with GkeNodePool.
 */
export class GkeCluster extends pulumi.ComponentResource {
    public readonly cluster: container.Cluster;
    /** The cluster's Kubernetes provider, named after the cluster key. */
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    /** Control plane IP address (the private one when the private endpoint is on). */
    public readonly endpoint: pulumi.Output<string>;
    /** The DNS endpoint (`<uid>.<region>.gke.goog`), or "" when it is off. The kubeconfig uses it when on. */
    public readonly dnsEndpoint: pulumi.Output<string>;
    /** Base64 PEM of the cluster CA. */
    public readonly caCertificate: pulumi.Output<string>;
    /** A kubeconfig using `gke-gcloud-auth-plugin`, as a secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** `<project>.svc.id.goog`. */
    public readonly workloadPool: pulumi.Output<string>;
    /** The region the cluster runs in. */
    public readonly location: pulumi.Output<string>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateGkeClusterArgs(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(`GkeCluster ${name}: ${problems.join("; ")}`);
        }
        super("trustmesh:index:GkeCluster", name, args, opts);
        const built = buildGkeCluster(name, args, this, opts?.dependsOn);
        this.cluster = built.cluster;
        this.provider = built.provider;
        this.clusterName = built.cluster.name;
        this.endpoint = built.cluster.endpoint;
        this.dnsEndpoint = built.dnsEndpoint;
        this.caCertificate = built.caCertificate;
        this.kubeconfig = built.kubeconfig;
        this.workloadPool = pulumi.output(built.workloadPool);
        this.location = built.cluster.location;
        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            dnsEndpoint: this.dnsEndpoint,
            caCertificate: this.caCertificate,
            kubeconfig: this.kubeconfig,
            workloadPool: this.workloadPool,
            location: this.location,
        });
    }
}

export function buildGkeCluster(name: string, args: GkeClusterArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const { project, region } = args;
    const workloadPool = workloadIdentityPool(project);
    const binaryAuthorization = args.binaryAuthorization ?? true;
    const dnsEndpoint = args.dnsEndpoint ?? true;

    // Application-layer encryption fails at create unless GKE's service agent may use the key.
    let kmsGrant: kms.CryptoKeyIAMMember | undefined;
    if (args.databaseEncryptionKey) {
        const projectNumber = organizations.getProjectOutput({ projectId: project }, { parent }).number;
        kmsGrant = new kms.CryptoKeyIAMMember(
            `${name}-secrets-key-agent`,
            {
                cryptoKeyId: args.databaseEncryptionKey,
                role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member: pulumi.interpolate`serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
            },
            opts,
        );
    }

    // GKE cannot create a cluster without a default pool; it runs for minutes before it is removed.
    // It gets an account with no roles and the pools' hardening, not the Compute default account.
    const bootstrapServiceAccount = new serviceaccount.Account(
        `${name}-bootstrap-sa`,
        {
            project,
            accountId: serviceAccountIdFor(`${args.clusterName}-bootstrap`),
            displayName: `Transient default node pool of ${args.clusterName}, no roles (trustmesh)`,
        },
        opts,
    );

    const cluster = new container.Cluster(
        `${name}-cluster`,
        {
            name: args.clusterName,
            project,
            location: region,
            description: "trustmesh: private, hardened GKE cluster",
            resourceLabels: { "managed-by": "trustmesh", ...(args.resourceLabels ?? {}) },
            network: args.network,
            subnetwork: args.subnetwork,
            networkingMode: "VPC_NATIVE",
            ipAllocationPolicy: {
                clusterSecondaryRangeName: args.podsRangeName,
                servicesSecondaryRangeName: args.servicesRangeName,
                ...(args.dualStack ? { stackType: "IPV4_IPV6" } : {}),
            },
            // Nodes get no public IP; the control plane is reached privately or from the listed networks.
            privateClusterConfig: {
                enablePrivateNodes: true,
                enablePrivateEndpoint: args.privateEndpoint ?? true,
                masterIpv4CidrBlock: args.masterCidr,
            },
            // The DNS endpoint takes only IAM-authenticated Google identities (container.clusters.connect),
            // not Kubernetes tokens or certificates: the deployment reaches a private control plane from
            // any network without an API server IP being exposed. The IP endpoints stay as set above.
            controlPlaneEndpointsConfig: {
                dnsEndpointConfig: { allowExternalTraffic: dnsEndpoint, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false },
                ipEndpointsConfig: { enabled: true },
            },
            masterAuthorizedNetworksConfig: {
                cidrBlocks: (args.authorizedNetworks ?? []).map((n) => ({ displayName: n.displayName, cidrBlock: n.cidrBlock })),
                // Not "any Google Cloud VM": only the networks listed.
                gcpPublicCidrsAccessEnabled: false,
            },
            workloadIdentityConfig: { workloadPool },
            // Dataplane V2 (eBPF): NetworkPolicy enforcement built in, no Calico add-on.
            datapathProvider: "ADVANCED_DATAPATH",
            enableShieldedNodes: true,
            releaseChannel: { channel: args.releaseChannel ?? "STABLE" },
            // Pools are added with their own accounts; the default one only exists while the cluster is created.
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            nodeConfig: {
                serviceAccount: bootstrapServiceAccount.email,
                oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                imageType: "COS_CONTAINERD",
                shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                workloadMetadataConfig: { mode: "GKE_METADATA" },
                metadata: { "disable-legacy-endpoints": "true" },
            },
            deletionProtection: args.deletionProtection ?? true,
            binaryAuthorization: { evaluationMode: binaryAuthorization ? "PROJECT_SINGLETON_POLICY_ENFORCE" : "DISABLED" },
            enableLegacyAbac: false,
            // Authentication only through Google identities; no long-lived client certificate.
            masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
            databaseEncryption: args.databaseEncryptionKey ? { state: "ENCRYPTED", keyName: args.databaseEncryptionKey } : undefined,
            // GKE no longer supports VULNERABILITY_BASIC (posture management deprecation); image
            // scanning belongs in Artifact Analysis on the registry, not in the cluster.
            securityPostureConfig: { mode: "BASIC", vulnerabilityMode: gkeVulnerabilityMode },
            monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
            loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
            maintenancePolicy: { dailyMaintenanceWindow: { startTime: args.maintenanceStartTime ?? "03:00" } },
            // Rotation on: a new secret version reaches mounted files without a pod restart.
            ...(args.secretManager ? { secretManagerConfig: { enabled: true, rotationConfig: { enabled: true, rotationInterval: "120s" } } } : {}),
        },
        {
            parent,
            dependsOn: withDependsOn(dependsOn, ...(kmsGrant ? [kmsGrant] : [])),
            protect: args.protect,
            // Both describe only the removed default pool; a later diff on them would replace the cluster.
            ignoreChanges: ["nodeConfig", "initialNodeCount"],
        },
    );

    const caCertificate = cluster.masterAuth.apply((auth) => auth.clusterCaCertificate ?? "");
    const contextName = `gke_${project}_${region}_${args.clusterName}`;
    const dnsEndpointAddress = cluster.controlPlaneEndpointsConfig.apply((config) => (dnsEndpoint ? (config?.dnsEndpointConfig?.endpoint ?? "") : ""));
    const kubeconfig = pulumi.secret(
        pulumi.all([cluster.endpoint, caCertificate, dnsEndpointAddress]).apply(([endpoint, ca, dns]) =>
            dnsEndpoint ? gkeKubeconfig(contextName, dns, undefined) : gkeKubeconfig(contextName, endpoint, ca),
        ),
    );
    // Named after the cluster key: the offline plan groups manifests by provider name.
    const provider = new k8s.Provider(args.clusterKey ?? name, { kubeconfig }, opts);

    return { cluster, bootstrapServiceAccount, provider, caCertificate, kubeconfig, dnsEndpoint: dnsEndpointAddress, workloadPool, kmsGrant };
}
