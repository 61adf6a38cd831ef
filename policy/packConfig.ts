import { readFileSync } from "node:fs";
import type { EnforcementLevel } from "./types";

/**
 * A pack config as `pulumi preview|up --policy-pack-config <file>` reads it (the unversioned form): `all`
 * and one entry per policy, each an enforcement level or an object of settings that may carry
 * `enforcementLevel`.
 */
export type PolicyPackConfigFile = Record<string, unknown>;

/** Reads a pack config file; anything but a JSON object is refused, naming the file. */
export function readPolicyPackConfigFile(file: string): PolicyPackConfigFile {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${file}: a policy pack config must be a JSON object`);
    return parsed as PolicyPackConfigFile;
}

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The level an entry of the file sets, or undefined when it sets none; a wrong value throws, as the CLI refuses it. */
function entryLevel(key: string, entry: unknown): EnforcementLevel | undefined {
    const level = typeof entry === "string" ? entry : entry !== null && typeof entry === "object" ? (entry as { enforcementLevel?: unknown }).enforcementLevel : undefined;
    if (level === undefined) return undefined;
    if (!levels.includes(level as EnforcementLevel)) {
        throw new Error(`policy pack config: "${key}" sets enforcement level ${JSON.stringify(level)}; allowed: ${levels.join(", ")}`);
    }
    return level as EnforcementLevel;
}

/**
 * The level a policy runs at under a pack config, as the Pulumi CLI reconciles it (pkg/resource/analyzer,
 * ReconcilePolicyPackConfig): the policy's own level, replaced by `all` for every policy (advisory ones and
 * disabled ones included), then by the policy's own entry. So `"all": "mandatory"` makes advisory policies
 * block a deploy; a pack config that wants each policy at its own level leaves `all` out.
 */
export function configuredLevel(policy: { name: string; enforcementLevel?: EnforcementLevel }, packConfig: PolicyPackConfigFile): EnforcementLevel {
    let level: EnforcementLevel = policy.enforcementLevel ?? "advisory";
    level = entryLevel("all", packConfig.all) ?? level;
    return entryLevel(policy.name, packConfig[policy.name]) ?? level;
}

/** What a stack's `trustmesh:policy` section contributes to its pack config. */
export interface StackPolicySettings {
    environment: string;
    /** advisory: every policy advisory; mandatory: every policy at its own level. @default - the base file's */
    enforcement?: "advisory" | "mandatory";
    allowedRegistries: string[];
}

/**
 * The pack config a stack is previewed and deployed with: its environment's file, with the stack's own
 * enforcement and each policy's `environment` and `allowedRegistries` taken from the stack config, so
 * what the pack judges is what the stack says. Pure: the offline plan and the Automation API both use it.
 */
export function stackPackConfig(base: PolicyPackConfigFile, settings: StackPolicySettings): PolicyPackConfigFile {
    const values: PolicyPackConfigFile = { ...base };
    if (settings.enforcement === "advisory") values.all = "advisory";
    if (settings.enforcement === "mandatory") delete values.all;
    for (const [key, value] of Object.entries(values)) {
        if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
        const entry = { ...(value as Record<string, unknown>) };
        if ("environment" in entry) entry.environment = settings.environment;
        if ("allowedRegistries" in entry) entry.allowedRegistries = settings.allowedRegistries;
        values[key] = entry;
    }
    return values;
}

/** The enforcement a pack config amounts to: advisory when `all` makes every policy advisory, else mandatory. */
export function packEnforcementOf(packConfig: PolicyPackConfigFile): "advisory" | "mandatory" {
    return entryLevel("all", packConfig.all) === "advisory" ? "advisory" : "mandatory";
}
