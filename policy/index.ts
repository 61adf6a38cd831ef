import { PolicyPack } from "@pulumi/policy";
import { allPolicies, packName } from "./registry";

// The entry `pulumi preview --policy-pack policy` loads. Enforcement per stack comes from the pack
// config (`--policy-pack-config policy/config/<stack>.json`): advisory in dev, mandatory elsewhere.
new PolicyPack(packName, { policies: allPolicies });
