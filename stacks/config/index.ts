import * as pulumi from "@pulumi/pulumi";
import { ConfigError, problemsFromZod } from "./errors";
import { configNamespace, environmentSchema, type EnvironmentConfig } from "./schema";

export * from "./common";
export * from "./errors";
export * from "./schema";
export type { AzureConfig } from "./azure";
export type { ClusterReach, DeployConfig, RunnerLocation } from "./deploy";
export type { GcpConfig } from "./gcp";
export type { MeshConfig, MeshLinkConfig } from "./mesh";
export type { NamespaceConfig } from "./namespaces";
export type { PkiConfig } from "./pki";
export type { PolicyConfig } from "./policy";
export type { PlatformConfig, PlatformComponent } from "./platform";
export type { WorkloadsConfig } from "./workloads";

/**
 * Validates the `trustmesh:` keys of a stack (given without their namespace) and applies defaults.
 * Throws a ConfigError listing every problem at once.
 */
export function parseEnvironmentConfig(values: Record<string, unknown>, source?: string): EnvironmentConfig {
    const result = environmentSchema.safeParse(values, { reportInput: true });
    if (!result.success) {
        throw new ConfigError(problemsFromZod(environmentSchema, result.error), source);
    }
    return result.data;
}

/**
 * Reads the environment config from the running Pulumi program's config (a real `pulumi up` or the
 * offline engine, which loads the same stack file). Structured keys arrive as JSON strings.
 */
export function readEnvironmentConfig(): EnvironmentConfig {
    const values: Record<string, unknown> = {};
    const prefix = `${configNamespace}:`;
    for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(prefix)) continue;
        values[key.slice(prefix.length)] = parseConfigValue(raw);
    }
    const stack = pulumi.getStack();
    return parseEnvironmentConfig(values, `stack "${stack}"`);
}

function parseConfigValue(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}
