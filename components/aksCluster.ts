import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { addressAt, cidrFamily, cidrProblem, cidrsOverlap, isCanonicalCidr, prefixLength } from "./cidr";
import { builtInRoleDefinitionId } from "./azureWorkloadIdentity";
import { choiceProblems } from "./choices";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { buildContainerInsightsRule } from "./containerInsights";
import { rfc1123Label } from "./names";

export interface AksNodePoolArgs {
    /** Pool name: 1-12 lowercase letters and digits. */
    name: string;
    /** VM size. @default "Standard_D4s_v5" */
    vmSize?: string;
    /** Minimum nodes (the autoscaler's floor). */
    minCount: number;
    /** Maximum nodes (the autoscaler's ceiling). */
    maxCount: number;
    /** System pool: runs critical add-ons only (tainted CriticalAddonsOnly). @default false */
    system?: boolean;
}

/** How the kubeconfig's kubelogin exec plugin signs in. */
export const KubeloginMode = {
    AzureCli: "azurecli",
    WorkloadIdentity: "workloadidentity",
    Msi: "msi",
    Spn: "spn",
    DeviceCode: "devicecode",
} as const;
export type KubeloginMode = (typeof KubeloginMode)[keyof typeof KubeloginMode];

/** AKS pricing tier; Standard carries the uptime SLA. */
export const AksTier = { Free: "Free", Standard: "Standard", Premium: "Premium" } as const;
export type AksTier = (typeof AksTier)[keyof typeof AksTier];

/** AKS auto-upgrade channel of the control plane and nodes. */
export const AksUpgradeChannel = { Rapid: "rapid", Stable: "stable", Patch: "patch", NodeImage: "node-image" } as const;
export type AksUpgradeChannel = (typeof AksUpgradeChannel)[keyof typeof AksUpgradeChannel];

/** AKS node OS upgrade channel. */
export const AksNodeOsUpgradeChannel = { NodeImage: "NodeImage", SecurityPatch: "SecurityPatch", Unmanaged: "Unmanaged" } as const;
export type AksNodeOsUpgradeChannel = (typeof AksNodeOsUpgradeChannel)[keyof typeof AksNodeOsUpgradeChannel];

