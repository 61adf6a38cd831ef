import type * as pulumi from "@pulumi/pulumi";
import { NamespaceBaseline } from "../components/namespaceBaseline";
import type { ClusterTarget } from "./clusters";
import type { ClusterName, EnvironmentConfig } from "./config";

/** The application namespaces, per cluster and name: what anything placed in one of them waits for. */
export type NamespaceResources = Partial<Record<ClusterName, Record<string, NamespaceBaseline>>>;

/** Creates every configured application namespace, with its baseline, on each cluster it targets. */
export function deployNamespaces(config: EnvironmentConfig, clusters: Partial<Record<ClusterName, ClusterTarget>>): NamespaceResources {
    const namespaces: NamespaceResources = {};
    for (const ns of config.namespaces) {
        for (const key of ns.clusters) {
            // The config schema refuses a namespace on a cluster with no section.
            const cluster = clusters[key]!;
            (namespaces[key] ??= {})[ns.name] = new NamespaceBaseline(
                `${key}-${ns.name}`,
                {
                    name: ns.name,
                    podSecurity: ns.podSecurity,
                    baselineReason: ns.baselineReason,
                    sidecarInjection: ns.sidecarInjection,
                    quota: ns.quota,
                    trustBundleLabel: ns.trustBundle ? config.pki.trustBundleNamespaceLabel : undefined,
                    meshCaIstioCsr: config.mesh.certificateAuthority === "istio-csr" && !(key === "gke" && config.gcp?.managedMesh),
                },
                { provider: cluster.provider, dependsOn: cluster.ready },
            );
        }
    }
    return namespaces;
}

/** The namespace resource to wait for, if the environment creates that namespace on that cluster. */
export function namespaceReady(namespaces: NamespaceResources, cluster: ClusterName, name: string): pulumi.Resource[] {
    const resource = namespaces[cluster]?.[name];
    return resource ? [resource] : [];
}
