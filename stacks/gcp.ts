import * as binaryauthorization from "@pulumi/gcp/binaryauthorization";
import * as projects from "@pulumi/gcp/projects";
import type * as pulumi from "@pulumi/pulumi";
import { withDependsOn } from "../components/dependsOn";
import { defaultWebhookPorts, GcpNetwork } from "../components/gcpNetwork";
import { kubeVirtWebhookPorts } from "../components/kubeVirt";
import { serviceAccountIdFor } from "../components/gcpRules";
import { GcpWorkloadIdentity } from "../components/gcpWorkloadIdentity";
import { GkeCluster } from "../components/gkeCluster";
import { GkeFleet } from "../components/gkeFleet";
import { GkeNodePool } from "../components/gkeNodePool";
import type { ClusterTarget, WorkloadIdentityBinding, WorkloadIdentityRequest } from "./clusters";
import type { EnvironmentConfig } from "./config";
import { resolveGkeSettings } from "./config/gcp";

/** The GKE side of an environment: its cluster target plus the components and outputs behind it. */
export interface GcpDeployment extends ClusterTarget {
    network: GcpNetwork;
    cluster: GkeCluster;
    nodePools: GkeNodePool[];
    fleet: GkeFleet;
    /** Stack outputs of the GKE side, for the program to export. */
    outputs: {
        gkeClusterName: pulumi.Output<string>;
        gkeEndpoint: pulumi.Output<string>;
        /** The DNS endpoint the kubeconfig uses ("" when it is off). */
        gkeDnsEndpoint: pulumi.Output<string>;
        /** A secret: the kubeconfig (exec plugin, no credentials in it, but it names the endpoint). */
        gkeKubeconfig: pulumi.Output<string>;
    };
}

/** The Google APIs the GKE side calls, beyond the ones every project has. */
export function requiredGcpServices(settings: { binaryAuthorization: boolean; databaseEncryptionKey?: string; managedMesh: boolean; secretManager?: boolean }): string[] {
    return [
        "compute.googleapis.com",
        "container.googleapis.com",
        "iam.googleapis.com",
        // Workload Identity mints Google tokens for Kubernetes service accounts through it.
        "iamcredentials.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "gkehub.googleapis.com",
        "dns.googleapis.com",
        "logging.googleapis.com",
        "monitoring.googleapis.com",
        ...(settings.binaryAuthorization ? ["binaryauthorization.googleapis.com"] : []),
        ...(settings.databaseEncryptionKey ? ["cloudkms.googleapis.com"] : []),
        ...(settings.managedMesh ? ["mesh.googleapis.com"] : []),
        ...(settings.secretManager ? ["secretmanager.googleapis.com"] : []),
    ];
}

/**
 * Binary Authorization allowlist patterns for registry prefixes (the policy pack's `allowedRegistries`):
 * a prefix ending in "/" admits everything below it (`**`), any other a trailing `*` in its last
 * segment. Binary Authorization allows wildcards only after the registry host.
 */
export function binaryAuthorizationPatterns(allowedRegistries: string[]): string[] {
    return [...new Set(allowedRegistries.map((prefix) => (prefix.endsWith("/") ? `${prefix}**` : `${prefix}*`)))];
}

/** The cluster key of the GKE side; also the name of its Kubernetes provider. */
export const gkeClusterKey = "gke";

/**
 * Builds the Google Cloud side of the environment: network, cluster, node pools, fleet membership (and
 * the managed mesh when chosen), and returns it as the `gke` cluster target.
 */
