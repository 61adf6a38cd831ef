import { z } from "zod";
import { dnsName } from "./common";

export const keyAlgorithmSchema = z
    .strictObject({
        /** Key algorithm. @default "ECDSA" */
        algorithm: z.enum(["RSA", "ECDSA"]).default("ECDSA"),
        /** RSA key size, at least 2048. @default 4096 */
        rsaBits: z.number().int().min(2048, "RSA keys below 2048 bits are refused").default(4096),
        /** ECDSA curve. @default "P384" */
        ecdsaCurve: z.enum(["P256", "P384"]).default("P384"),
    });

export const pkiSchema = z
    .strictObject({
    root: z.strictObject({
        /** Root CA subject common name. @default "trustmesh <environment> root CA" */
        commonName: z.string().min(1).optional(),
        /** Subject organization. @default "trustmesh" */
        organization: z.string().min(1).default("trustmesh"),
        /** Key of the root CA. @default - ECDSA P384 */
        key: keyAlgorithmSchema.default(keyAlgorithmSchema.parse({})),
        /** Validity in hours. @default 87600 (10 years) */
        validityHours: z.number().int().positive().default(87600),
        /** Re-issue this many hours before expiry. @default 8760 (1 year) */
        earlyRenewalHours: z.number().int().nonnegative().default(8760),
    }).default({ organization: "trustmesh", key: keyAlgorithmSchema.parse({}), validityHours: 87600, earlyRenewalHours: 8760 }),
    intermediate: z.strictObject({
        /** Validity of each cluster's intermediate CA, in hours. @default 26280 (3 years) */
        validityHours: z.number().int().positive().default(26280),
        /** Re-issue this many hours before expiry. @default 2160 (90 days) */
        earlyRenewalHours: z.number().int().nonnegative().default(2160),
    }).default({ validityHours: 26280, earlyRenewalHours: 2160 }),
    acme: z
        .strictObject({
            /** Account email Let's Encrypt sends expiry notices to. Required: without it expiring certificates go unnoticed. */
            email: z.email({ message: "must be an email address Let's Encrypt can send expiry notices to" }),
            /** Let's Encrypt environment. @default - staging outside prod, production in prod */
            server: z.enum(["staging", "production"]).optional(),
            /** GCP project of the public Cloud DNS zone DNS01 solves in on GKE. @default - the gcp section's project */
            gcpDnsProject: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "must be a GCP project id").optional(),
            /** Public DNS zone (Cloud DNS managed zone name) DNS01 solves in on GKE. @default - cert-manager finds the zone */
            gcpDnsZone: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a Cloud DNS managed zone name (lowercase, digits, '-')").optional(),
            /** Public DNS zone name (e.g. example.com) in Azure DNS that DNS01 solves in on AKS. @default - no DNS01 on AKS */
            azureDnsZone: dnsName.optional(),
            /** Azure resource group of that zone. Required with azureDnsZone. */
            azureDnsResourceGroup: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, "must be an Azure resource group name").optional(),
            /** Only solve DNS01 for names under these zones. @default - every name */
            dnsZones: z.array(dnsName).optional(),
            /** Ingress class for an HTTP01 solver (public names served by an ingress). @default - no HTTP01 */
            http01IngressClassName: z.string().min(1).optional(),
        })
        .superRefine((acme, ctx) => {
            if ((acme.azureDnsZone === undefined) !== (acme.azureDnsResourceGroup === undefined)) {
                ctx.addIssue({
                    code: "custom",
                    path: [acme.azureDnsZone === undefined ? "azureDnsZone" : "azureDnsResourceGroup"],
                    message: "azureDnsZone and azureDnsResourceGroup go together: DNS01 on AKS needs both",
                });
            }
        })
        .optional(),
    /** Label (value "enabled") that makes a namespace receive the root CA bundle. @default "trustmesh.io/trust-bundle" */
    trustBundleNamespaceLabel: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "must be a Kubernetes label key").default("trustmesh.io/trust-bundle"),
})
    .superRefine((pki, ctx) => {
        for (const section of ["root", "intermediate"] as const) {
            if (pki[section].earlyRenewalHours >= pki[section].validityHours) {
                ctx.addIssue({
                    code: "custom",
                    path: [section, "earlyRenewalHours"],
                    message: `${pki[section].earlyRenewalHours} must be below validityHours ${pki[section].validityHours}, or the CA is re-issued on every run`,
                });
            }
        }
        if (pki.intermediate.validityHours > pki.root.validityHours) {
            ctx.addIssue({
                code: "custom",
                path: ["intermediate", "validityHours"],
                message: `${pki.intermediate.validityHours} is longer than the root's ${pki.root.validityHours}: an intermediate may not outlive its root`,
            });
        }
    });

export type PkiConfig = z.infer<typeof pkiSchema>;
