import * as pulumi from "@pulumi/pulumi";
import { NamespaceBaseline } from "../components/namespaceBaseline";
import { ConfigError, readEnvironmentConfig, type EnvironmentConfig } from "./config";
import { deployClusters } from "./clusters";
import { deployMesh } from "./mesh";
import { deployPki } from "./pki";

/**
 * The environment program: reads and validates the stack's config, then builds everything from it.
 * A config error is raised as a RunError so Pulumi prints the message without a stack trace.
 */
export function environmentProgram(): Record<string, unknown> {
    let config: EnvironmentConfig;
    try {
        config = readEnvironmentConfig();
    } catch (error) {
        if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
        throw error;
    }
    return buildEnvironment(config);
}

/** Builds the environment from a validated config and returns the stack outputs. */
export function buildEnvironment(config: EnvironmentConfig): Record<string, unknown> {
    const clusters = deployClusters(config);
    const pki = deployPki(config, clusters);
    const mesh = deployMesh(config, clusters, pki);

    const namespaces: Record<string, string[]> = {};
    for (const ns of config.namespaces) {
        for (const key of ns.clusters) {
            const cluster = clusters[key];
            if (!cluster) {
                throw new pulumi.RunError(`namespace "${ns.name}" targets cluster "${key}", but the stack configures no ${key === "gke" ? "gcp" : "azure"} section`);
            }
            new NamespaceBaseline(
                `${key}-${ns.name}`,
                {
                    name: ns.name,
                    podSecurity: ns.podSecurity,
                    baselineReason: ns.baselineReason,
                    sidecarInjection: ns.sidecarInjection,
                    quota: ns.quota,
                },
                { provider: cluster.provider, dependsOn: cluster.ready },
            );
            (namespaces[key] ??= []).push(ns.name);
        }
    }

    return { environment: config.environment, namespaces, meshLinks: mesh.outputs.meshLinks, meshIngressAddresses: mesh.outputs.meshIngressAddresses, rootCaCertificate: pki.outputs.rootCaCertificate };
}
