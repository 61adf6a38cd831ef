import type { ResourceValidationArgs } from "@pulumi/policy";
import type { TrustmeshResourcePolicy } from "./types";
import { arr, isOpenCidr, isUnknownField, isUnknownPath, obj, packConfig, packConfigSchema } from "./values";

/**
 * GKE hardening (the deploy part of seed 002, and the CIS GKE benchmark), on `gcp:container/cluster:Cluster`
 * and `gcp:container/nodePool:NodePool` inputs. Fields are the provider's (`@pulumi/gcp` types/input.d.ts).
 * A field absent means the provider's default; a field present but undefined is unknown during preview.
 */

export const clusterType = "gcp:container/cluster:Cluster";
export const nodePoolType = "gcp:container/nodePool:NodePool";

const isCluster = (args: ResourceValidationArgs) => args.type === clusterType;

/** The node configs of a resource: a NodePool's, or a Cluster's default node config and inline node pools. */
interface NodeView {
    where: string;
    /** The node pool (management settings); {} for the cluster's default node config. */
    pool: Record<string, any>;
    nodeConfig: Record<string, any> | undefined;
    /** The object holding `nodeConfig`, to tell an unknown node config from a missing one. */
    holder: Record<string, any>;
}

function nodeConfigs(args: ResourceValidationArgs): NodeView[] {
    const props = obj(args.props);
    if (args.type === nodePoolType) {
        return [{ where: "the node pool", pool: props, nodeConfig: props.nodeConfig ?? undefined, holder: props }];
    }
    if (args.type !== clusterType) return [];
    const list: NodeView[] = [];
    // Autopilot manages nodes itself; a cluster that removes its default pool has no default nodes.
    if (props.enableAutopilot === true) return [];
    if (props.nodeConfig && props.removeDefaultNodePool !== true) list.push({ where: "the cluster's nodeConfig", pool: {}, nodeConfig: props.nodeConfig, holder: props });
    arr(props.nodePools).forEach((pool, i) => list.push({ where: `nodePools[${i}]`, pool: obj(pool), nodeConfig: obj(pool).nodeConfig ?? undefined, holder: obj(pool) }));
    return list;
}

function clusterPolicy(
    name: string,
    severity: TrustmeshResourcePolicy["severity"],
    description: string,
    check: (props: Record<string, any>, report: (message: string) => void, args: ResourceValidationArgs) => void,
    extra: Partial<TrustmeshResourcePolicy> = {},
): TrustmeshResourcePolicy {
    return {
        name,
        domain: "gke",
        severity,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (!isCluster(args)) return;
            check(obj(args.props), reportViolation, args);
        },
        ...extra,
    };
}

function nodePolicy(
    name: string,
    severity: TrustmeshResourcePolicy["severity"],
    description: string,
    check: (node: NodeView, report: (message: string) => void) => void,
): TrustmeshResourcePolicy {
    return {
        name,
        domain: "gke",
        severity,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            for (const node of nodeConfigs(args)) check(node, reportViolation);
        },
    };
}

export const privateNodes = clusterPolicy("gke-private-nodes", "high", "Checks that GKE nodes have private IPs only (privateClusterConfig.enablePrivateNodes).", (p, report) => {
    const config = obj(p.privateClusterConfig);
    if (isUnknownPath(p, "privateClusterConfig.enablePrivateNodes")) return;
    if (config.enablePrivateNodes !== true) report("set privateClusterConfig.enablePrivateNodes: true so nodes get no public IP (egress through Cloud NAT).");
});

export const authorizedNetworks = clusterPolicy(
    "gke-authorized-networks",
    "high",
    "Checks that the GKE control plane is reachable only from master authorized networks, none of them open to the internet.",
    (p, report) => {
        if (isUnknownField(p, "masterAuthorizedNetworksConfig")) return;
        const config = p.masterAuthorizedNetworksConfig;
        if (!config || typeof config !== "object") {
            report("set masterAuthorizedNetworksConfig with the CIDR blocks allowed to reach the control plane.");
            return;
        }
        for (const block of arr(config.cidrBlocks)) {
            if (isOpenCidr(obj(block).cidrBlock)) report(`masterAuthorizedNetworksConfig allows ${block.cidrBlock}; list only the networks that administer the cluster.`);
        }
        if (config.gcpPublicCidrsAccessEnabled === true) report("set masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled: false; any Google Cloud VM could reach the control plane.");
    },
);

