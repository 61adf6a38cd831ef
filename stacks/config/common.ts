import { z } from "zod";
import { cidrsOverlap, isCanonicalCidr, prefixLength } from "../../components/cidr";
import { dnsNamePattern, rfc1123Label } from "../../components/names";

// The CIDR rules live with the components (components/cidr.ts); re-exported for the config modules.
export { cidrContains, cidrsOverlap, isCanonicalCidr, prefixLength } from "../../components/cidr";

/** The environment tiers. `prod` refuses the weakest settings; `dev` is allowed to be small and public. */
export const environmentTiers = ["dev", "staging", "prod"] as const;
export type EnvironmentTier = (typeof environmentTiers)[number];

/** The two clusters an environment runs. Their names are also the keys of manifests and plan groups. */
export const clusterNames = ["gke", "aks"] as const;
export type ClusterName = (typeof clusterNames)[number];

/** An IPv4 CIDR block such as `10.0.0.0/16`; the host bits must be zero. */
export const cidr = z.string().refine((value) => isCanonicalCidr(value), {
    message: "must be an IPv4 CIDR with zero host bits, e.g. 10.0.0.0/16",
});

/** A CIDR that may be used to open a control plane: anything but the whole internet. */
export const restrictedCidr = cidr.refine((value) => prefixLength(value) > 0, {
    message: "0.0.0.0/0 would open this to the whole internet; list the networks that need access",
});

/** A Kubernetes object name (RFC 1123 label). */
export const dnsLabel = z
    .string()
    .max(63)
    .regex(rfc1123Label, "must be a lowercase RFC 1123 label (a-z, 0-9, '-'), at most 63 characters");

/** A fully qualified DNS name such as `mysql.prod.example.com` (no wildcard, no trailing dot). */
export const dnsName = z
    .string()
    .max(253)
    .regex(dnsNamePattern, "must be a lowercase fully qualified DNS name such as app.example.com");

/**
 * Adds an issue for every pair of named CIDRs that overlap. Used by the network sections, where pod,
 * service, node and control-plane ranges must all be disjoint.
 */
export function refineDisjointCidrs(
    ctx: z.RefinementCtx,
    blocks: Array<{ path: (string | number)[]; value: string | undefined }>,
): void {
    const valid = blocks.filter((b): b is { path: (string | number)[]; value: string } => !!b.value && isCanonicalCidr(b.value));
    for (let i = 0; i < valid.length; i++) {
        for (let j = i + 1; j < valid.length; j++) {
            const a = valid[i]!;
            const b = valid[j]!;
            if (cidrsOverlap(a.value, b.value)) {
                ctx.addIssue({
                    code: "custom",
                    path: b.path,
                    message: `${b.value} overlaps ${a.path.join(".")} (${a.value}); the ranges must be disjoint`,
                });
            }
        }
    }
}
