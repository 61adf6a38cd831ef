import type { RecordedResource } from "./engine";

/**
 * Fields of clusters, node pools, vaults, identities and the addresses peers admit that cannot change
 * in place. `replaces`: the provider deletes and recreates the resource (a new cluster, a new
 * principal id, a new IP). `refused`: the cloud API rejects the update after creation, so the deploy
 * fails half-way. Either way a config edit must never touch them unnoticed; the knob test
 * (test/replacement.test.ts) changes every config knob of prod one at a time and checks these.
 * Each entry names the documentation it comes from.
 */
export interface ReplacementField {
    /** Input path, dotted, `[0]` for a list index. */
    path: string;
    effect: "replaces" | "refused";
    /** Where the rule is documented. */
    source: string;
}

const gkeClusterDoc = "registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster (ForceNew; the Pulumi gcp provider bridges it)";
const gkeNodePoolDoc = "registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_node_pool (ForceNew); @pulumi/gcp NodePool.initialNodeCount: \"Changing this will force recreation of the resource\"";
const gcpAccountDoc = "registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account (account_id, project: ForceNew)";
const gcpAddressDoc = "registry.terraform.io/providers/hashicorp/google/latest/docs/resources/compute_address (every argument ForceNew)";
const armIdDoc = "Azure Resource Manager: name, resource group and location form the resource id; pulumi-azure-native replaces on a change of any (docs: learn.microsoft.com/azure/azure-resource-manager/management/move-support-resources)";
const aksImmutableDoc = "learn.microsoft.com/azure/aks: availability zones \"can only be set when creating the cluster or node pool\" (availability-zones), node pool VM size cannot be changed (resize-node-pool), network plugin, pod/service CIDRs and DNS service IP are fixed at creation (configure-azure-cni-overlay), a private cluster cannot be made public (private-clusters)";
const keyVaultDoc = "learn.microsoft.com/azure/key-vault/general/soft-delete-overview: retention is set at creation and purge protection cannot be turned off";

export const replacementFields: Record<string, ReplacementField[]> = {
    "gcp:container/cluster:Cluster": [
        ...["name", "location", "project", "network", "subnetwork", "networkingMode", "datapathProvider", "ipAllocationPolicy", "privateClusterConfig.masterIpv4CidrBlock", "initialNodeCount", "nodeConfig"].map(
            (path) => ({ path, effect: "replaces" as const, source: gkeClusterDoc }),
        ),
    ],
    "gcp:container/nodePool:NodePool": [
        ...["name", "cluster", "location", "project", "initialNodeCount", "nodeConfig.serviceAccount", "nodeConfig.oauthScopes", "nodeConfig.metadata", "nodeConfig.advancedMachineFeatures", "maxPodsPerNode"].map(
            (path) => ({ path, effect: "replaces" as const, source: gkeNodePoolDoc }),
        ),
    ],
    "gcp:serviceaccount/account:Account": ["accountId", "project"].map((path) => ({ path, effect: "replaces" as const, source: gcpAccountDoc })),
    "gcp:compute/address:Address": ["name", "project", "region", "addressType", "networkTier"].map((path) => ({ path, effect: "replaces" as const, source: gcpAddressDoc })),
    "azure-native:containerservice:ManagedCluster": [
        ...["resourceName", "resourceGroupName", "location"].map((path) => ({ path, effect: "replaces" as const, source: armIdDoc })),
        ...[
            "dnsPrefix",
            "networkProfile.networkPlugin",
            "networkProfile.podCidr",
            "networkProfile.serviceCidr",
            "networkProfile.dnsServiceIP",
            "apiServerAccessProfile.enablePrivateCluster",
            "agentPoolProfiles[0].name",
            "agentPoolProfiles[0].vmSize",
            "agentPoolProfiles[0].availabilityZones",
            "agentPoolProfiles[0].vnetSubnetID",
            "agentPoolProfiles[0].maxPods",
        ].map((path) => ({ path, effect: "refused" as const, source: aksImmutableDoc })),
    ],
    "azure-native:containerservice:AgentPool": [
        ...["agentPoolName", "resourceName", "resourceGroupName"].map((path) => ({ path, effect: "replaces" as const, source: armIdDoc })),
        ...["vmSize", "availabilityZones", "vnetSubnetID", "maxPods", "osType"].map((path) => ({ path, effect: "refused" as const, source: aksImmutableDoc })),
    ],
    "azure-native:keyvault:Vault": [
        ...["vaultName", "resourceGroupName", "location"].map((path) => ({ path, effect: "replaces" as const, source: armIdDoc })),
        ...["properties.softDeleteRetentionInDays", "properties.enablePurgeProtection"].map((path) => ({ path, effect: "refused" as const, source: keyVaultDoc })),
    ],
    "azure-native:managedidentity:UserAssignedIdentity": ["resourceName", "resourceGroupName", "location"].map((path) => ({ path, effect: "replaces" as const, source: armIdDoc })),
    "azure-native:managedidentity:FederatedIdentityCredential": ["federatedIdentityCredentialResourceName", "resourceName", "resourceGroupName"].map(
        (path) => ({ path, effect: "replaces" as const, source: armIdDoc }),
    ),
    "azure-native:network:PublicIPAddress": ["publicIpAddressName", "resourceGroupName", "location", "zones"].map((path) => ({ path, effect: "replaces" as const, source: armIdDoc })),
};

