import { stringify } from "yaml";
import { fakeCall, fakeOutputs, stableGuid, stableHex, stableTestNetIp } from "../fakeOutputs";

// Fake Azure Resource Manager outputs: ids shaped like real ARM ids, GUIDs for identities, the AKS
// OIDC issuer URL, Key Vault URIs. The subscription and tenant come from the resource's own inputs
// where it has them, else from the fixed placeholders below (never a real tenant).
const fakeSubscription = "00000000-0000-4000-a000-000000000000";
const fakeTenant = "00000000-0000-4000-a000-000000000001";

/** Clusters registered in this run, so the credentials invoke can answer with the cluster's own FQDN. */
const clusters = new Map<string, { location: string; fqdn: string; privateFqdn?: string }>();

function nameOf(inputs: Record<string, any>, key: string, fallback: string): string {
    return typeof inputs[key] === "string" && inputs[key] ? inputs[key] : fallback;
}

function armId(resourceGroup: unknown, provider: string, name: string): string {
    const rg = typeof resourceGroup === "string" && resourceGroup ? resourceGroup : "unknown-rg";
    return `/subscriptions/${fakeSubscription}/resourceGroups/${rg}/providers/${provider}/${name}`;
}

fakeOutputs("azure-native:resources:ResourceGroup", (args) => {
    const name = nameOf(args.inputs, "resourceGroupName", args.name);
    return { name, azureApiVersion: "2024-03-01", properties: { provisioningState: "Succeeded" }, resourceGroupName: name, id: `/subscriptions/${fakeSubscription}/resourceGroups/${name}` };
});

fakeOutputs("azure-native:network:VirtualNetwork", (args) => {
    const name = nameOf(args.inputs, "virtualNetworkName", `${args.name}-${stableHex(6, args.name)}`);
    return { name, resourceGuid: stableGuid("vnet", args.name), provisioningState: "Succeeded", id: armId(args.inputs.resourceGroupName, "Microsoft.Network/virtualNetworks", name) };
});

fakeOutputs("azure-native:network:Subnet", (args) => {
    const name = nameOf(args.inputs, "subnetName", args.name);
    return { name, provisioningState: "Succeeded", id: armId(args.inputs.resourceGroupName, `Microsoft.Network/virtualNetworks/${args.inputs.virtualNetworkName}/subnets`, name) };
});

fakeOutputs("azure-native:network:NetworkSecurityGroup", (args) => {
    const name = nameOf(args.inputs, "networkSecurityGroupName", `${args.name}-${stableHex(6, args.name)}`);
    return { name, resourceGuid: stableGuid("nsg", args.name), provisioningState: "Succeeded", id: armId(args.inputs.resourceGroupName, "Microsoft.Network/networkSecurityGroups", name) };
});

fakeOutputs("azure-native:managedidentity:UserAssignedIdentity", (args) => {
    const name = nameOf(args.inputs, "resourceName", `${args.name}-${stableHex(6, args.name)}`);
    return {
        name,
        clientId: stableGuid("identity-client", args.name),
        principalId: stableGuid("identity-principal", args.name),
        tenantId: fakeTenant,
        id: armId(args.inputs.resourceGroupName, "Microsoft.ManagedIdentity/userAssignedIdentities", name),
    };
});

fakeOutputs("azure-native:managedidentity:FederatedIdentityCredential", (args) => ({
    name: nameOf(args.inputs, "federatedIdentityCredentialResourceName", args.name),
}));

fakeOutputs("azure-native:authorization:RoleAssignment", (args) => ({
    name: stableGuid("role-assignment", args.name),
    createdOn: "2026-01-01T00:00:00Z",
}));

fakeOutputs("azure-native:operationalinsights:Workspace", (args) => {
    const name = nameOf(args.inputs, "workspaceName", `${args.name}-${stableHex(6, args.name)}`);
    return { name, customerId: stableGuid("workspace", args.name), provisioningState: "Succeeded", id: armId(args.inputs.resourceGroupName, "Microsoft.OperationalInsights/workspaces", name) };
});