export interface AksClusterArgs {
    /** Cluster key (`aks`): also the name of the Kubernetes provider, which the plan groups manifests by. */
    clusterKey: string;
    /** AKS cluster name (also its DNS prefix). */
    clusterName: string;
    /** Azure region. */
    location: string;
    /** Subscription the cluster lives in (for role definition ids). */
    subscriptionId: string;
    /** Microsoft Entra tenant of the admin groups. */
    tenantId: string;
    resourceGroupName: pulumi.Input<string>;
    /** Node subnet (AzureNetwork.nodeSubnetId). */
    nodeSubnetId: pulumi.Input<string>;
    /** The VNet's address space, to check the overlay ranges stay outside it. @default - not checked */
    vnetCidr?: string;
    /** Overlay pod range, outside the VNet. */
    podsCidr: string;
    /** Service range, outside the VNet and the pod range. */
    servicesCidr: string;
    /**
     * IPv6 overlay pod range of a dual-stack cluster, e.g. fd12:3456:789a::/64 (with `servicesCidrIpv6`):
     * pods and Services get an address of each family. The node subnet must be dual-stack too
     * (AzureNetwork `nodesCidrIpv6`). @default - IPv4 only
     */
    podsCidrIpv6?: string;
    /** IPv6 Service range of a dual-stack cluster, /108 or smaller, e.g. fd12:3456:789a:1::/108. @default - IPv4 only */
    servicesCidrIpv6?: string;
    /** Entra groups whose members administer the cluster through Azure RBAC. */
    adminGroupObjectIds: string[];
    /** Ranges allowed to reach a public API server; never 0.0.0.0/0. Required when privateCluster is false. @default [] */
    authorizedIpRanges?: string[];
    /** Private API server (no public endpoint). @default true */
    privateCluster?: boolean;
    /** Pricing tier ("Free", "Standard" or "Premium"); Standard carries the uptime SLA. @default "Standard" */
    tier?: AksTier;
    /** Kubernetes version. @default - the AKS default */
    kubernetesVersion?: string;
    /** Auto-upgrade channel ("rapid", "stable", "patch" or "node-image"). @default "stable" */
    upgradeChannel?: AksUpgradeChannel;
    /** Node OS upgrade channel ("NodeImage", "SecurityPatch" or "Unmanaged"). @default "NodeImage" */
    nodeOsUpgradeChannel?: AksNodeOsUpgradeChannel;
    /** Node pools: at least one system pool. */
    nodePools: AksNodePoolArgs[];
    /** Availability zones of every pool ("1", "2", "3"); AKS cannot change them after a pool exists. @default [] - no zone pinning */
    availabilityZones?: string[];
    /** Key Vault secrets provider rotation poll interval. @default "2m" */
    secretRotationInterval?: string;
    /** Microsoft Defender for Containers. @default true */
    defender?: boolean;
    /** Container Insights (the monitoring add-on). @default true */
    containerInsights?: boolean;
    /** Azure Monitor managed Prometheus metrics. @default false */
    managedPrometheus?: boolean;
    /**
     * Static public IPs (AzureNetwork.outboundIpIds) the outbound load balancer sends from, so peers can
     * admit exactly them; the control plane gets Network Contributor on each. @default [] - AKS-managed outbound IPs
     */
    outboundIpIds?: pulumi.Input<string>[];
    /** Log Analytics workspace for Defender and Container Insights. @default - one is created when either is on */
    logAnalyticsWorkspaceId?: pulumi.Input<string>;
    /** How kubelogin signs in for the kubeconfig and the provider ("azurecli", "workloadidentity", "msi", "spn" or "devicecode"). @default "azurecli" */
    kubeloginMode?: KubeloginMode;
    /** Tags for every Azure resource. @default {} */
    tags?: Record<string, string>;
    /** Pulumi `protect` on the cluster: the engine refuses to delete or replace it. @default false */
    protect?: boolean;
    /**
     * Private DNS zone for a private API server (AksRunnerAccess.privateDnsZoneId) instead of the one AKS
     * makes in its node resource group: a zone trustmesh owns can be linked to the deployment runner's
     * VNet. The control-plane identity gets Private DNS Zone Contributor on it and Network Contributor
     * on `vnetId`, since AKS writes the API server's record and links the zone to the cluster VNet.
     * Changing it replaces the cluster. @default - "system": AKS creates and links its own zone
     */
    privateDnsZoneId?: pulumi.Input<string>;
    /** The cluster's VNet (AzureNetwork.vnetId); required with `privateDnsZoneId`. @default - none */
    vnetId?: pulumi.Input<string>;
    /**
     * The Entra identity the deployment runs as. It gets Azure Kubernetes Service Cluster User Role (to
     * fetch the kubeconfig) and Azure Kubernetes Service RBAC Cluster Admin (the Kubernetes layer
     * installs CRDs and cluster roles), both at this cluster's scope only. @default - none: the
     * deployer must be a member of an adminGroupObjectIds group
     */
    deployer?: AksDeployer;
}

/** The kind of Entra principal a role is assigned to; a managed identity is a ServicePrincipal. */
export const PrincipalType = { ServicePrincipal: "ServicePrincipal", User: "User", Group: "Group" } as const;
export type PrincipalType = (typeof PrincipalType)[keyof typeof PrincipalType];

/** The identity a deployment signs in to the cluster as. */
export interface AksDeployer {
    /** Object (principal) id. */
    principalId: string;
    /** "ServicePrincipal" (also a managed identity), "User" or "Group". @default "ServicePrincipal" */
    principalType?: PrincipalType;
}

/** The roles a deployer gets on the cluster, each at the cluster's scope. */
export const aksDeployerRoles = ["Azure Kubernetes Service Cluster User Role", "Azure Kubernetes Service RBAC Cluster Admin"] as const;

