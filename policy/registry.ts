import { podSecurityPolicies } from "./podSecurity";
import type { TrustmeshPolicy } from "./types";

/**
 * Every policy of the pack, in plain modules: the PolicyPack entry (index.ts), the offline plan and
 * `check`, and the tests all read this list, and none of them needs the pack's gRPC server.
 */
export const allPolicies: TrustmeshPolicy[] = [...podSecurityPolicies];

export const packName = "trustmesh";
