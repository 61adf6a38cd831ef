import * as azureNative from "@pulumi/azure-native/provider";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "../components/aksCluster";
import { AksRunnerAccess } from "../components/aksRunnerAccess";
import { AzureNetwork, type AzureInboundAllow } from "../components/azureNetwork";
import { AzureWorkloadIdentity, builtInRoleDefinitionId, useWorkloadIdentityLabel } from "../components/azureWorkloadIdentity";
import { KeyVault } from "../components/keyVault";
import { KeyVaultSecrets, keyVaultTlsCertificate, type KeyVaultObjectArgs, type SyncedSecretArgs } from "../components/keyVaultSecrets";
import type { ClusterTarget, WorkloadIdentityBinding, WorkloadIdentityRequest } from "./clusters";
import { ConfigError, formatKey, type EnvironmentConfig } from "./config";
import { applicationSecretProviderClassName } from "./applicationSecrets";
import { keyVaultNamespace, resolveAksSettings } from "./config/azure";

/** What the Azure side hands back: the cluster target plus the values the lead wires as stack outputs. */
export interface AzureDeployment extends ClusterTarget {
    outputs: {
        clusterName: pulumi.Output<string>;
        oidcIssuerUrl: pulumi.Output<string>;
        /** kubelogin-based kubeconfig, a secret. */
        kubeconfig: pulumi.Output<string>;
    };
    network: AzureNetwork;
    cluster: AksCluster;
}

/**
 * The Azure side of an environment: network, hardened AKS cluster, and (when configured) the Key
 * Vault with its secrets, a workload identity that may read them and the SecretProviderClass that
 * mounts them in the application namespace: seed 003's demo, with Workload Identity.
 */
export function deployAzure(config: EnvironmentConfig, peerEgressAddresses: pulumi.Input<string>[] = []): AzureDeployment {
    const azure = config.azure;
    if (!azure) throw new ConfigError([{ key: formatKey(["azure"]), message: "is required to deploy the AKS cluster" }]);
    const settings = resolveAksSettings({ environment: config.environment, azure });
    const prod = config.environment === "prod";
    const tags = { environment: config.environment };

    // Every Azure resource goes to the configured subscription, the one role definition ids and scopes
    // are built from, never to whichever subscription the CLI happens to point at.
    const azureProvider = new azureNative.Provider("azure", { subscriptionId: azure.subscriptionId, location: azure.location });
    const inAzure = { providers: [azureProvider] };

    const net = new AzureNetwork("aks", {
        location: azure.location,
        resourceGroupName: settings.resourceGroupName,
        vnetCidr: azure.network.vnetCidr,
        nodesCidr: azure.network.nodesCidr,
        availabilityZones: settings.availabilityZones,
        inboundAllows: linkInboundAllows(config, peerEgressAddresses),
        protectAddresses: prod,
        tags,
    }, inAzure);

    // A private API server is reached from the runner's existing VNet: peered both ways, and linked to
    // a private DNS zone of our own that the cluster registers in (README "How prod is deployed").
    const runnerNetwork = config.deploy.azureRunnerNetwork;
    const runnerAccess =
        settings.privateCluster && runnerNetwork
            ? new AksRunnerAccess("aks-runner", {
                  clusterName: settings.clusterName,
                  location: azure.location,
                  subscriptionId: azure.subscriptionId,
                  resourceGroupName: net.resourceGroupName,
                  clusterVnetId: net.vnetId,
                  runnerVnetId: runnerNetwork.vnetId,
                  tags,
              }, inAzure)
            : undefined;

    const aks = new AksCluster("aks", {
        clusterKey: "aks",
        clusterName: settings.clusterName,
        location: azure.location,
        subscriptionId: azure.subscriptionId,
        tenantId: azure.tenantId,
        resourceGroupName: net.resourceGroupName,
        nodeSubnetId: net.nodeSubnetId,
        outboundIpIds: net.outboundIpIds,
        vnetCidr: azure.network.vnetCidr,
        podsCidr: azure.network.podsCidr,
        servicesCidr: azure.network.servicesCidr,
        adminGroupObjectIds: azure.cluster.adminGroupObjectIds,
        authorizedIpRanges: azure.cluster.authorizedIpRanges,
        privateCluster: settings.privateCluster,
        tier: settings.tier,
        kubernetesVersion: azure.cluster.kubernetesVersion,
        upgradeChannel: azure.cluster.upgradeChannel,
        nodeOsUpgradeChannel: azure.cluster.nodeOsUpgradeChannel,
        nodePools: settings.nodePools,
        availabilityZones: settings.availabilityZones,
        secretRotationInterval: azure.cluster.secretRotationInterval,
        defender: settings.defender,
        containerInsights: settings.containerInsights,
        managedPrometheus: azure.cluster.managedPrometheus,
        tags,
        // A prod cluster is stateful infrastructure: Pulumi refuses to delete or replace it.
        protect: prod,
        privateDnsZoneId: runnerAccess?.privateDnsZoneId,
        vnetId: runnerAccess ? net.vnetId : undefined,
        deployer: config.deploy.azureDeployer,
        // Kubernetes objects on a private cluster wait until the runner can reach its API server.
    }, { ...inAzure, dependsOn: runnerAccess?.ready });

    const bindWorkloadIdentity = (request: WorkloadIdentityRequest, opts?: pulumi.ComponentResourceOptions): WorkloadIdentityBinding => {
        const identity = new AzureWorkloadIdentity(
            request.name,
            {
                resourceGroupName: net.resourceGroupName,
                location: azure.location,
                oidcIssuerUrl: aks.oidcIssuerUrl,
                namespace: request.namespace,
                serviceAccountName: request.serviceAccountName,
                createServiceAccount: request.createServiceAccount,
                tenantId: azure.tenantId,
                roleAssignments: (request.azureRoles ?? []).map((role, index) => ({
                    name: `role-${index}`,
                    roleDefinitionId: builtInRoleDefinitionId(azure.subscriptionId, role.roleDefinitionName),
                    scope: role.scope,
                })),
                tags,
            },
            { ...opts, providers: [aks.provider, azureProvider], dependsOn: [aks] },
        );
        return {
            serviceAccountAnnotations: identity.serviceAccountAnnotations,
            podLabels: { [useWorkloadIdentityLabel]: "true" },
            identity: identity.clientId,
            ready: [identity],
        };
    };

    return {
        key: "aks",
        cloud: "azure",
        provider: aks.provider,
        // Depending on the component waits for the cluster and its node pools.
        ready: [aks],
        egressAddresses: net.outboundAddresses,
        cloudProvider: azureProvider,
        bindWorkloadIdentity,
        controlPlanePrincipalId: aks.controlPlanePrincipalId,
        network: net,
        cluster: aks,
        outputs: { clusterName: aks.clusterName, oidcIssuerUrl: aks.oidcIssuerUrl, kubeconfig: aks.kubeconfig },
    };
}