/** The AKS AAD server application id: the audience of every Entra token for an AKS API server. */
export const aksServerApplicationId = "6dae42f8-4368-4678-94ff-3960e28e3630";
/** Taint that keeps application pods off a system pool. */
export const criticalAddonsOnlyTaint = "CriticalAddonsOnly=true:NoSchedule";

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateAksClusterArgs(args: AksClusterArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.clusterName)) problems.push(`clusterName "${args.clusterName}" must be a lowercase RFC 1123 label`);
    if (!guid.test(args.tenantId ?? "")) problems.push(`tenantId "${args.tenantId ?? ""}" must be the Entra tenant GUID`);
    if (!guid.test(args.subscriptionId ?? "")) problems.push(`subscriptionId "${args.subscriptionId ?? ""}" must be the subscription GUID`);
    if (args.adminGroupObjectIds.length === 0) problems.push("adminGroupObjectIds must list at least one Entra group: with local accounts disabled nobody could administer the cluster");
    for (const id of args.adminGroupObjectIds) if (!guid.test(id)) problems.push(`adminGroupObjectIds entry "${id}" must be a GUID`);
    const ranges: Array<[string, string]> = [
        ["podsCidr", args.podsCidr],
        ["servicesCidr", args.servicesCidr],
    ];
    if (args.vnetCidr !== undefined) ranges.unshift(["vnetCidr", args.vnetCidr]);
    for (const [key, value] of ranges) {
        if (cidrFamily(value) === "ipv6") problems.push(`${key} "${value}" is IPv6: give the IPv4 range here and the IPv6 one in ${key}Ipv6 (dual-stack)`);
        else if (!isCanonicalCidr(value)) problems.push(`${key} "${value}" must be an IPv4 CIDR with zero host bits`);
    }
    problems.push(...dualStackProblems(args));
    const valid = ranges.filter(([, value]) => isCanonicalCidr(value));
    for (let i = 0; i < valid.length; i++) {
        for (let j = i + 1; j < valid.length; j++) {
            const [ka, va] = valid[i]!;
            const [kb, vb] = valid[j]!;
            if (cidrsOverlap(va, vb)) problems.push(`${kb} "${vb}" overlaps ${ka} "${va}"; the ranges must be disjoint`);
        }
    }
    for (const range of args.authorizedIpRanges ?? []) {
        if (!isCanonicalCidr(range)) problems.push(`authorizedIpRanges entry "${range}" must be an IPv4 CIDR with zero host bits`);
        else if (prefixLength(range) === 0) problems.push(`authorizedIpRanges entry "${range}" would open the API server to the whole internet; list the networks that need access`);
    }
    if (args.privateCluster === false && (args.authorizedIpRanges ?? []).length === 0) {
        problems.push("authorizedIpRanges is empty on a public cluster (privateCluster: false): list the networks that may reach the API server");
    }
    if (args.privateDnsZoneId !== undefined && args.privateCluster === false) problems.push("privateDnsZoneId is set on a public cluster (privateCluster: false); it applies to a private API server only");
    if (args.privateDnsZoneId !== undefined && args.vnetId === undefined) problems.push("vnetId is required with privateDnsZoneId: AKS links the zone to the cluster VNet and needs Network Contributor on it");
    if (args.deployer !== undefined && !guid.test(args.deployer.principalId)) problems.push(`deployer.principalId "${args.deployer.principalId}" must be an object id (GUID)`);
    problems.push(...choiceProblems("deployer.principalType", args.deployer?.principalType, PrincipalType));
    if (!args.nodePools.some((p) => p.system)) problems.push("nodePools needs at least one pool with system: true");
    for (const zone of args.availabilityZones ?? []) {
        if (!["1", "2", "3"].includes(zone)) problems.push(`availabilityZones entry "${zone}" must be "1", "2" or "3"`);
    }
    const names = new Set<string>();
    for (const pool of args.nodePools) {
        if (!/^[a-z][a-z0-9]{0,11}$/.test(pool.name)) problems.push(`nodePools name "${pool.name}" must be 1-12 lowercase letters and digits, starting with a letter`);
        if (names.has(pool.name)) problems.push(`nodePools name "${pool.name}" is used twice`);
        names.add(pool.name);
        if (pool.minCount > pool.maxCount) problems.push(`nodePools "${pool.name}": minCount ${pool.minCount} exceeds maxCount ${pool.maxCount}`);
        if (pool.system && pool.minCount < 1) problems.push(`nodePools "${pool.name}": a system pool needs minCount of at least 1`);
    }
    problems.push(
        ...choiceProblems("tier", args.tier, AksTier),
        ...choiceProblems("upgradeChannel", args.upgradeChannel, AksUpgradeChannel),
        ...choiceProblems("nodeOsUpgradeChannel", args.nodeOsUpgradeChannel, AksNodeOsUpgradeChannel),
        ...choiceProblems("kubeloginMode", args.kubeloginMode, KubeloginMode),
    );
    if (args.secretRotationInterval !== undefined && !/^\d+[smh]$/.test(args.secretRotationInterval)) {
        problems.push(`secretRotationInterval "${args.secretRotationInterval}" must be a duration such as 2m`);
    }
    return problems;
}

