import { z } from "zod";
import { cidr, dnsLabel, refineDisjointCidrs, restrictedCidr } from "./common";

/** A network allowed to reach the GKE control plane. */
export const authorizedNetworkSchema = z.strictObject({
    /** What the network is, shown in the console. */
    displayName: z.string().min(1),
    /** The CIDR block; never 0.0.0.0/0. */
    cidrBlock: restrictedCidr,
});

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
    })
    .refine((p) => p.minNodes <= p.maxNodes, { message: "minNodes must not exceed maxNodes", path: ["minNodes"] });

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
                /** Primary range of the node subnet. */
                nodesCidr: cidr,
                /** Secondary range for pods (at least a /21). */
                podsCidr: cidr,
                /** Secondary range for services (at least a /24). */
                servicesCidr: cidr,
                /** The /28 the private control plane lives in. */
                masterCidr: cidr,
            })
            .superRefine((n, ctx) =>
                refineDisjointCidrs(ctx, [
                    { path: ["nodesCidr"], value: n.nodesCidr },
                    { path: ["podsCidr"], value: n.podsCidr },
                    { path: ["servicesCidr"], value: n.servicesCidr },
                    { path: ["masterCidr"], value: n.masterCidr },
                ]),
            ),
        cluster: z.strictObject({
            /** Cluster name. @default "<environment>-gke" */
            name: dnsLabel.optional(),
            /** Networks allowed to reach the control plane; never 0.0.0.0/0. */
            authorizedNetworks: z.array(authorizedNetworkSchema).default([]),
            /** Reach the control plane only on its private endpoint. @default - on in prod, off elsewhere */
            privateEndpoint: z.boolean().optional(),
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
    });

export type GcpConfig = z.infer<typeof gcpSchema>;
