import { aksPolicies } from "./aks";
import { controlPlaneAccessPolicies } from "./controlPlaneAccess";
import { exposurePolicies } from "./exposure";
import { gkePolicies } from "./gke";
import { keyVaultPolicies } from "./keyVault";
import { meshPolicies } from "./mesh";
import { meshInjectionPolicies } from "./meshInjection";
import { namespacesNetworkPolicies } from "./namespacesNetwork";
import { networkFlowsPolicies } from "./networkFlows";
import { pkiPolicies } from "./pki";
import { podSecurityPolicies } from "./podSecurity";
import { secretManagerPolicies } from "./secretManager";
import { secretsPolicies } from "./secrets";
import type { PolicyDomain, TrustmeshPolicy } from "./types";
import { workloadHygienePolicies } from "./workloadHygiene";

/** The policies of each domain, in catalogue order. */
export const policiesByDomain: Record<PolicyDomain, TrustmeshPolicy[]> = {
    "pod-security": podSecurityPolicies,
    "workload-hygiene": workloadHygienePolicies,
    "namespaces-network": [...namespacesNetworkPolicies, ...networkFlowsPolicies],
    exposure: exposurePolicies,
    gke: gkePolicies,
    aks: aksPolicies,
    "key-vault": keyVaultPolicies,
    pki: pkiPolicies,
    mesh: [...meshPolicies, ...meshInjectionPolicies],
    secrets: secretsPolicies,
    "control-plane-access": controlPlaneAccessPolicies,
    "secret-manager": secretManagerPolicies,
};

/**
 * Every policy of the pack, in plain modules: the PolicyPack entry (index.ts), the offline plan and
 * `check`, and the tests all read this list, and none of them needs the pack's gRPC server.
 */
export const allPolicies: TrustmeshPolicy[] = Object.values(policiesByDomain).flat();

export const packName = "trustmesh";

/** The policy with this name; throws on a typo so tests and tools fail loudly. */
export function policyNamed(name: string): TrustmeshPolicy {
    const policy = allPolicies.find((p) => p.name === name);
    if (!policy) throw new Error(`no policy named "${name}" in the pack`);
    return policy;
}