/** The IPv6 ranges of a dual-stack cluster: both or neither, IPv6, disjoint, a Service range Kubernetes accepts. */
function dualStackProblems(args: AksClusterArgs): string[] {
    const { podsCidrIpv6: pods, servicesCidrIpv6: services } = args;
    if (pods === undefined && services === undefined) return [];
    if (pods === undefined || services === undefined) return ["podsCidrIpv6 and servicesCidrIpv6 go together: a dual-stack cluster needs both IPv6 ranges"];
    const problems: string[] = [];
    const podsProblem = cidrProblem(pods, ["ipv6"]);
    const servicesProblem = cidrProblem(services, ["ipv6"]);
    if (podsProblem) problems.push(`podsCidrIpv6 "${pods}" ${podsProblem}`);
    if (servicesProblem) problems.push(`servicesCidrIpv6 "${services}" ${servicesProblem}`);
    // kube-apiserver refuses an IPv6 service range wider than /108 (its allocator covers 20 bits).
    else if (prefixLength(services) < 108) problems.push(`servicesCidrIpv6 "${services}" is wider than a /108, which Kubernetes refuses for Services`);
    if (!podsProblem && !servicesProblem && cidrsOverlap(pods, services)) problems.push(`servicesCidrIpv6 "${services}" overlaps podsCidrIpv6 "${pods}"; the ranges must be disjoint`);
    return problems;
}

/** The cluster DNS service address: the tenth address of the service range, as AKS suggests. */
export function dnsServiceIp(servicesCidr: string): string {
    return addressAt(servicesCidr, 10);
}

export interface KubeloginKubeconfigArgs {
    clusterName: string;
    server: string;
    certificateAuthorityData: string;
    tenantId: string;
    loginMode: KubeloginMode;
}

/**
 * A kubeconfig whose user runs `kubelogin get-token`: it carries no credential, only how to get an
 * Entra token for the AKS server application. The admin credential is never used (local accounts are off).
 */
export function kubeloginKubeconfig(args: KubeloginKubeconfigArgs): string {
    const user = `${args.clusterName}-entra`;
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: args.clusterName, cluster: { server: args.server, "certificate-authority-data": args.certificateAuthorityData } }],
        contexts: [{ name: args.clusterName, context: { cluster: args.clusterName, user } }],
        "current-context": args.clusterName,
        users: [
            {
                name: user,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "kubelogin",
                        args: ["get-token", "--login", args.loginMode, "--server-id", aksServerApplicationId, "--tenant-id", args.tenantId, "--environment", "AzurePublicCloud"],
                        interactiveMode: args.loginMode === "devicecode" ? "IfAvailable" : "Never",
                        provideClusterInfo: false,
                    },
                },
            },
        ],
    });
}

/** Reads server and CA from the user kubeconfig AKS returns (base64 YAML). */
export function clusterEndpointFromKubeconfig(base64Kubeconfig: string): { server: string; certificateAuthorityData: string } {
    const config = parse(Buffer.from(base64Kubeconfig, "base64").toString("utf8")) as { clusters?: Array<{ cluster?: Record<string, string> }> };
    const cluster = config.clusters?.[0]?.cluster;
    if (!cluster?.server || !cluster["certificate-authority-data"]) {
        throw new Error("the AKS user kubeconfig has no cluster server or certificate-authority-data");
    }
    return { server: cluster.server, certificateAuthorityData: cluster["certificate-authority-data"] };
}

/**
 * A hardened AKS cluster: Entra ID with Azure RBAC and local accounts disabled, OIDC issuer and
 * Workload Identity, Azure CNI overlay with the Cilium dataplane and network policy, user-assigned
 * control-plane and kubelet identities, a private or IP-restricted API server, auto-upgrade, a tainted
 * system pool plus autoscaled user pools, and the Key Vault secrets provider with rotation.
 */