export function deployGcp(config: EnvironmentConfig): GcpDeployment {
    const settings = resolveGkeSettings(config);
    // GKE's Secret Manager add-on (and its API) when an application on gke has secrets.
    const secretManager = config.namespaces.some((ns) => ns.secrets !== undefined && ns.clusters.includes("gke"));
    const { project, region } = settings;
    const key = gkeClusterKey;

    // A fresh project has none of these on; left on at destroy, since other workloads may use them.
    const services = requiredGcpServices({ ...settings, secretManager }).map(
        (service) =>
            new projects.Service(`${key}-api-${service.split(".")[0]}`, { project, service, disableOnDestroy: false, disableDependentServices: false }),
    );
    const afterServices = { dependsOn: services };

    const network = new GcpNetwork(key, {
        project,
        region,
        networkName: `${settings.clusterName}-net`,
        ...settings.network,
        // The NAT addresses are what the peer cluster admits: kept from deletion in prod.
        protectAddresses: config.environment === "prod",
        // KubeVirt's admission webhooks (virt-api, virt-operator) are called by the control plane too.
        ...(config.workloads.mongoVirtualMachine?.enabled ? { webhookPorts: [...defaultWebhookPorts, ...kubeVirtWebhookPorts] } : {}),
    }, afterServices);

    const cluster = new GkeCluster(key, {
        project,
        region,
        clusterName: settings.clusterName,
        clusterKey: key,
        network: network.networkSelfLink,
        subnetwork: network.subnetworkSelfLink,
        podsRangeName: network.podsRangeName,
        servicesRangeName: network.servicesRangeName,
        masterCidr: settings.network.masterCidr,
        authorizedNetworks: settings.authorizedNetworks,
        privateEndpoint: settings.privateEndpoint,
        dnsEndpoint: settings.dnsEndpoint,
        releaseChannel: settings.releaseChannel,
        deletionProtection: settings.deletionProtection,
        // A prod cluster is stateful infrastructure: Pulumi refuses to delete or replace it.
        protect: config.environment === "prod",
        binaryAuthorization: settings.binaryAuthorization,
        databaseEncryptionKey: settings.databaseEncryptionKey,
        maintenanceStartTime: settings.maintenanceStartTime,
        secretManager,
        resourceLabels: { environment: config.environment },
    }, afterServices);

    // Enforcement with no policy of our own would enforce the project's default policy, which admits
    // every image. The project's singleton policy: images only from the registries the pack allows,
    // Google's own system images (global policy), everything else denied and audited.
    const binaryAuthorizationPolicy = settings.binaryAuthorization
        ? new binaryauthorization.Policy(`${key}-binary-authorization`, {
              project,
              description: "trustmesh: only images from the allowed registries run on GKE",
              globalPolicyEvaluationMode: "ENABLE",
              admissionWhitelistPatterns: binaryAuthorizationPatterns(config.policy.allowedRegistries).map((namePattern) => ({ namePattern })),
              defaultAdmissionRule: { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" },
          }, afterServices)
        : undefined;

    const nodePools = settings.nodePools.map(
        (pool) =>
            new GkeNodePool(`${key}-${pool.name}`, {
                project,
                location: region,
                cluster: cluster.clusterName,
                poolName: pool.name,
                machineType: pool.machineType,
                minNodes: pool.minNodes,
                maxNodes: pool.maxNodes,
                diskSizeGb: pool.diskSizeGb,
                system: pool.system,
                nestedVirtualization: pool.nestedVirtualization,
                dedicatedTo: pool.dedicatedTo,
                nodeLocations: settings.zones,
                networkTags: [network.nodeTag],
                // Per cluster and pool, so two environments sharing a project never share node accounts.
                serviceAccountId: serviceAccountIdFor(`${settings.clusterName}-${pool.name}`),
            }, afterServices),
    );

    const fleet = new GkeFleet(key, {
        project,
        clusterLocation: region,
        clusterName: cluster.clusterName,
        managedMesh: settings.managedMesh,
    }, afterServices);

    // Pods start only once the policy that admits their images is in place.
    const ready: pulumi.Resource[] = [...nodePools, ...(binaryAuthorizationPolicy ? [binaryAuthorizationPolicy] : [])];
    if (fleet.meshFeatureMembership) ready.push(fleet.meshFeatureMembership);

    const bindWorkloadIdentity = (request: WorkloadIdentityRequest, opts?: pulumi.ComponentResourceOptions): WorkloadIdentityBinding => {
        const identity = new GcpWorkloadIdentity(
            request.name,
            {
                project,
                namespace: request.namespace,
                serviceAccountName: request.serviceAccountName,
                roles: request.gcpRoles ?? [],
                createKubernetesServiceAccount: request.createServiceAccount ?? true,
            },
            // The workload identity pool exists once the cluster does: IAM refuses its members before.
            { ...withKubernetesProvider(opts, cluster), dependsOn: withDependsOn(opts?.dependsOn, cluster.cluster) },
        );
        return {
            serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": identity.email },
            podLabels: {},
            identity: identity.email,
            ready: [identity],
        };
    };

    return {
        key,
        cloud: "gcp",
        provider: cluster.provider,
        ready,
        cloudReady: services,
        egressAddresses: network.natAddresses,
        bindWorkloadIdentity,
        network,
        cluster,
        nodePools,
        fleet,
        outputs: { gkeClusterName: cluster.clusterName, gkeEndpoint: cluster.endpoint, gkeDnsEndpoint: cluster.dnsEndpoint, gkeKubeconfig: cluster.kubeconfig },
    };
}

/** The caller's options with the cluster's Kubernetes provider added, so the ServiceAccount lands on GKE. */
function withKubernetesProvider(opts: pulumi.ComponentResourceOptions | undefined, cluster: GkeCluster): pulumi.ComponentResourceOptions {
    const providers = opts?.providers;
    const list = providers === undefined ? [] : Array.isArray(providers) ? providers : Object.values(providers);
    return { ...opts, providers: [...list.filter((p) => (p as unknown as { getPackage?(): string }).getPackage?.() !== "kubernetes"), cluster.provider] };
}
