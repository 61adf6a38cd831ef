import * as container from "@pulumi/gcp/container";
import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { isProjectId, isServiceAccountId, serviceAccountIdFor } from "./gcpRules";

/**
 * What a node needs and nothing more: `roles/container.defaultNodeServiceAccount` (Google's minimal
 * node role: logs, metrics, autoscaler metrics and the node's own GKE calls; without it GKE reports the
 * nodes' account as lacking permissions and system metrics go missing), and pulling images from
 * Artifact Registry. Never the Compute default service account (Editor on the project).
 */
export const nodeServiceAccountRoles = ["roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"];

/** The taint GKE's own system components tolerate: a system pool keeps application pods off. */
export const systemPoolTaint = { key: "components.gke.io/gke-managed-components", value: "true", effect: "NO_SCHEDULE" };

export interface GkeNodePoolArgs {
    /** Project of the cluster and of the node service account. */
    project: string;
    /** Region of the (regional) cluster. */
    location: string;
    /** The cluster's name (GkeCluster.clusterName). */
    cluster: pulumi.Input<string>;
    /** Node pool name, unique in the cluster (RFC 1123 label). */
    poolName: string;
    /** Compute Engine machine type. @default "e2-standard-4" */
    machineType?: string;
    /** Minimum nodes per zone. @default 1 */
    minNodes?: number;
    /** Maximum nodes per zone. @default 3 */
    maxNodes?: number;
    /** Boot disk size in GB. @default 100 */
    diskSizeGb?: number;
    /** Keep application pods off the pool with GKE's system taint. @default false */
    system?: boolean;
    /** Zones of the pool. @default - the cluster's default zones in the region */
    nodeLocations?: string[];
    /** Network tags of the nodes (GcpNetwork.nodeTag, so webhook firewall rules apply). @default [] */
    networkTags?: pulumi.Input<string>[];
    /** Id of the pool's own service account. @default "<component name>" made a valid id */
    serviceAccountId?: string;
    /** Nested virtualization (/dev/kvm for KubeVirt); needs an Intel series such as N2. @default false */
    nestedVirtualization?: boolean;
    /** Taint (`trustmesh.io/dedicated=<value>:NoSchedule`) and label the pool for one workload only. @default - shared */
    dedicatedTo?: string;
}

/** The taint key of a dedicated pool; only pods tolerating `<key>=<value>` land there. */
export const dedicatedPoolTaintKey = "trustmesh.io/dedicated";

export function validateGkeNodePoolArgs(args: GkeNodePoolArgs): string[] {
    const problems: string[] = [];
    if (!args.project) problems.push("project is required (the GCP project id)");
    else if (!isProjectId(args.project)) problems.push(`project "${args.project}" must be a GCP project id`);
    if (!args.location) problems.push("location is required (the cluster's region)");
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(args.poolName ?? "")) problems.push(`poolName "${args.poolName}" must be a lowercase RFC 1123 label of at most 40 characters`);
    const min = args.minNodes ?? 1;
    const max = args.maxNodes ?? 3;
    if (!Number.isInteger(min) || min < 0) problems.push(`minNodes ${min} must be a whole number, 0 or more`);
    if (!Number.isInteger(max) || max < 1) problems.push(`maxNodes ${max} must be a whole number, 1 or more`);
    if (min > max) problems.push(`minNodes ${min} must not exceed maxNodes ${max}`);
    if (args.diskSizeGb !== undefined && (!Number.isInteger(args.diskSizeGb) || args.diskSizeGb < 20)) problems.push(`diskSizeGb ${args.diskSizeGb} must be at least 20`);
    if (args.dedicatedTo !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(args.dedicatedTo)) problems.push(`dedicatedTo "${args.dedicatedTo}" must be a lowercase RFC 1123 label`);
    if (args.system && args.dedicatedTo !== undefined) problems.push("a system pool cannot also be dedicatedTo a workload");
    if (args.serviceAccountId !== undefined && !isServiceAccountId(args.serviceAccountId)) {
        problems.push(`serviceAccountId "${args.serviceAccountId}" must be 6-30 lowercase letters, digits or hyphens, starting with a letter`);
    }
    return problems;
}

