import * as pulumi from "@pulumi/pulumi";
import type { AzureDeployment } from "./azure";
import { deployKeyVault } from "./azure";
import { ConfigError, readEnvironmentConfig, type EnvironmentConfig } from "./config";
import { keyVaultNamespace } from "./config/azure";
import { deployClusters } from "./clusters";
import type { GcpDeployment } from "./gcp";
import { deployMesh } from "./mesh";
import { deployNamespaces, namespaceReady } from "./namespaces";
import { deployPki, type PkiRotationOutput } from "./pki";
import { deployWorkloads } from "./workloads";
import { deployGkeApplicationSecrets } from "./applicationSecrets";

/**
 * The environment program: reads and validates the stack's config, then builds everything from it.
 * A config error is raised as a RunError so Pulumi prints the message without a stack trace.
 */
export function environmentProgram(): EnvironmentStackOutputs {
    let config: EnvironmentConfig;
    try {
        config = readEnvironmentConfig();
    } catch (error) {
        if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
        throw error;
    }
    return buildEnvironment(config);
}

/** The stack outputs of an environment. Credentials (kubeconfigs) are Pulumi secrets. */
export interface EnvironmentStackOutputs {
    environment: EnvironmentConfig["environment"];
    /** Application namespaces by cluster key. */
    namespaces: Record<string, string[]>;
    gkeClusterName?: pulumi.Output<string>;
    gkeEndpoint?: pulumi.Output<string>;
    /** The GKE DNS endpoint the deployment and the kubeconfig use. */
    gkeDnsEndpoint?: pulumi.Output<string>;
    /** A secret. */
    gkeKubeconfig?: pulumi.Output<string>;
    aksClusterName?: pulumi.Output<string>;
    aksOidcIssuerUrl?: pulumi.Output<string>;
    /** A secret. */
    aksKubeconfig?: pulumi.Output<string>;
    keyVaultUri?: pulumi.Output<string>;
    /** The environment's root CA certificate (public): what every peer verifies against. */
    rootCaCertificate: pulumi.Output<string>;
    /** Every root both clusters trust, PEM (two during a root rotation). */
    trustAnchors: pulumi.Output<string>;
    /** Where a root rotation stands: its `phase` is the next update's `trustmesh:pki.rotation.deployedPhase`. */
    pkiRotation: PkiRotationOutput;
    /** Link name -> host clients connect to. */
    meshLinks: Record<string, pulumi.Output<string>>;
    /** Cluster key -> static IP of its ingress gateway. */
    meshIngressAddresses: Record<string, pulumi.Output<string>>;
}

/**
 * Builds the environment from a validated config and returns the stack outputs. Order matters for a
 * first deploy: clusters, then the application namespaces, then everything that lands in them (PKI,
 * mesh links, the Key Vault demo), each waiting for what it needs.
 */
export function buildEnvironment(config: EnvironmentConfig): EnvironmentStackOutputs {
    const clusters = deployClusters(config);
    const namespaces = deployNamespaces(config, clusters);
    const pki = deployPki(config, clusters);
    const mesh = deployMesh(config, clusters, pki, namespaces);
    const gke = clusters.gke as GcpDeployment | undefined;
    const aks = clusters.aks as AzureDeployment | undefined;
    const keyVault = aks && config.azure?.keyVault
        ? deployKeyVault(config, aks, namespaceReady(namespaces, "aks", keyVaultNamespace(config) ?? ""), (name) => namespaceReady(namespaces, "aks", name))
        : undefined;
    deployWorkloads(config, clusters, pki, namespaces, mesh.istio);
    if (gke) deployGkeApplicationSecrets(config, gke, namespaces);

    const namespaceNames = Object.fromEntries(Object.entries(namespaces).map(([cluster, byName]) => [cluster, Object.keys(byName ?? {})]));
    return {
        environment: config.environment,
        namespaces: namespaceNames,
        ...(gke
            ? {
                  gkeClusterName: gke.outputs.gkeClusterName,
                  gkeEndpoint: gke.outputs.gkeEndpoint,
                  gkeDnsEndpoint: gke.outputs.gkeDnsEndpoint,
                  gkeKubeconfig: gke.outputs.gkeKubeconfig,
              }
            : {}),
        ...(aks
            ? {
                  aksClusterName: aks.outputs.clusterName,
                  aksOidcIssuerUrl: aks.outputs.oidcIssuerUrl,
                  aksKubeconfig: aks.outputs.kubeconfig,
              }
            : {}),
        ...(keyVault ? { keyVaultUri: keyVault.keyVaultUri } : {}),
        rootCaCertificate: pki.outputs.rootCaCertificate,
        trustAnchors: pki.outputs.trustAnchors,
        pkiRotation: pki.outputs.pkiRotation,
        meshLinks: mesh.outputs.meshLinks,
        meshIngressAddresses: mesh.outputs.meshIngressAddresses,
    };
}
