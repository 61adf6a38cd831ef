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

/** A root CA. Its generation names its resources, so a new root never replaces the one in service. */
export const rootCaSchema = z.strictObject({
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
    /** Generation of this root: 1 for the first, one more for each rotation. It names the root's resources. @default 1 */
    generation: z.number().int().min(1).default(1),
});

/**
 * A root rotation in three phases, each one `pulumi up` (README, "Rotating the root CA"):
 * 1 both roots in every trust bundle and the meshes' trust anchors, intermediates still from the old root;
 * 2 the intermediates (and with them every leaf) re-issued from the new root, both roots still trusted;
 * 3 the old root retired from every bundle.
 */
export const rotationSchema = z.strictObject({
    /** The phase this update brings the stack to: 1, 2 or 3. */
    phase: z.number().int().min(1).max(3),
    /** The phase the stack is in now (the `pkiRotation.phase` output of its last update; 0 before the rotation starts). */
    deployedPhase: z.number().int().min(0).max(3),
});

export const pkiSchema = z
    .strictObject({
    /** The root CA in service. */
    root: rootCaSchema.default(rootCaSchema.parse({})),
    /**
     * The root a rotation moves to, beside `root` until the rotation ends (then it becomes `root`, with
     * its generation, and this is removed). Needs `rotation`. @default - no rotation
     */
    nextRoot: rootCaSchema.optional(),
    /** Where a root rotation stands. Required with nextRoot. @default - no rotation */
    rotation: rotationSchema.optional(),
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
        if (pki.nextRoot && pki.nextRoot.earlyRenewalHours >= pki.nextRoot.validityHours) {
            ctx.addIssue({ code: "custom", path: ["nextRoot", "earlyRenewalHours"], message: `${pki.nextRoot.earlyRenewalHours} must be below validityHours ${pki.nextRoot.validityHours}` });
        }
        if ((pki.nextRoot === undefined) !== (pki.rotation === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [pki.nextRoot ? "rotation" : "nextRoot"],
                message: "nextRoot and rotation go together: a rotation needs the root it moves to, and a next root needs the phase it is in",
            });
        }
        if (pki.nextRoot && pki.nextRoot.generation !== pki.root.generation + 1) {
            ctx.addIssue({ code: "custom", path: ["nextRoot", "generation"], message: `${pki.nextRoot.generation} must be ${pki.root.generation + 1}, one more than root.generation` });
        }
        if (pki.intermediate.validityHours > pki.root.validityHours) {
            ctx.addIssue({
                code: "custom",
                path: ["intermediate", "validityHours"],
                message: `${pki.intermediate.validityHours} is longer than the root's ${pki.root.validityHours}: an intermediate may not outlive its root`,
            });
        }
    });

/** What each rotation phase means, as the plan and the stack output show it. */
export const rotationPhaseMeaning: Record<number, string> = {
    0: "no rotation: one root, trusted everywhere, issuing the intermediates",
    1: "phase 1 of 3: both roots trusted everywhere, intermediates still from the current root",
    2: "phase 2 of 3: both roots trusted, intermediates (and every leaf) re-issued from the next root",
    3: "phase 3 of 3: the current root retired, only the next root trusted and issuing",
};

/**
 * Environment rules of a rotation: prod moves one phase per update. Skipping one breaks trust while the
 * update rolls out: 0 -> 2 issues leaves from a root peers do not trust yet; 1 -> 3 retires the root
 * whose intermediates are still in use; going back two phases does the same in reverse.
 */
export function pkiEnvironmentProblems(env: { environment: string; pki: PkiConfig }): Array<{ path: (string | number)[]; message: string }> {
    const rotation = env.pki.rotation;
    if (!rotation || env.environment !== "prod" || Math.abs(rotation.phase - rotation.deployedPhase) <= 1) return [];
    const next = rotation.deployedPhase + Math.sign(rotation.phase - rotation.deployedPhase);
    return [
        {
            path: ["pki", "rotation", "phase"],
            message:
                `${rotation.phase} is refused in prod from deployedPhase ${rotation.deployedPhase}: skipping a phase breaks trust while the update rolls out ` +
                `(${rotation.phase > rotation.deployedPhase ? "certificates from a root not yet trusted everywhere, or a root retired while its intermediates are in use" : "the same in reverse"}); deploy phase ${next} first`,
        },
    ];
}

export type PkiConfig = z.infer<typeof pkiSchema>;