/** The value at a dotted input path (`a.b[0].c`). */
export function valueAt(inputs: Record<string, unknown>, path: string): unknown {
    let value: unknown = inputs;
    for (const part of path.split(/\.|(?=\[)/)) {
        if (value === null || typeof value !== "object") return undefined;
        const index = /^\[(\d+)\]$/.exec(part);
        value = index ? (value as unknown[])[Number(index[1])] : (value as Record<string, unknown>)[part];
    }
    return value;
}

/** True when `ignoreChanges` covers the path (the path itself or one of its parents). */
function ignored(resource: RecordedResource, path: string): boolean {
    return (resource.ignoreChanges ?? []).some((ignore) => path === ignore || path.startsWith(`${ignore}.`) || path.startsWith(`${ignore}[`));
}

/** A replace-forcing change between two plans of the same stack. */
export interface ReplacementChange {
    urn: string;
    type: string;
    /** The field, or "(resource)" when the resource itself appears or disappears (a new URN is a new resource). */
    path: string;
    effect: ReplacementField["effect"] | "created" | "deleted";
    before: unknown;
    after: unknown;
}

/**
 * What would be replaced or refused going from the `before` plan to the `after` plan: every listed
 * field whose value differs and that `ignoreChanges` does not cover, and every listed resource that
 * only one of the plans has.
 */
export function replacementChanges(before: RecordedResource[], after: RecordedResource[]): ReplacementChange[] {
    const watched = (resources: RecordedResource[]) => new Map(resources.filter((r) => replacementFields[r.type]).map((r) => [r.urn, r]));
    const old = watched(before);
    const next = watched(after);
    const changes: ReplacementChange[] = [];
    for (const [urn, resource] of old) {
        const now = next.get(urn);
        if (!now) {
            changes.push({ urn, type: resource.type, path: "(resource)", effect: "deleted", before: resource.name, after: undefined });
            continue;
        }
        for (const field of replacementFields[resource.type]!) {
            if (ignored(now, field.path)) continue;
            const was = valueAt(resource.inputs, field.path);
            const is = valueAt(now.inputs, field.path);
            if (JSON.stringify(was) !== JSON.stringify(is)) changes.push({ urn, type: resource.type, path: field.path, effect: field.effect, before: was, after: is });
        }
    }
    for (const [urn, resource] of next) {
        if (!old.has(urn)) changes.push({ urn, type: resource.type, path: "(resource)", effect: "created", before: undefined, after: resource.name });
    }
    return changes;
}