export const workloadIdentity = clusterPolicy("gke-workload-identity", "high", "Checks that GKE Workload Identity is on (workloadIdentityConfig.workloadPool).", (p, report) => {
    if (isUnknownPath(p, "workloadIdentityConfig.workloadPool")) return;
    const pool = obj(p.workloadIdentityConfig).workloadPool;
    if (typeof pool !== "string" || !pool.endsWith(".svc.id.goog")) report('set workloadIdentityConfig.workloadPool: "<project>.svc.id.goog" so pods get Google identities without keys.');
});

export const metadataServer = nodePolicy(
    "gke-metadata-server",
    "high",
    "Checks that GKE nodes run the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA), which hides the node's credentials from pods.",
    ({ where, nodeConfig, holder }, report) => {
        if (isUnknownPath(holder, "nodeConfig.workloadMetadataConfig.mode")) return;
        if (obj(obj(nodeConfig).workloadMetadataConfig).mode !== "GKE_METADATA") report(`${where} must set nodeConfig.workloadMetadataConfig.mode: GKE_METADATA.`);
    },
);

export const shieldedNodes = clusterPolicy("gke-shielded-nodes", "medium", "Checks that GKE shielded nodes are not turned off (enableShieldedNodes).", (p, report) => {
    if (p.enableShieldedNodes === false) report("remove enableShieldedNodes: false; shielded nodes verify the node's identity and boot.");
});

export const secureBoot = nodePolicy(
    "gke-secure-boot",
    "medium",
    "Checks that GKE nodes boot with Secure Boot and integrity monitoring (nodeConfig.shieldedInstanceConfig).",
    ({ where, nodeConfig, holder }, report) => {
        const shielded = obj(obj(nodeConfig).shieldedInstanceConfig);
        if (isUnknownPath(holder, "nodeConfig.shieldedInstanceConfig.enableSecureBoot")) return;
        if (shielded.enableSecureBoot !== true) report(`${where} must set nodeConfig.shieldedInstanceConfig.enableSecureBoot: true.`);
        if (shielded.enableIntegrityMonitoring === false) report(`${where} must not set nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring: false.`);
    },
);

export const legacyAbac = clusterPolicy("gke-legacy-abac", "high", "Checks that GKE legacy ABAC is off, so RBAC alone grants access.", (p, report) => {
    if (p.enableLegacyAbac === true) report("set enableLegacyAbac: false (or remove it); legacy ABAC grants broad permissions outside RBAC.");
});

export const clientCertificate = clusterPolicy("gke-client-certificate", "high", "Checks that GKE issues no client certificate (masterAuth.clientCertificateConfig.issueClientCertificate).", (p, report) => {
    if (obj(obj(p.masterAuth).clientCertificateConfig).issueClientCertificate === true) {
        report("set masterAuth.clientCertificateConfig.issueClientCertificate: false; the certificate is a long-lived credential that cannot be revoked.");
    }
});

export const networkPolicy = clusterPolicy("gke-network-policy", "high", "Checks that GKE enforces NetworkPolicies: Dataplane V2 (datapathProvider ADVANCED_DATAPATH) or networkPolicy.enabled.", (p, report) => {
    if (isUnknownField(p, "datapathProvider")) return;
    if (p.datapathProvider === "ADVANCED_DATAPATH" || obj(p.networkPolicy).enabled === true || p.enableAutopilot === true) return;
    report('set datapathProvider: "ADVANCED_DATAPATH" (Dataplane V2) so NetworkPolicies are enforced.');
});

export const releaseChannel = clusterPolicy("gke-release-channel", "medium", "Checks that the GKE cluster is enrolled in a release channel (REGULAR, STABLE, RAPID or EXTENDED).", (p, report) => {
    const channel = obj(p.releaseChannel).channel;
    if (isUnknownPath(p, "releaseChannel.channel")) return;
    if (!["REGULAR", "STABLE", "RAPID", "EXTENDED"].includes(channel)) report(`releaseChannel.channel is ${channel ?? "<unset>"}; set REGULAR or STABLE so the control plane and nodes get security patches.`);
});

export const autoRepair = nodePolicy("gke-node-auto-repair", "medium", "Checks that GKE node pools keep auto-repair on (management.autoRepair).", ({ where, pool }, report) => {
    if (obj(pool.management).autoRepair === false) report(`${where} must not set management.autoRepair: false.`);
});

