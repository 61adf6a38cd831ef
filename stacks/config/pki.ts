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

export const pkiSchema = z.strictObject({
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
            /** Account email Let's Encrypt sends expiry notices to. */
            email: z.email(),
            /** Let's Encrypt environment. @default - staging outside prod, production in prod */
            server: z.enum(["staging", "production"]).optional(),
            /** Public DNS zone (Cloud DNS managed zone name) DNS01 solves in on GKE. */
            gcpDnsZone: z.string().optional(),
            /** Public DNS zone name (e.g. example.com) in Azure DNS that DNS01 solves in on AKS. */
            azureDnsZone: dnsName.optional(),
            /** Azure resource group of that zone. */
            azureDnsResourceGroup: z.string().optional(),
        })
        .optional(),
});

export type PkiConfig = z.infer<typeof pkiSchema>;