export class AksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterId: pulumi.Output<string>;
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    /** A kubelogin-based kubeconfig, as a secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly kubeletIdentityObjectId: pulumi.Output<string>;
    /** Principal of the control-plane identity: it manages load balancers, so it needs rights on their public IPs. */
    public readonly controlPlanePrincipalId: pulumi.Output<string>;
    /** Kubernetes provider named after `clusterKey`. */
    public readonly provider: k8s.Provider;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:AksCluster", name, args, opts);
        const problems = validateAksClusterArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`AksCluster ${name}: ${problems.join("; ")}`, this);
        const built = buildAksCluster(name, args, this, opts?.dependsOn);
        this.clusterName = built.cluster.name;
        this.clusterId = built.cluster.id;
        this.oidcIssuerUrl = built.oidcIssuerUrl;
        this.kubeconfig = built.kubeconfig;
        this.kubeletIdentityObjectId = built.kubeletIdentity.principalId;
        this.controlPlanePrincipalId = built.controlPlaneIdentity.principalId;
        this.provider = built.provider;
        this.registerOutputs({
            clusterName: this.clusterName,
            clusterId: this.clusterId,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeconfig: this.kubeconfig,
            kubeletIdentityObjectId: this.kubeletIdentityObjectId,
            controlPlanePrincipalId: this.controlPlanePrincipalId,
        });
    }
}