/**
 * A node pool with its own least-privilege service account, the GKE metadata server (pods see their
 * Workload Identity, never the node's credentials), shielded VMs with secure boot and integrity
 * monitoring, Container-Optimized OS, autoscaling, auto-repair and auto-upgrade.
 */
export class GkeNodePool extends pulumi.ComponentResource {
    public readonly nodePool: container.NodePool;
    public readonly serviceAccount: serviceaccount.Account;
    public readonly roleBindings: projects.IAMMember[];
    /** Email of the nodes' service account. */
    public readonly serviceAccountEmail: pulumi.Output<string>;
    /** The pool's name in the cluster. */
    public readonly poolName: pulumi.Output<string>;

    constructor(name: string, args: GkeNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateGkeNodePoolArgs(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(`GkeNodePool ${name}: ${problems.join("; ")}`);
        }
        super("trustmesh:index:GkeNodePool", name, args, opts);
        const built = buildGkeNodePool(name, args, this, opts?.dependsOn);
        this.nodePool = built.nodePool;
        this.serviceAccount = built.serviceAccount;
        this.roleBindings = built.roleBindings;
        this.serviceAccountEmail = built.serviceAccount.email;
        this.poolName = built.nodePool.name;
        this.registerOutputs({ serviceAccountEmail: this.serviceAccountEmail, poolName: this.poolName });
    }
}

export function buildGkeNodePool(name: string, args: GkeNodePoolArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const { project } = args;
    const serviceAccount = new serviceaccount.Account(
        `${name}-sa`,
        {
            project,
            accountId: args.serviceAccountId ?? serviceAccountIdFor(name),
            displayName: `GKE nodes of pool ${args.poolName} (trustmesh)`,
        },
        opts,
    );
    const roleBindings = nodeServiceAccountRoles.map(
        (role) =>
            new projects.IAMMember(
                `${name}-${role.replace(/^roles\//, "").replace(/\./g, "-").toLowerCase()}`,
                { project, role, member: serviceAccount.member },
                opts,
            ),
    );

    const minNodes = args.minNodes ?? 1;
    const nodePool = new container.NodePool(
        `${name}-pool`,
        {
            name: args.poolName,
            project,
            location: args.location,
            cluster: args.cluster,
            nodeLocations: args.nodeLocations,
            initialNodeCount: minNodes,
            autoscaling: { minNodeCount: minNodes, maxNodeCount: args.maxNodes ?? 3 },
            management: { autoRepair: true, autoUpgrade: true },
            upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
            nodeConfig: {
                machineType: args.machineType ?? "e2-standard-4",
                diskSizeGb: args.diskSizeGb ?? 100,
                diskType: "pd-balanced",
                imageType: "COS_CONTAINERD",
                serviceAccount: serviceAccount.email,
                // Access is decided by the service account's roles; the scope only lets IAM decide.
                oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                // Pods get the GKE metadata server: their Workload Identity, never the node's token.
                workloadMetadataConfig: { mode: "GKE_METADATA" },
                shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                metadata: { "disable-legacy-endpoints": "true" },
                kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
                tags: args.networkTags ?? [],
                labels: { "trustmesh.io/pool": args.poolName, ...(args.dedicatedTo ? { [dedicatedPoolTaintKey]: args.dedicatedTo } : {}) },
                taints: args.system
                    ? [systemPoolTaint]
                    : args.dedicatedTo
                      ? [{ key: dedicatedPoolTaintKey, value: args.dedicatedTo, effect: "NO_SCHEDULE" }]
                      : [],
                // Intel VT-x inside the node, so KubeVirt's virt-launcher gets /dev/kvm. Two threads per core is the series' default.
                ...(args.nestedVirtualization ? { advancedMachineFeatures: { enableNestedVirtualization: true, threadsPerCore: 2 } } : {}),
            },
        },
        // The nodes must hold their roles before they first pull an image or write a log line.
        // initialNodeCount forces a new pool when it changes (provider docs: "Changing this will force
        // recreation of the resource"), and the pool's fixed name would make that replacement fail:
        // it only sizes the pool at creation; the autoscaler owns the count afterwards.
        { parent, dependsOn: roleBindings, ignoreChanges: ["initialNodeCount"] },
    );

    return { serviceAccount, roleBindings, nodePool };
}