/**
 * Seed 003's demo, with Workload Identity: the Key Vault holding the config's secrets, a workload
 * identity that may read them, and the SecretProviderClass that mounts them in the application
 * namespace. Built once the application namespaces exist (`namespaceReady`), so the ServiceAccount and
 * the SecretProviderClass never race their namespace on a first deploy.
 */
export function deployKeyVault(
    config: EnvironmentConfig,
    side: AzureDeployment,
    namespaceReady: pulumi.Resource[],
    applicationNamespaceReady: (namespace: string) => pulumi.Resource[] = () => [],
): { keyVaultUri: pulumi.Output<string> } | undefined {
    const azure = config.azure;
    const kv = azure?.keyVault;
    if (!azure || !kv) return undefined;
    const settings = resolveAksSettings({ environment: config.environment, azure });
    const prod = config.environment === "prod";
    const tags = { environment: config.environment };
    const net = side.network;
    const aks = side.cluster;
    const namespace = keyVaultNamespace(config)!;
    const reader = new AzureWorkloadIdentity(
        `aks-${namespace}-keyvault`,
        {
            resourceGroupName: net.resourceGroupName,
            location: azure.location,
            oidcIssuerUrl: aks.oidcIssuerUrl,
            namespace,
            serviceAccountName: kv.serviceAccount,
            tenantId: azure.tenantId,
            tags,
        },
        { providers: [aks.provider, ...cloudProviders(side)], dependsOn: [aks, ...namespaceReady] },
    );
    const vault = new KeyVault("aks-keyvault", {
        vaultName: kv.name,
        resourceGroupName: net.resourceGroupName,
        location: azure.location,
        subscriptionId: azure.subscriptionId,
        tenantId: azure.tenantId,
        publicNetworkAccess: settings.keyVaultPublicNetworkAccess,
        allowedIpRanges: settings.keyVaultPublicNetworkAccess ? kv.allowedIpRanges : [],
        // The node subnet has the Key Vault service endpoint: the CSI driver on the nodes gets through the firewall.
        allowedSubnetIds: settings.keyVaultPublicNetworkAccess ? [net.nodeSubnetId] : [],
        // Without public access, the cluster reaches the vault through a private endpoint in its VNet.
        privateEndpoint: settings.keyVaultPublicNetworkAccess ? undefined : { subnetId: net.nodeSubnetId, vnetId: net.vnetId },
        // The component makes every value a Pulumi secret, whether or not it was set with --secret.
        secrets: { ...kv.secrets, ...applicationVaultSecrets(config) },
        readers: [{ name: namespace, principalId: reader.principalId, secrets: true, certificates: kv.certificates.length > 0 }],
        protect: prod,
        tags,
    }, { providers: cloudProviders(side) });

    const objects: KeyVaultObjectArgs[] = Object.keys(kv.secrets).map((name) => ({ name, type: "secret" }));
    const syncedSecrets: SyncedSecretArgs[] = [];
    if (objects.length > 0) {
        syncedSecrets.push({ secretName: "keyvault-secrets", type: "Opaque", data: objects.map((o) => ({ objectName: o.name, key: o.name })) });
    }
    for (const certificate of kv.certificates) {
        const tls = keyVaultTlsCertificate(certificate, `${certificate.toLowerCase()}-tls`);
        objects.push(tls.object);
        syncedSecrets.push(tls.syncedSecret);
    }
    if (objects.length > 0) {
        new KeyVaultSecrets(
            `aks-${namespace}-keyvault`,
            { namespace, secretProviderClassName: "keyvault", vaultName: vault.vaultName, tenantId: azure.tenantId, clientId: reader.clientId, objects, syncedSecrets },
            // The reader's role on the vault must exist before a pod mounts the volume.
            { providers: [aks.provider], dependsOn: [aks, ...namespaceReady, reader, vault] },
        );
    }
    deployAksApplicationSecrets(config, side, vault, applicationNamespaceReady);
    return { keyVaultUri: vault.vaultUri };
}

