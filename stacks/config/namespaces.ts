import { z } from "zod";
import { clusterNames, dnsLabel } from "./common";

/** Namespaces the platform itself owns; application namespaces may not take these names. */
export const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "cert-manager", "istio-system"];

/** A Kubernetes resource quantity such as `500m`, `4`, `8Gi`. */
const quantity = z.string().regex(/^(\d+(\.\d+)?|\.\d+)([munkMGTPE]|[KMGTPE]i|[eE][+-]?\d+)?$/, "must be a Kubernetes quantity such as 500m, 4 or 8Gi");

export const namespaceQuotaSchema = z.strictObject({
    /** CPU requests the namespace may hold in total, in Kubernetes quantity form. @default "4" */
    requestsCpu: quantity.default("4"),
    /** Memory requests in total. @default "8Gi" */
    requestsMemory: quantity.default("8Gi"),
    /** CPU limits in total. @default "8" */
    limitsCpu: quantity.default("8"),
    /** Memory limits in total. @default "16Gi" */
    limitsMemory: quantity.default("16Gi"),
    /** Pods in total. @default 50 */
    pods: z.number().int().positive().default(50),
});

/** A secret's name: valid in Key Vault and Secret Manager alike, and the file name in the pod's mount. */
const applicationSecretName = z.string().regex(/^[a-zA-Z0-9-]{1,127}$/, "must be 1-127 letters, digits and hyphens (a Key Vault and Secret Manager name, and the file name in the mount)");

/** An application's secrets: the same shape on either cloud (Secret Manager on gke, Key Vault on aks). */
export const applicationSecretsSchema = z.strictObject({
    /** Kubernetes ServiceAccount the application runs as; it gets the cloud identity. @default "app-secrets" */
    serviceAccount: dnsLabel.default("app-secrets"),
    /** Secret name -> value; set each with `pulumi config set --secret --path`. */
    values: z.record(applicationSecretName, z.string().min(1, "must not be empty")).refine((values) => Object.keys(values).length > 0, { message: "must list at least one secret" }),
});

export const namespaceSchema = z
    .strictObject({
        /** Namespace name (RFC 1123 label). */
        name: dnsLabel.refine((n) => !reservedNamespaces.includes(n), {
            message: `is reserved for the platform (${reservedNamespaces.join(", ")})`,
        }),
        /** Which clusters get the namespace. @default ["gke", "aks"] */
        clusters: z.array(z.enum(clusterNames)).min(1).default([...clusterNames]),
        /** Pod Security Admission level enforced. @default "restricted" */
        podSecurity: z.enum(["restricted", "baseline"]).default("restricted"),
        /** Required when podSecurity is baseline: why this namespace cannot run restricted. */
        baselineReason: z.string().min(10).optional(),
        /** Istio sidecar injection. @default true */
        sidecarInjection: z.boolean().default(true),
        /** Receive the environment's root CA bundle from trust-manager. @default true */
        trustBundle: z.boolean().default(true),
        /** ResourceQuota for the namespace. @default - the defaults of each field */
        quota: namespaceQuotaSchema.default(namespaceQuotaSchema.parse({})),
        /** The application's secrets, delivered through the cluster's secret store and its own cloud identity. @default - none */
        secrets: applicationSecretsSchema.optional(),
    })
    .superRefine((ns, ctx) => {
        if (ns.podSecurity === "baseline" && !ns.baselineReason) {
            ctx.addIssue({
                code: "custom",
                path: ["baselineReason"],
                message: "is required when podSecurity is baseline: say why this namespace cannot run restricted",
            });
        }
    });

export type NamespaceConfig = z.infer<typeof namespaceSchema>;