fakeOutputs("azure-native:containerservice:ManagedCluster", (args) => {
    const inputs = args.inputs as Record<string, any>;
    const name = nameOf(inputs, "resourceName", args.name);
    const location = nameOf(inputs, "location", "westeurope");
    const tenant = inputs.aadProfile?.tenantID ?? fakeTenant;
    const hex = stableHex(8, "aks", args.name);
    const isPrivate = inputs.apiServerAccessProfile?.enablePrivateCluster === true;
    const fqdn = `${inputs.dnsPrefix ?? name}-${hex}.hcp.${location}.azmk8s.io`;
    const privateFqdn = isPrivate ? `${inputs.dnsPrefix ?? name}-${hex}.${stableGuid("aks-private", args.name)}.privatelink.${location}.azmk8s.io` : undefined;
    clusters.set(name, { location, fqdn, privateFqdn });
    return {
        name,
        id: armId(inputs.resourceGroupName, "Microsoft.ContainerService/managedClusters", name),
        // The SDK refuses undefined output values: a private cluster reports only its private FQDN.
        ...(isPrivate ? { privateFQDN: privateFqdn } : { fqdn }),
        provisioningState: "Succeeded",
        currentKubernetesVersion: inputs.kubernetesVersion ?? "1.33.2",
        nodeResourceGroup: `MC_${inputs.resourceGroupName}_${name}_${location}`,
        oidcIssuerProfile: { ...(inputs.oidcIssuerProfile ?? {}), issuerURL: `https://${location}.oic.prod-aks.azure.com/${tenant}/${stableGuid("oidc", args.name)}/` },
        azurePortalFQDN: `${inputs.dnsPrefix ?? name}-${hex}.portal.hcp.${location}.azmk8s.io`,
    };
});

fakeOutputs("azure-native:containerservice:AgentPool", (args) => ({
    name: nameOf(args.inputs, "agentPoolName", args.name),
    provisioningState: "Succeeded",
    nodeImageVersion: "AzureLinux-202601.01.0",
}));

fakeOutputs("azure-native:keyvault:Vault", (args) => {
    const inputs = args.inputs as Record<string, any>;
    const name = nameOf(inputs, "vaultName", args.name);
    return {
        name,
        id: armId(inputs.resourceGroupName, "Microsoft.KeyVault/vaults", name),
        properties: { ...(inputs.properties ?? {}), vaultUri: `https://${name}.vault.azure.net/`, provisioningState: "Succeeded" },
    };
});

fakeOutputs("azure-native:keyvault:Secret", (args) => {
    const inputs = args.inputs as Record<string, any>;
    const name = nameOf(inputs, "secretName", args.name);
    const vaultName = String(inputs.vaultName ?? "vault");
    return {
        name,
        properties: {
            ...(inputs.properties ?? {}),
            secretUri: `https://${vaultName}.vault.azure.net/secrets/${name}`,
            secretUriWithVersion: `https://${vaultName}.vault.azure.net/secrets/${name}/${stableHex(32, "secret", args.name)}`,
        },
    };
});

fakeOutputs("azure-native:privatedns:PrivateZone", (args) => {
    const name = nameOf(args.inputs, "privateZoneName", args.name);
    return { name, provisioningState: "Succeeded", id: armId(args.inputs.resourceGroupName, "Microsoft.Network/privateDnsZones", name) };
});
fakeOutputs("azure-native:network:VirtualNetworkPeering", (args) => ({
    name: nameOf(args.inputs, "virtualNetworkPeeringName", args.name),
    peeringState: "Connected",
    peeringSyncLevel: "FullyInSync",
    provisioningState: "Succeeded",
    id: armId(args.inputs.resourceGroupName, `Microsoft.Network/virtualNetworks/${args.inputs.virtualNetworkName}/virtualNetworkPeerings`, nameOf(args.inputs, "virtualNetworkPeeringName", args.name)),
}));
fakeOutputs("azure-native:privatedns:VirtualNetworkLink", (args) => ({ name: nameOf(args.inputs, "virtualNetworkLinkName", args.name), virtualNetworkLinkState: "Completed" }));
fakeOutputs("azure-native:network:PrivateEndpoint", (args) => ({
    name: nameOf(args.inputs, "privateEndpointName", `${args.name}-${stableHex(6, args.name)}`),
    provisioningState: "Succeeded",
    customDnsConfigs: [{ ipAddresses: [stableTestNetIp("pe", args.name)] }],
}));
fakeOutputs("azure-native:network:PrivateDnsZoneGroup", (args) => ({ name: nameOf(args.inputs, "privateDnsZoneGroupName", args.name), provisioningState: "Succeeded" }));

// The user credential in exec format, as AKS returns it (base64 YAML with a kubelogin user). The CA
// is a placeholder: the offline plan never connects to a cluster.
fakeCall("azure-native:containerservice:listManagedClusterUserCredentials", (args) => {
    const name = String(args.inputs.resourceName);
    const known = clusters.get(name);
    const server = `https://${known?.privateFqdn ?? known?.fqdn ?? `${name}.hcp.westeurope.azmk8s.io`}:443`;
    const kubeconfig = stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server, "certificate-authority-data": Buffer.from(`offline fake CA for ${name}`).toString("base64") } }],
        contexts: [{ name, context: { cluster: name, user: `clusterUser_${args.inputs.resourceGroupName}_${name}` } }],
        "current-context": name,
        users: [{ name: `clusterUser_${args.inputs.resourceGroupName}_${name}`, user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "kubelogin", args: ["get-token", "--login", "devicecode"] } } }],
    });
    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
});