/** The explicit Azure provider of a side, as a `providers` list. */
function cloudProviders(side: AzureDeployment): pulumi.ProviderResource[] {
    return side.cloudProvider ? [side.cloudProvider] : [];
}

/**
 * The node subnet NSG's allow rule for the mesh links AKS serves: every such link port, from exactly
 * the client cluster's egress addresses. One rule for all links (an NSG holds at most 1,000 rules).
 * Destination "*": with AKS's floating-IP load balancer rules the packet still carries the frontend
 * IP, and only the load balancer delivers traffic to the nodes.
 */
export function linkInboundAllows(config: EnvironmentConfig, peerEgressAddresses: pulumi.Input<string>[]): AzureInboundAllow[] {
    const ports = [...new Set(config.mesh.links.filter((link) => link.server === "aks").map((link) => link.linkPort))].sort((a, b) => a - b);
    if (peerEgressAddresses.length === 0 || ports.length === 0) return [];
    return [{ name: meshLinksRuleName, sourceAddresses: peerEgressAddresses, destinationAddress: "*", ports, description: "trustmesh mesh links: the peer cluster's egress to the ingress gateway" }];
}

/** Name of the NSG and VPC firewall rules that admit the mesh links' clients. */
export const meshLinksRuleName = "allow-mesh-links";
/** `trustmesh:namespaces[].secrets` of the namespaces on aks: vault secret name (`<namespace>-<name>`) -> value. */
export function applicationVaultSecrets(config: EnvironmentConfig): Record<string, string> {
    return Object.fromEntries(
        config.namespaces
            .filter((ns) => ns.secrets && ns.clusters.includes("aks"))
            .flatMap((ns) => Object.entries(ns.secrets!.values).map(([name, value]) => [applicationVaultSecretName(ns.name, name), value])),
    );
}

/** One vault serves every namespace: the namespace prefixes each secret's name. */
export function applicationVaultSecretName(namespace: string, name: string): string {
    return `${namespace}-${name}`;
}

/**
 * `trustmesh:namespaces[].secrets` on AKS, the same config as on GKE: the application's own managed
 * identity federated with its ServiceAccount, `Key Vault Secrets User` on each of its secrets (not the
 * vault), and a SecretProviderClass named like GKE's that mounts them under their own names.
 */
function deployAksApplicationSecrets(config: EnvironmentConfig, side: AzureDeployment, vault: KeyVault, namespaceReady: (namespace: string) => pulumi.Resource[]): void {
    const azure = config.azure!;
    for (const ns of config.namespaces) {
        if (!ns.secrets || !ns.clusters.includes("aks")) continue;
        const names = Object.keys(ns.secrets.values);
        const identity = new AzureWorkloadIdentity(
            `aks-${ns.name}-secrets`,
            {
                resourceGroupName: side.network.resourceGroupName,
                location: azure.location,
                oidcIssuerUrl: side.cluster.oidcIssuerUrl,
                namespace: ns.name,
                serviceAccountName: ns.secrets.serviceAccount,
                tenantId: azure.tenantId,
                roleAssignments: names.map((name) => ({
                    name: `read-${name.toLowerCase()}`,
                    roleDefinitionId: builtInRoleDefinitionId(azure.subscriptionId, "Key Vault Secrets User"),
                    scope: pulumi.interpolate`${vault.vaultId}/secrets/${applicationVaultSecretName(ns.name, name)}`,
                })),
                tags: { environment: config.environment },
            },
            // The secrets must exist before a role is assigned on them.
            { providers: [side.cluster.provider, ...cloudProviders(side)], dependsOn: [side.cluster, vault, ...namespaceReady(ns.name)] },
        );
        new KeyVaultSecrets(
            `aks-${ns.name}-secrets`,
            {
                namespace: ns.name,
                secretProviderClassName: applicationSecretProviderClassName,
                vaultName: vault.vaultName,
                tenantId: azure.tenantId,
                clientId: identity.clientId,
                objects: names.map((name) => ({ name: applicationVaultSecretName(ns.name, name), type: "secret", alias: name })),
            },
            { providers: [side.cluster.provider], dependsOn: [side.cluster, vault, identity, ...namespaceReady(ns.name)] },
        );
    }
}
