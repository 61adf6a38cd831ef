import type { EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

/** The domains of the pack, one file each. */
export type PolicyDomain =
    | "pod-security"
    | "workload-hygiene"
    | "namespaces-network"
    | "exposure"
    | "gke"
    | "aks"
    | "key-vault"
    | "pki"
    | "mesh"
    | "secrets"
    | "control-plane-access"
    | "secret-manager";

interface TrustmeshPolicyMeta {
    /** The domain (file) the policy belongs to. */
    domain: PolicyDomain;
    severity: Severity;
}

export type TrustmeshResourcePolicy = ResourceValidationPolicy & TrustmeshPolicyMeta;
export type TrustmeshStackPolicy = StackValidationPolicy & TrustmeshPolicyMeta;
export type TrustmeshPolicy = TrustmeshResourcePolicy | TrustmeshStackPolicy;

export function isStackPolicy(policy: TrustmeshPolicy): policy is TrustmeshStackPolicy {
    return "validateStack" in policy && typeof policy.validateStack === "function";
}

/** The pack's own config, set per stack (`--policy-pack-config`, or the offline engine from the stack file). */
export interface TrustmeshPackConfig {
    /** The environment tier the policies judge. @default "prod" (the strictest) */
    environment?: "dev" | "staging" | "prod";
    /** Registries images may come from (prefix match). */
    allowedRegistries?: string[];
}

export type { EnforcementLevel };