export const autoUpgrade = nodePolicy("gke-node-auto-upgrade", "medium", "Checks that GKE node pools keep auto-upgrade on (management.autoUpgrade), as release channels require.", ({ where, pool }, report) => {
    if (obj(pool.management).autoUpgrade === false) report(`${where} must not set management.autoUpgrade: false.`);
});

/** True for the Compute Engine default service account (`<number>-compute@developer.gserviceaccount.com`) or "default". */
export function isDefaultComputeServiceAccount(email: unknown): boolean {
    return email === "default" || (typeof email === "string" && /-compute@developer\.gserviceaccount\.com$/.test(email));
}

export const nodeServiceAccount = nodePolicy(
    "gke-node-service-account",
    "high",
    "Checks that GKE nodes run as their own least-privilege service account, not the Compute Engine default one.",
    ({ where, nodeConfig, holder }, report) => {
        if (isUnknownPath(holder, "nodeConfig.serviceAccount")) return;
        const sa = obj(nodeConfig).serviceAccount;
        if (sa === undefined || sa === null || isDefaultComputeServiceAccount(sa)) {
            report(`${where} must set nodeConfig.serviceAccount to a dedicated service account with only the logging/monitoring roles, not the Compute Engine default.`);
        }
    },
);

export const legacyMetadataEndpoints = nodePolicy("gke-legacy-metadata-endpoints", "medium", "Checks that GKE nodes keep the legacy metadata endpoints disabled.", ({ where, nodeConfig }, report) => {
    if (obj(obj(nodeConfig).metadata)["disable-legacy-endpoints"] === "false") report(`${where} must not set nodeConfig.metadata.disable-legacy-endpoints: "false".`);
});

export const kubernetesAlpha = clusterPolicy("gke-kubernetes-alpha", "medium", "Checks that GKE alpha features are off (enableKubernetesAlpha): alpha clusters get no upgrades or SLA.", (p, report) => {
    if (p.enableKubernetesAlpha === true) report("remove enableKubernetesAlpha: true.");
});

export const deletionProtection = clusterPolicy(
    "gke-deletion-protection",
    "high",
    "Checks that prod GKE clusters keep deletion protection on (deletionProtection).",
    (p, report, args) => {
        if (packConfig(args.getConfig).environment !== "prod") return;
        if (p.deletionProtection === false) report("prod clusters must keep deletionProtection: true.");
    },
    { configSchema: packConfigSchema },
);

export const binaryAuthorization = clusterPolicy(
    "gke-binary-authorization",
    "high",
    "Checks that prod GKE clusters enforce Binary Authorization (binaryAuthorization.evaluationMode PROJECT_SINGLETON_POLICY_ENFORCE).",
    (p, report, args) => {
        if (packConfig(args.getConfig).environment !== "prod") return;
        const config = obj(p.binaryAuthorization);
        if (isUnknownPath(p, "binaryAuthorization.evaluationMode")) return;
        if (config.evaluationMode !== "PROJECT_SINGLETON_POLICY_ENFORCE" && config.enabled !== true) {
            report('prod clusters must set binaryAuthorization.evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" so only attested images run.');
        }
    },
    { configSchema: packConfigSchema },
);

/** Basic (primitive) roles: far broader than any workload needs. */
export const primitiveRoles = new Set(["roles/owner", "roles/editor", "roles/viewer"]);
const iamTypes = new Set([
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
]);

export const noPrimitiveRoles: TrustmeshResourcePolicy = {
    name: "gcp-no-primitive-roles",
    domain: "gke",
    severity: "high",
    description: "Checks that no IAM member or binding grants a basic role (roles/owner, roles/editor, roles/viewer).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!iamTypes.has(args.type)) return;
        const role = obj(args.props).role;
        if (typeof role === "string" && primitiveRoles.has(role)) {
            reportViolation(`grants ${role}; grant the predefined or custom role with only the permissions needed.`);
        }
    },
};

export const gkePolicies: TrustmeshResourcePolicy[] = [
    privateNodes,
    authorizedNetworks,
    workloadIdentity,
    metadataServer,
    shieldedNodes,
    secureBoot,
    legacyAbac,
    clientCertificate,
    networkPolicy,
    releaseChannel,
    autoRepair,
    autoUpgrade,
    nodeServiceAccount,
    legacyMetadataEndpoints,
    kubernetesAlpha,
    deletionProtection,
    binaryAuthorization,
    noPrimitiveRoles,
];
