import { z } from "zod";
import { keyVaultNamePattern, keyVaultNameRule, keyVaultObjectNamePattern, keyVaultObjectNameRule } from "../../components/azureRules";
import { cidr, cidrContains, dnsLabel, isCanonicalCidr, prefixLength, refineDisjointCidrs, restrictedCidr, type EnvironmentTier } from "./common";

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID such as 00000000-0000-0000-0000-000000000000");

// Azure's Key Vault name rule lives with the KeyVault component (components/azureRules.ts).
export { keyVaultNamePattern, keyVaultNameRule } from "../../components/azureRules";

/** A Key Vault object name (secret, certificate or key): 1-127 letters, digits and hyphens. */
export const keyVaultObjectName = z.string().regex(keyVaultObjectNamePattern, keyVaultObjectNameRule);

export const aksNodePoolSchema = z
    .strictObject({
        /** Pool name: 1-12 lowercase letters and digits (an AKS rule). */
        name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, "must be 1-12 lowercase letters and digits, starting with a letter"),
        /** VM size. @default "Standard_D4s_v5" */
        vmSize: z.string().default("Standard_D4s_v5"),
        /** Minimum nodes. @default 1 */
        minCount: z.number().int().min(0).default(1),
        /** Maximum nodes. @default 3 */
        maxCount: z.number().int().min(1).default(3),
        /** System pool (critical add-ons only). @default false */
        system: z.boolean().default(false),
    })
    .refine((p) => p.minCount <= p.maxCount, { message: "minCount must not exceed maxCount", path: ["minCount"] })
    // AKS needs at least one node in a system pool to run CoreDNS and the metrics server.
    .refine((p) => !p.system || p.minCount >= 1, { message: "a system pool needs minCount of at least 1", path: ["minCount"] });

export const azureNetworkSchema = z
    .strictObject({
        /** VNet address space. */
        vnetCidr: cidr,
        /** Node subnet, inside the VNet (at most a /28). */
        nodesCidr: cidr,
        /** Overlay pod range (outside the VNet: CNI overlay pods never take VNet addresses). */
        podsCidr: cidr,
        /** Service range (outside the VNet). */
        servicesCidr: cidr,
    })
    .superRefine((n, ctx) => {
        refineDisjointCidrs(ctx, [
            { path: ["vnetCidr"], value: n.vnetCidr },
            { path: ["podsCidr"], value: n.podsCidr },
            { path: ["servicesCidr"], value: n.servicesCidr },
        ]);
        if (isCanonicalCidr(n.vnetCidr) && isCanonicalCidr(n.nodesCidr) && !cidrContains(n.vnetCidr, n.nodesCidr)) {
            ctx.addIssue({ code: "custom", path: ["nodesCidr"], message: `${n.nodesCidr} is not inside vnetCidr (${n.vnetCidr}); the node subnet must be carved from the VNet` });
        }
        if (isCanonicalCidr(n.nodesCidr) && prefixLength(n.nodesCidr) > 28) {
            ctx.addIssue({ code: "custom", path: ["nodesCidr"], message: `${n.nodesCidr} is too small: Azure subnets for AKS nodes must be at least a /28` });
        }
        if (isCanonicalCidr(n.servicesCidr) && prefixLength(n.servicesCidr) > 28) {
            ctx.addIssue({ code: "custom", path: ["servicesCidr"], message: `${n.servicesCidr} is too small: use at least a /28 so the DNS service IP fits` });
        }
    });

export const aksClusterSchema = z.strictObject({
    /** Cluster name. @default "<environment>-aks" */
    name: dnsLabel.optional(),
    /** Kubernetes version (major.minor). @default - the AKS default, then auto-upgraded by the channel */
    kubernetesVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, "must be a version such as 1.33").optional(),
    /** Entra group object ids that administer the cluster through Azure RBAC. */
    adminGroupObjectIds: z.array(uuid).min(1),
    /** Ranges allowed to reach the API server (never 0.0.0.0/0); ignored for a private cluster. */
    authorizedIpRanges: z.array(restrictedCidr).default([]),
    /** Private API server. @default - on in prod, off elsewhere (prod refuses false) */
    privateCluster: z.boolean().optional(),
    /** Pricing tier. @default - Standard in prod, Free elsewhere (prod refuses Free) */
    tier: z.enum(["Free", "Standard", "Premium"]).optional(),
    /** Microsoft Defender for Containers. @default - on in prod, off elsewhere */
    defender: z.boolean().optional(),
    /** Container Insights (logs to a Log Analytics workspace). @default - on in prod, off elsewhere */
    containerInsights: z.boolean().optional(),
    /** Azure Monitor managed Prometheus metrics. @default false */
    managedPrometheus: z.boolean().default(false),
    /** Kubernetes auto-upgrade channel. @default "stable" */
    upgradeChannel: z.enum(["rapid", "stable", "patch", "node-image"]).default("stable"),
    /** Node OS image upgrade channel. @default "NodeImage" */
    nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch", "Unmanaged"]).default("NodeImage"),
    /** Key Vault secrets provider rotation poll interval. @default "2m" */
    secretRotationInterval: z.string().regex(/^\d+[smh]$/, "must be a duration such as 2m, 30s or 1h").default("2m"),
});

