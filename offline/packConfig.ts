import * as path from "node:path";
import { readPolicyPackConfigFile, stackPackConfig, type PolicyPackConfigFile } from "../policy/packConfig";
import type { EnvironmentConfig } from "../stacks/config";

/** The pack configs `pulumi up --policy-pack-config policy/config/<environment>.json` uses. */
export const packConfigDir = path.resolve(__dirname, "..", "policy", "config");

/** An environment's pack config file as the Pulumi CLI gets it: the offline plan, `check` and the CLI read the same file. */
export function readPackConfig(environment: string): PolicyPackConfigFile {
    return readPolicyPackConfigFile(path.join(packConfigDir, `${environment}.json`));
}

/** The pack config a stack runs with: its environment's file and its own `trustmesh:policy` section (what the Automation API writes). */
export function packConfigFor(config: EnvironmentConfig): PolicyPackConfigFile {
    return stackPackConfig(readPackConfig(config.environment), {
        environment: config.environment,
        enforcement: config.policy.enforcement,
        allowedRegistries: config.policy.allowedRegistries,
    });
}
