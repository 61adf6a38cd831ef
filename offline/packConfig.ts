import { readFileSync } from "node:fs";
import * as path from "node:path";
import { stackPackConfig, type PolicyPackConfigFile } from "../policy/packConfig";
import type { EnvironmentConfig } from "../stacks/config";

/** The pack configs `pulumi up --policy-pack-config policy/config/<environment>.json` uses. */
export const packConfigDir = path.resolve(__dirname, "..", "policy", "config");

/** An environment's pack config file as the Pulumi CLI gets it: the offline plan, `check` and the CLI read the same file. */
export function readPackConfig(environment: string): PolicyPackConfigFile {
    const file = path.join(packConfigDir, `${environment}.json`);
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${file}: a policy pack config must be a JSON object`);
    return parsed as PolicyPackConfigFile;
}

/** The pack config a stack runs with: its environment's file and its own `trustmesh:policy` section (what the Automation API writes). */
export function packConfigFor(config: EnvironmentConfig): PolicyPackConfigFile {
    return stackPackConfig(readPackConfig(config.environment), {
        environment: config.environment,
        enforcement: config.policy.enforcement,
        allowedRegistries: config.policy.allowedRegistries,
    });
}
