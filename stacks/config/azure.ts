import { z } from "zod";
import { cidr, dnsLabel, refineDisjointCidrs, restrictedCidr } from "./common";

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID");

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
    .refine((p) => p.minCount <= p.maxCount, { message: "minCount must not exceed maxCount", path: ["minCount"] });

export const azureSchema = z.strictObject({
    /** Subscription id. */
    subscriptionId: uuid,
    /** Microsoft Entra tenant id. */
    tenantId: uuid,
    /** Azure region, e.g. westeurope. */
    location: z.string().regex(/^[a-z]+[a-z0-9]*$/, "must be an Azure region name such as westeurope"),
    network: z
        .strictObject({
            /** VNet address space. */
            vnetCidr: cidr,
            /** Node subnet, inside the VNet. */
            nodesCidr: cidr,
            /** Overlay pod range (outside the VNet). */
            podsCidr: cidr,
            /** Service range (outside the VNet). */
            servicesCidr: cidr,
        })
        .superRefine((n, ctx) =>
            refineDisjointCidrs(ctx, [
                { path: ["vnetCidr"], value: n.vnetCidr },
                { path: ["podsCidr"], value: n.podsCidr },
                { path: ["servicesCidr"], value: n.servicesCidr },
            ]),
        ),
    cluster: z.strictObject({
        /** Cluster name. @default "<environment>-aks" */
        name: dnsLabel.optional(),
        /** Entra group object ids that administer the cluster through Azure RBAC. */
        adminGroupObjectIds: z.array(uuid).min(1),
        /** Ranges allowed to reach the API server (never 0.0.0.0/0); ignored for a private cluster. */
        authorizedIpRanges: z.array(restrictedCidr).default([]),
        /** Private API server. @default - on in prod, off elsewhere */
        privateCluster: z.boolean().optional(),
        /** Pricing tier. @default - Standard in prod, Free elsewhere */
        tier: z.enum(["Free", "Standard", "Premium"]).optional(),
        /** Microsoft Defender for Containers. @default - on in prod */
        defender: z.boolean().optional(),
        /** Key Vault secrets provider rotation poll interval. @default "2m" */
        secretRotationInterval: z.string().regex(/^\d+[smh]$/).default("2m"),
    }),
    /** Node pools. @default - a system pool and a user pool */
    nodePools: z.array(aksNodePoolSchema).optional(),
    keyVault: z
        .strictObject({
            /** Vault name: 3-24 letters, digits and hyphens, globally unique. */
            name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, "must be 3-24 letters, digits and hyphens, starting with a letter"),
            /** Public IPs allowed through the vault firewall outside prod. */
            allowedIpRanges: z.array(restrictedCidr).default([]),
            /** Secrets to create; values should be set with `pulumi config set --secret`. */
            secrets: z.record(z.string().regex(/^[a-zA-Z0-9-]{1,127}$/), z.string()).default({}),
        })
        .optional(),
});

export type AzureConfig = z.infer<typeof azureSchema>;
