import { PolicyPack } from "@pulumi/policy";
import { allPolicies, packName } from "./registry";

// The entry `pulumi preview --policy-pack policy` loads. Enforcement per stack comes from the pack
// config (`--policy-pack-config policy/config/<stack>.json`): dev's `"all": "advisory"` makes every policy
// advisory; staging and prod leave `all` out, so each policy runs at its own level (the CLI would make an
// advisory policy mandatory under `"all": "mandatory"`; see packConfig.ts).
new PolicyPack(packName, { policies: allPolicies });
