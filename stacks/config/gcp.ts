import { z } from "zod";
import { gkeRangeProblems, minAuthorizedNetworkPrefix } from "../../components/gcpRules";
import { cidr, dnsLabel, prefixLength, restrictedCidr, type EnvironmentTier } from "./common";

/** A network allowed to reach the GKE control plane. */
export const authorizedNetworkSchema = z.strictObject({
    /** What the network is, shown in the console. */
    displayName: z.string().min(1),
    /** The CIDR block; never 0.0.0.0/0, nor anything wider than a /8. */
    cidrBlock: restrictedCidr.refine((value) => prefixLength(value) === 0 || prefixLength(value) >= minAuthorizedNetworkPrefix, {
        message: `is wider than a /${minAuthorizedNetworkPrefix} and would open the control plane to a large part of the internet; list the networks that need access`,
    }),
});

/** Compute Engine series whose VMs expose Intel VT-x to GKE nodes (GKE's nested virtualization). */
export const nestedVirtualizationMachineSeries = ["n1", "n2", "c2", "c3"];

export const gkeNodePoolSchema = z
    .strictObject({
        /** Pool name, unique in the cluster. */
        name: dnsLabel,
        /** Compute Engine machine type. @default "e2-standard-4" */
        machineType: z.string().default("e2-standard-4"),
        /** Minimum nodes per zone. @default 1 */
        minNodes: z.number().int().min(0).default(1),
        /** Maximum nodes per zone. @default 3 */
        maxNodes: z.number().int().min(1).default(3),
        /** Boot disk size in GB. @default 100 */
        diskSizeGb: z.number().int().min(20).default(100),
        /** Taint the pool for system workloads only. @default false */
        system: z.boolean().default(false),
        /** Nested virtualization (/dev/kvm for KubeVirt); Intel N1, N2, C2 or C3 machines only. @default false */
        nestedVirtualization: z.boolean().default(false),
        /** Taint and label the pool for one kind of workload only, e.g. "kubevirt". @default - shared */
        dedicatedTo: dnsLabel.optional(),
    })
    .refine((p) => p.minNodes <= p.maxNodes, { message: "minNodes must not exceed maxNodes", path: ["minNodes"] })
    .refine((p) => !p.nestedVirtualization || nestedVirtualizationMachineSeries.includes(p.machineType.split("-")[0] ?? ""), {
        message: `nestedVirtualization needs an Intel machine series that supports it (${nestedVirtualizationMachineSeries.join(", ")}), e.g. n2-standard-4`,
        path: ["machineType"],
    })
    .refine((p) => !(p.system && p.dedicatedTo), { message: "a system pool cannot also be dedicated to a workload", path: ["dedicatedTo"] });

export const gcpSchema = z
    .strictObject({
        /** GCP project id. */
        project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "must be a GCP project id: 6-30 lowercase letters, digits or hyphens"),
        /** Region of the network and the regional cluster, e.g. europe-west1. */
        region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, "must be a GCP region such as europe-west1"),
        /** Zones for the node pools. @default - the region's default zones */
        zones: z.array(z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a GCP zone such as europe-west1-b")).optional(),
        network: z
            .strictObject({
                /** Primary range of the node subnet (at least a /29). */
                nodesCidr: cidr,
                /** Secondary range for pods (at least a /21). */
                podsCidr: cidr,
                /** Secondary range for services (at least a /24). */
                servicesCidr: cidr,
                /** The /28 the private control plane lives in (RFC 1918). */
                masterCidr: cidr,
            })
            // Sizes (nodes /29, pods /21, services /24 at least; master exactly an RFC 1918 /28) and overlaps.
            .superRefine((n, ctx) => {
                for (const problem of gkeRangeProblems(n)) {
                    ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
                }
            }),
        cluster: z.strictObject({
            /** Cluster name, at most 40 characters. @default "<environment>-gke" */
            name: dnsLabel.max(40, "GKE cluster names are at most 40 characters").optional(),
            /** Networks allowed to reach the control plane; never 0.0.0.0/0. */
            authorizedNetworks: z.array(authorizedNetworkSchema).default([]),
            /** Reach the control plane only on its private endpoint. @default - on in prod, off elsewhere */
            privateEndpoint: z.boolean().optional(),
            /**
             * The DNS-based control-plane endpoint (IAM-gated, reachable from any network): the one the
             * deployment and the kubeconfig use. Off leaves only the IP endpoints. @default true
             */
            dnsEndpoint: z.boolean().default(true),
            /** GKE release channel. @default - STABLE in prod, REGULAR elsewhere */
            releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).optional(),
            /** Enforce Binary Authorization. @default - on in prod, off elsewhere */
            binaryAuthorization: z.boolean().optional(),
            /** Cloud KMS key for application-layer secret encryption (projects/.../cryptoKeys/...). @default - Google-managed encryption */
            databaseEncryptionKey: z.string().regex(/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/).optional(),
            /** Daily maintenance window start, HH:MM in UTC. @default "03:00" */
            maintenanceStartTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/).default("03:00"),
        }),
        /** Node pools. @default - a system pool and an apps pool */
        nodePools: z.array(gkeNodePoolSchema).optional(),
        /** Use Google's managed Istio (fleet service mesh) instead of the Helm-installed Istio. @default false */
        managedMesh: z.boolean().default(false),
    })
    .superRefine((gcp, ctx) => {
        gcp.zones?.forEach((zone, index) => {
            if (!zone.startsWith(`${gcp.region}-`)) {
                ctx.addIssue({ code: "custom", path: ["zones", index], message: `zone "${zone}" is not in region ${gcp.region}` });
            }
        });
        const cidrs = new Set<string>();
        gcp.cluster.authorizedNetworks.forEach((network, index) => {
            if (cidrs.has(network.cidrBlock)) {
                ctx.addIssue({ code: "custom", path: ["cluster", "authorizedNetworks", index, "cidrBlock"], message: `${network.cidrBlock} is listed twice` });
            }
            cidrs.add(network.cidrBlock);
        });
        const pools = new Set<string>();
        gcp.nodePools?.forEach((pool, index) => {
            if (pools.has(pool.name)) {
                ctx.addIssue({ code: "custom", path: ["nodePools", index, "name"], message: `node pool "${pool.name}" is listed twice` });
            }
            pools.add(pool.name);
        });
        if (gcp.nodePools && !gcp.nodePools.some((pool) => !pool.system)) {
            ctx.addIssue({
                code: "custom",
                path: ["nodePools"],
                message: "needs at least one pool without system: true, or applications have nowhere to run (leave nodePools out for a system and an apps pool)",
            });
        }
    });