export const keyVaultSchema = z.strictObject({
    /** Vault name: 3-24 letters, digits and hyphens, globally unique. */
    name: z.string().regex(keyVaultNamePattern, keyVaultNameRule),
    /** Public IPs allowed through the vault firewall outside prod (never 0.0.0.0/0). @default [] */
    allowedIpRanges: z.array(restrictedCidr).default([]),
    /** Public network access to the vault. @default - off in prod (prod refuses true), on behind the firewall elsewhere */
    publicNetworkAccess: z.boolean().optional(),
    /** Secrets to create; set the values with `pulumi config set --secret`. @default {} */
    secrets: z.record(keyVaultObjectName, z.string().min(1, "must not be empty")).default({}),
    /** Key Vault certificates (created outside trustmesh) the workload reads and syncs as kubernetes.io/tls. @default [] */
    certificates: z.array(keyVaultObjectName).default([]),
    /** Application namespace on aks whose workload reads the vault. @default - the first namespace listed on aks */
    namespace: dnsLabel.optional(),
    /** The ServiceAccount in that namespace bound to the vault-reading identity. @default "keyvault-reader" */
    serviceAccount: dnsLabel.default("keyvault-reader"),
});

export const azureSchema = z
    .strictObject({
        /** Subscription id. */
        subscriptionId: uuid,
        /** Microsoft Entra tenant id. */
        tenantId: uuid,
        /** Azure region, e.g. westeurope. */
        location: z.string().regex(/^[a-z]+[a-z0-9]*$/, "must be an Azure region name such as westeurope"),
        /** Resource group of the environment. @default "<environment>-trustmesh" */
        resourceGroupName: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'").optional(),
        network: azureNetworkSchema,
        cluster: aksClusterSchema,
        /** Node pools. @default - a system pool and a user pool */
        nodePools: z.array(aksNodePoolSchema).optional(),
        /**
         * Availability zones of every node pool (and of the cluster's outbound IPs). AKS cannot change a
         * pool's zones after it is created, so prod sets them from the first deploy.
         * @default - ["1", "2", "3"] in prod (an explicit list there needs at least two), none elsewhere
         */
        availabilityZones: z.array(z.enum(["1", "2", "3"])).optional(),
        keyVault: keyVaultSchema.optional(),
    })
    .superRefine((azure, ctx) => {
        if (!azure.nodePools) return;
        if (!azure.nodePools.some((p) => p.system)) {
            ctx.addIssue({ code: "custom", path: ["nodePools"], message: "needs at least one pool with system: true (AKS runs its critical add-ons there)" });
        }
        const seen = new Set<string>();
        azure.nodePools.forEach((pool, index) => {
            if (seen.has(pool.name)) ctx.addIssue({ code: "custom", path: ["nodePools", index, "name"], message: `pool "${pool.name}" is listed twice` });
            seen.add(pool.name);
        });
    });

export type AzureConfig = z.infer<typeof azureSchema>;
export type AksNodePoolConfig = z.infer<typeof aksNodePoolSchema>;

/** Node pools used when the stack lists none: a small tainted system pool and an autoscaled user pool. */
export const defaultAksNodePools: AksNodePoolConfig[] = [
    { name: "system", vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 3, system: true },
    { name: "apps", vmSize: "Standard_D4s_v5", minCount: 1, maxCount: 5, system: false },
];

/** Prod's floor for a system pool: with one node, a node upgrade or a zone outage stops CoreDNS and konnectivity. */
export const prodMinSystemNodes = 2;
/** The zones prod spreads its node pools over when the stack names none. */
export const prodAvailabilityZones = ["1", "2", "3"];

/** The Azure settings once the environment tier's defaults are applied. */
export interface ResolvedAksSettings {
    clusterName: string;
    resourceGroupName: string;
    privateCluster: boolean;
    tier: "Free" | "Standard" | "Premium";
    defender: boolean;
    containerInsights: boolean;
    keyVaultPublicNetworkAccess: boolean;
    nodePools: AksNodePoolConfig[];
    /** Zones of the node pools and outbound IPs; empty: no zone pinning. */
    availabilityZones: string[];
}

/**
 * Applies the tier defaults: prod gets a private API server, the Standard (SLA) tier, Defender,
 * Container Insights and a vault without public network access; dev and staging stay reachable
 * behind their authorized ranges and firewall.
 */