export function buildAksCluster(name: string, args: AksClusterArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. the peering a runner needs to reach a
    // private API server): pass it on, so the Kubernetes provider waits for it too.
    const opts = { parent, dependsOn };
    const tags = { "managed-by": "trustmesh", ...(args.tags ?? {}) };
    const privateCluster = args.privateCluster ?? true;
    const defender = args.defender ?? true;
    const containerInsights = args.containerInsights ?? true;
    const roleId = (role: string) => builtInRoleDefinitionId(args.subscriptionId, role);

    // User-assigned identities keep their ids across cluster rebuilds, so role assignments made to
    // them (subnet, kubelet identity, registries) survive.
    const controlPlaneIdentity = new managedidentity.UserAssignedIdentity(`${name}-control-plane-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, tags }, opts);
    const kubeletIdentity = new managedidentity.UserAssignedIdentity(`${name}-kubelet-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, tags }, opts);

    // AKS refuses a custom kubelet identity unless the control plane may assign it, and needs to
    // manage load balancer IPs in the node subnet: both granted at those two resources only.
    const kubeletOperator = new authorization.RoleAssignment(
        `${name}-control-plane-kubelet-operator`,
        { principalId: controlPlaneIdentity.principalId, principalType: "ServicePrincipal", roleDefinitionId: roleId("Managed Identity Operator"), scope: kubeletIdentity.id },
        opts,
    );
    const subnetContributor = new authorization.RoleAssignment(
        `${name}-control-plane-subnet`,
        { principalId: controlPlaneIdentity.principalId, principalType: "ServicePrincipal", roleDefinitionId: roleId("Network Contributor"), scope: args.nodeSubnetId },
        opts,
    );

    // A zone of our own: AKS writes the API server's A record and links the zone to the cluster VNet.
    const privateZoneGrants =
        privateCluster && args.privateDnsZoneId !== undefined
            ? [
                  new authorization.RoleAssignment(
                      `${name}-control-plane-private-dns`,
                      { principalId: controlPlaneIdentity.principalId, principalType: "ServicePrincipal", roleDefinitionId: roleId("Private DNS Zone Contributor"), scope: args.privateDnsZoneId },
                      opts,
                  ),
                  new authorization.RoleAssignment(
                      `${name}-control-plane-vnet`,
                      { principalId: controlPlaneIdentity.principalId, principalType: "ServicePrincipal", roleDefinitionId: roleId("Network Contributor"), scope: args.vnetId! },
                      opts,
                  ),
              ]
            : [];

    // AKS attaches the static outbound IPs to its load balancer with the control-plane identity.
    const outboundIpContributors = (args.outboundIpIds ?? []).map(
        (scope, index) =>
            new authorization.RoleAssignment(
                `${name}-control-plane-outbound-ip-${index}`,
                { principalId: controlPlaneIdentity.principalId, principalType: "ServicePrincipal", roleDefinitionId: roleId("Network Contributor"), scope },
                opts,
            ),
    );

    const workspace =
        (defender || containerInsights) && args.logAnalyticsWorkspaceId === undefined
            ? new operationalinsights.Workspace(`${name}-logs`, { resourceGroupName: args.resourceGroupName, location: args.location, sku: { name: "PerGB2018" }, retentionInDays: 30, tags }, opts)
            : undefined;
    const workspaceId: pulumi.Input<string> | undefined = args.logAnalyticsWorkspaceId ?? workspace?.id;

    const poolProfile = (pool: AksNodePoolArgs) => ({
        vmSize: pool.vmSize ?? "Standard_D4s_v5",
        mode: pool.system ? "System" : "User",
        // Application pods cannot land on system nodes, so a noisy workload cannot starve CoreDNS or konnectivity.
        nodeTaints: pool.system ? [criticalAddonsOnlyTaint] : [],
        enableAutoScaling: true,
        minCount: pool.minCount,
        maxCount: pool.maxCount,
        count: pool.minCount,
        osType: "Linux",
        // Azure Linux: Microsoft's minimal node image, fewer packages to patch.
        osSKU: "AzureLinux",
        type: "VirtualMachineScaleSets",
        vnetSubnetID: args.nodeSubnetId,
        // Fixed at pool creation (AKS refuses to change a pool's zones), hence decided by config, never later.
        ...(args.availabilityZones?.length ? { availabilityZones: args.availabilityZones } : {}),
        enableNodePublicIP: false,
        maxPods: 110,
        upgradeSettings: { maxSurge: "33%" },
    });
    const [firstSystem, ...otherPools] = [...args.nodePools].sort((a, b) => Number(!!b.system) - Number(!!a.system));

    const cluster = new containerservice.ManagedCluster(
        `${name}-cluster`,
        {
            resourceName: args.clusterName,
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            dnsPrefix: args.clusterName,
            kubernetesVersion: args.kubernetesVersion,
            sku: { name: "Base", tier: args.tier ?? "Standard" },
            tags,
            identity: { type: "UserAssigned", userAssignedIdentities: [controlPlaneIdentity.id] },
            identityProfile: { kubeletidentity: { resourceId: kubeletIdentity.id, clientId: kubeletIdentity.clientId, objectId: kubeletIdentity.principalId } },
            enableRBAC: true,
            // Entra ID sign-in with Azure RBAC deciding what each identity may do in Kubernetes.
            aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: args.adminGroupObjectIds, tenantID: args.tenantId },
            // No static admin certificate: every access is an Entra identity that can be revoked and audited.
            disableLocalAccounts: true,
            oidcIssuerProfile: { enabled: true },
            securityProfile: {
                workloadIdentity: { enabled: true },
                imageCleaner: { enabled: true, intervalHours: 168 },
                defender: defender ? { logAnalyticsWorkspaceResourceId: workspaceId, securityMonitoring: { enabled: true } } : undefined,
            },
            networkProfile: {
                networkPlugin: "azure",
                networkPluginMode: "overlay",
                networkDataplane: "cilium",
                networkPolicy: "cilium",
                podCidr: args.podsCidr,
                serviceCidr: args.servicesCidr,
                dnsServiceIP: dnsServiceIp(args.servicesCidr),
                // Dual-stack: one range per family, IPv4 first (the cluster DNS stays on IPv4).
                ...(args.podsCidrIpv6 && args.servicesCidrIpv6
                    ? { ipFamilies: ["IPv4", "IPv6"], podCidrs: [args.podsCidr, args.podsCidrIpv6], serviceCidrs: [args.servicesCidr, args.servicesCidrIpv6] }
                    : {}),
                loadBalancerSku: "standard",
                outboundType: "loadBalancer",
                ...(args.outboundIpIds?.length ? { loadBalancerProfile: { outboundIPs: { publicIPs: args.outboundIpIds.map((id) => ({ id })) } } } : {}),
            },
            apiServerAccessProfile: privateCluster
                ? { enablePrivateCluster: true, enablePrivateClusterPublicFQDN: false, privateDNSZone: args.privateDnsZoneId ?? "system" }
                : { enablePrivateCluster: false, authorizedIPRanges: args.authorizedIpRanges ?? [] },
            autoUpgradeProfile: { upgradeChannel: args.upgradeChannel ?? "stable", nodeOSUpgradeChannel: args.nodeOsUpgradeChannel ?? "NodeImage" },
            agentPoolProfiles: [{ name: firstSystem!.name, ...poolProfile(firstSystem!) }],
            addonProfiles: {
                azureKeyvaultSecretsProvider: {
                    enabled: true,
                    // Rotation re-reads the vault on the interval, so a rotated secret reaches mounted pods.
                    config: { enableSecretRotation: "true", rotationPollInterval: args.secretRotationInterval ?? "2m" },
                },
                ...(containerInsights ? { omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: workspaceId!, useAADAuth: "true" } } } : {}),
            },
            azureMonitorProfile: args.managedPrometheus ? { metrics: { enabled: true } } : undefined,
        },
        // The autoscaler owns the node count after creation. A channel that upgrades Kubernetes owns the
        // version: the configured one soon lags, and sending it back would ask AKS for a downgrade, which it refuses.
        {
            parent,
            dependsOn: withDependsOn(dependsOn, kubeletOperator, subnetContributor, ...privateZoneGrants, ...outboundIpContributors),
            ignoreChanges: ["agentPoolProfiles[0].count", ...((args.upgradeChannel ?? "stable") === "node-image" ? [] : ["kubernetesVersion"])],
            protect: args.protect,
        },
    );

    const userPools = otherPools.map(
        (pool) =>
            new containerservice.AgentPool(
                `${name}-${pool.name}`,
                { agentPoolName: pool.name, resourceName: cluster.name, resourceGroupName: args.resourceGroupName, ...poolProfile(pool) },
                { ...opts, ignoreChanges: ["count"] },
            ),
    );

    // With Azure RBAC and local accounts off, even the identity that created the cluster has no
    // Kubernetes access of its own: the deployer gets it here, on this cluster only.
    const deployerGrants = args.deployer
        ? aksDeployerRoles.map(
              (role) =>
                  new authorization.RoleAssignment(
                      `${name}-deployer-${role === "Azure Kubernetes Service Cluster User Role" ? "cluster-user" : "rbac-cluster-admin"}`,
                      { principalId: args.deployer!.principalId, principalType: args.deployer!.principalType ?? "ServicePrincipal", roleDefinitionId: roleId(role), scope: cluster.id },
                      opts,
                  ),
          )
        : [];

    // The monitoring add-on with managed-identity auth collects only what a rule associated with the cluster asks for.
    const containerInsightsRule = containerInsights
        ? buildContainerInsightsRule(name, { clusterId: cluster.id, clusterName: args.clusterName, location: args.location, resourceGroupName: args.resourceGroupName, workspaceId: workspaceId!, tags }, opts)
        : undefined;

    const oidcIssuerUrl = cluster.oidcIssuerProfile.apply((profile) => profile?.issuerURL ?? "");

    // The user credential (never the admin one) in exec format: only its server and CA are kept, the
    // user entry is rebuilt so the login mode suits where Pulumi runs. A plain invoke inside apply runs
    // once the cluster exists; the output form would gate on the engine's invoke dependency support.
    const kubeconfig = pulumi.secret(
        // Fetching the credentials needs the deployer's Cluster User Role: the grants' ids gate the call.
        pulumi.all([args.resourceGroupName, cluster.name, ...deployerGrants.map((grant) => grant.id)]).apply(async ([resourceGroupName, resourceName]) => {
            const result = await containerservice.listManagedClusterUserCredentials({ resourceGroupName, resourceName, format: "exec" }, { parent });
            const first = result.kubeconfigs?.[0]?.value;
            if (!first) throw new Error(`AKS cluster ${args.clusterName} returned no user kubeconfig`);
            const endpoint = clusterEndpointFromKubeconfig(first);
            return kubeloginKubeconfig({ clusterName: args.clusterName, ...endpoint, tenantId: args.tenantId, loginMode: args.kubeloginMode ?? "azurecli" });
        }),
    );

    const provider = new k8s.Provider(args.clusterKey, { kubeconfig }, { parent, dependsOn: withDependsOn(dependsOn, cluster, ...userPools, ...deployerGrants) });

    return { controlPlaneIdentity, kubeletIdentity, kubeletOperator, subnetContributor, privateZoneGrants, outboundIpContributors, workspace, containerInsightsRule, cluster, userPools, deployerGrants, oidcIssuerUrl, kubeconfig, provider };
}
