import * as pulumi from "@pulumi/pulumi";
import { SecretManagerSecrets } from "../components/secretManagerSecrets";
import type { ClusterTarget } from "./clusters";
import type { ClusterName, EnvironmentConfig } from "./config";
import { namespaceReady, type NamespaceResources } from "./namespaces";

/** The SecretProviderClass an application mounts its secrets through, on either cluster: moving it changes nothing. */
export const applicationSecretProviderClassName = "app-secrets";

/** An application's secrets as one cluster delivers them. */
export interface ApplicationSecretsDeployment {
    namespace: string;
    cluster: ClusterName;
    /** The cloud identity the application's ServiceAccount is bound to (GSA email / managed identity client id). */
    identity: pulumi.Output<string>;
    secretProviderClassName: pulumi.Output<string>;
}

/**
 * `trustmesh:namespaces[].secrets` on GKE: the application's own Google service account, bound by
 * Workload Identity to its Kubernetes ServiceAccount (annotated `iam.gke.io/gcp-service-account`), and
 * its secrets in Secret Manager, each readable by that account alone, mounted through the GKE Secret
 * Manager add-on. The same config on AKS goes to Key Vault (`deployKeyVault`).
 */
export function deployGkeApplicationSecrets(config: EnvironmentConfig, gke: ClusterTarget, namespaces: NamespaceResources): ApplicationSecretsDeployment[] {
    const project = config.gcp?.project;
    if (!project || !gke.bindWorkloadIdentity) return [];
    const deployed: ApplicationSecretsDeployment[] = [];
    for (const ns of config.namespaces) {
        if (!ns.secrets || !ns.clusters.includes("gke")) continue;
        const inNamespace = namespaceReady(namespaces, "gke", ns.name);
        const binding = gke.bindWorkloadIdentity({ name: `gke-${ns.name}-secrets`, namespace: ns.name, serviceAccountName: ns.secrets.serviceAccount }, { dependsOn: inNamespace });
        const secrets = new SecretManagerSecrets(
            `gke-${ns.name}-secret-manager`,
            {
                project,
                namespace: ns.name,
                secretProviderClassName: applicationSecretProviderClassName,
                // The values were read from secret config; made secrets again here in case one was not.
                secrets: Object.fromEntries(Object.entries(ns.secrets.values).map(([name, value]) => [name, pulumi.secret(value)])),
                readerMember: pulumi.interpolate`serviceAccount:${binding.identity}`,
            },
            // Secret Manager's API is on once the cloud side is ready; the class lands in the namespace.
            { providers: [gke.provider], dependsOn: [...(gke.cloudReady ?? []), ...gke.ready, ...inNamespace, ...binding.ready] },
        );
        deployed.push({ namespace: ns.name, cluster: "gke", identity: binding.identity, secretProviderClassName: secrets.secretProviderClassName });
    }
    return deployed;
}