export type GcpConfig = z.infer<typeof gcpSchema>;

export type GkeNodePoolConfig = z.output<typeof gkeNodePoolSchema>;

/** The GKE side of an environment with every environment-dependent default decided. */
export interface GkeSettings {
    project: string;
    region: string;
    zones?: string[];
    clusterName: string;
    network: GcpConfig["network"];
    authorizedNetworks: Array<{ displayName: string; cidrBlock: string }>;
    privateEndpoint: boolean;
    dnsEndpoint: boolean;
    releaseChannel: "RAPID" | "REGULAR" | "STABLE";
    deletionProtection: boolean;
    binaryAuthorization: boolean;
    databaseEncryptionKey?: string;
    maintenanceStartTime: string;
    nodePools: GkeNodePoolConfig[];
    managedMesh: boolean;
}

/** The pools a stack gets when it lists none: a small tainted system pool and an apps pool. */
export const defaultGkeNodePools: GkeNodePoolConfig[] = [
    gkeNodePoolSchema.parse({ name: "system", machineType: "e2-standard-2", minNodes: 1, maxNodes: 2, system: true }),
    gkeNodePoolSchema.parse({ name: "apps" }),
];

/**
 * Resolves the GKE settings from a validated config: prod gets the private endpoint, the STABLE
 * channel and Binary Authorization unless the stack says otherwise, and deletion protection is on
 * everywhere but dev (not a setting: a prod cluster is never deletable by a stray `destroy`).
 */
export function resolveGkeSettings(config: { environment: EnvironmentTier; gcp?: GcpConfig }): GkeSettings {
    const gcp = config.gcp;
    if (!gcp) throw new Error("resolveGkeSettings: the stack has no trustmesh:gcp section");
    const prod = config.environment === "prod";
    return {
        project: gcp.project,
        region: gcp.region,
        zones: gcp.zones,
        clusterName: gcp.cluster.name ?? `${config.environment}-gke`,
        network: gcp.network,
        authorizedNetworks: gcp.cluster.authorizedNetworks,
        privateEndpoint: gcp.cluster.privateEndpoint ?? prod,
        dnsEndpoint: gcp.cluster.dnsEndpoint,
        releaseChannel: gcp.cluster.releaseChannel ?? (prod ? "STABLE" : "REGULAR"),
        deletionProtection: config.environment !== "dev",
        binaryAuthorization: gcp.cluster.binaryAuthorization ?? prod,
        databaseEncryptionKey: gcp.cluster.databaseEncryptionKey,
        maintenanceStartTime: gcp.cluster.maintenanceStartTime,
        nodePools: gcp.nodePools ?? defaultGkeNodePools,
        managedMesh: gcp.managedMesh,
    };
}

/** A GKE setting the environment tier refuses, with its key path under `trustmesh:`. */
export interface GcpEnvironmentProblem {
    path: (string | number)[];
    message: string;
}

/**
 * What prod refuses outright on the GKE side: each would weaken a default prod relies on. The policy
 * pack would flag them too, but as config errors they stop the deploy before anything is registered.
 */
export function gcpEnvironmentProblems(config: { environment: EnvironmentTier; gcp?: GcpConfig }): GcpEnvironmentProblem[] {
    const cluster = config.gcp?.cluster;
    if (!cluster || config.environment !== "prod") return [];
    const problems: GcpEnvironmentProblem[] = [];
    if (cluster.privateEndpoint === false) {
        problems.push({ path: ["gcp", "cluster", "privateEndpoint"], message: "false is refused in prod: the control plane must be reachable on its private endpoint only" });
    }
    if (cluster.binaryAuthorization === false) {
        problems.push({ path: ["gcp", "cluster", "binaryAuthorization"], message: "false is refused in prod: only attested images may run" });
    }
    if (cluster.releaseChannel === "RAPID") {
        problems.push({ path: ["gcp", "cluster", "releaseChannel"], message: '"RAPID" is refused in prod: it gets versions before they are proven; use "STABLE" or "REGULAR"' });
    }
    return problems;
}