export function resolveAksSettings(config: { environment: EnvironmentTier; azure: AzureConfig }): ResolvedAksSettings {
    const prod = config.environment === "prod";
    const { azure } = config;
    return {
        clusterName: azure.cluster.name ?? `${config.environment}-aks`,
        resourceGroupName: azure.resourceGroupName ?? `${config.environment}-trustmesh`,
        privateCluster: azure.cluster.privateCluster ?? prod,
        tier: azure.cluster.tier ?? (prod ? "Standard" : "Free"),
        defender: azure.cluster.defender ?? prod,
        containerInsights: azure.cluster.containerInsights ?? prod,
        keyVaultPublicNetworkAccess: azure.keyVault?.publicNetworkAccess ?? !prod,
        nodePools:
            azure.nodePools ??
            (prod ? defaultAksNodePools.map((p) => (p.system ? { ...p, minCount: Math.max(p.minCount, prodMinSystemNodes) } : p)) : defaultAksNodePools),
        availabilityZones: azure.availabilityZones ?? (prod ? prodAvailabilityZones : []),
    };
}

/** One problem found across config sections, with its path under `trustmesh:`. */
export interface AzureEnvironmentProblem {
    path: (string | number)[];
    message: string;
}

/**
 * Checks that need the environment tier or other sections: what prod refuses, a public API server
 * without authorized ranges, and the Key Vault namespace being one the stack puts on aks. Meant for
 * the environment schema's superRefine; `deployAzure` also runs it so nothing is created on a bad config.
 */
export function azureEnvironmentProblems(config: {
    environment: EnvironmentTier;
    azure?: AzureConfig;
    namespaces: Array<{ name: string; clusters: string[] }>;
}): AzureEnvironmentProblem[] {
    const { azure } = config;
    if (!azure) return [];
    const problems: AzureEnvironmentProblem[] = [];
    const settings = resolveAksSettings({ environment: config.environment, azure });
    if (config.environment === "prod") {
        if (azure.cluster.privateCluster === false) {
            problems.push({ path: ["azure", "cluster", "privateCluster"], message: "false is refused in prod: the API server must be private" });
        }
        if (azure.cluster.tier === "Free") {
            problems.push({ path: ["azure", "cluster", "tier"], message: '"Free" is refused in prod: it has no uptime SLA; use "Standard" or "Premium"' });
        }
        if (azure.keyVault?.publicNetworkAccess === true) {
            problems.push({ path: ["azure", "keyVault", "publicNetworkAccess"], message: "true is refused in prod: the vault is reached through the cluster's network only" });
        }
        azure.nodePools?.forEach((pool, index) => {
            if (pool.system && pool.minCount < prodMinSystemNodes) {
                problems.push({
                    path: ["azure", "nodePools", index, "minCount"],
                    message: `${pool.minCount} is refused in prod for system pool "${pool.name}": it needs at least ${prodMinSystemNodes} nodes so an upgrade or a zone outage does not stop CoreDNS`,
                });
            }
        });
        if (azure.availabilityZones !== undefined && new Set(azure.availabilityZones).size < 2) {
            problems.push({
                path: ["azure", "availabilityZones"],
                message: `${JSON.stringify(azure.availabilityZones)} is refused in prod: list at least two of "1", "2", "3" (AKS cannot add zones to a pool after it is created)`,
            });
        }
    }
    if (!settings.privateCluster && azure.cluster.authorizedIpRanges.length === 0) {
        problems.push({
            path: ["azure", "cluster", "authorizedIpRanges"],
            message: "is empty on a public cluster, which would open the API server to the whole internet; list the networks that need access or set privateCluster: true",
        });
    }
    if (azure.keyVault) {
        const onAks = config.namespaces.filter((ns) => ns.clusters.includes("aks")).map((ns) => ns.name);
        const wanted = azure.keyVault.namespace;
        if (wanted && !onAks.includes(wanted)) {
            problems.push({
                path: ["azure", "keyVault", "namespace"],
                message: `"${wanted}" is not a namespace the stack puts on aks; allowed: ${onAks.length > 0 ? onAks.join(", ") : "(none: add one to trustmesh:namespaces)"}`,
            });
        }
        if (!wanted && onAks.length === 0) {
            problems.push({ path: ["azure", "keyVault"], message: "needs an application namespace on aks for its workload: list one in trustmesh:namespaces with clusters: [aks]" });
        }
    }
    return problems;
}

/** The Key Vault namespace after defaults: the configured one, else the first namespace on aks. */
export function keyVaultNamespace(config: { azure?: AzureConfig; namespaces: Array<{ name: string; clusters: string[] }> }): string | undefined {
    return config.azure?.keyVault?.namespace ?? config.namespaces.find((ns) => ns.clusters.includes("aks"))?.name;
}
