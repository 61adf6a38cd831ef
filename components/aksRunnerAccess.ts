import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import { Provider as AzureNativeProvider } from "@pulumi/azure-native/provider";
import * as pulumi from "@pulumi/pulumi";

const vnetIdPattern = /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.Network\/virtualNetworks\/([-\w.]{2,64})$/i;

/** True for an Azure VNet resource id (`/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>`). */
export function isVnetId(id: string): boolean {
    return vnetIdPattern.test(id);
}

/** The parts of an Azure VNet resource id. */
export function parseVnetId(id: string): { subscriptionId: string; resourceGroupName: string; name: string } {
    const match = vnetIdPattern.exec(id);
    if (!match) throw new Error(`"${id}" is not an Azure VNet resource id`);
    return { subscriptionId: match[1]!, resourceGroupName: match[2]!, name: match[3]! };
}

/** The private DNS zone a private AKS API server registers in: a subzone per cluster, so several clusters and an existing `privatelink.<region>.azmk8s.io` zone never collide. */
export function aksPrivateDnsZoneName(clusterName: string, location: string): string {
    return `${clusterName}.privatelink.${location}.azmk8s.io`;
}

export interface AksRunnerAccessArgs {
    /** AKS cluster name: the subzone of the private DNS zone. */
    clusterName: string;
    /** Azure region of the cluster. */
    location: string;
    /** Subscription of the cluster's VNet (to tell whether the runner VNet is in another one). */
    subscriptionId: string;
    /** Resource group of the cluster's VNet; the zone and the cluster-side peering go there. */
    resourceGroupName: pulumi.Input<string>;
    /** The cluster's VNet (AzureNetwork.vnetId). */
    clusterVnetId: pulumi.Input<string>;
    /** The existing VNet the deployment runner sits in; it may be in another subscription. */
    runnerVnetId: string;
    /** Tags for the resources. @default {} */
    tags?: Record<string, string>;
}

export function validateAksRunnerAccessArgs(args: AksRunnerAccessArgs): string[] {
    const problems: string[] = [];
    if (!isVnetId(args.runnerVnetId)) {
        problems.push(`runnerVnetId "${args.runnerVnetId}" must be a VNet resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>`);
    }
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(args.clusterName)) problems.push(`clusterName "${args.clusterName}" must be a DNS label (it names the private DNS subzone)`);
    if (!/^[a-z][a-z0-9]*$/.test(args.location)) problems.push(`location "${args.location}" must be an Azure region name such as westeurope`);
    return problems;
}

/**
 * Makes a private AKS API server reachable from a deployment runner in an existing VNet (a hub or a
 * runner VNet): the private DNS zone the cluster registers its API server in (passed to AksCluster
 * as `privateDnsZoneId`; AKS links it to its own VNet), linked to the runner VNet so the runner
 * resolves the private FQDN, and VNet peering both ways so it routes to the private endpoint.
 * The runner VNet is not created here: it must exist before the first deploy, since the runner in it
 * runs that deploy.
 */
export class AksRunnerAccess extends pulumi.ComponentResource {
    /** Id of the private DNS zone for the cluster's API server. */
    public readonly privateDnsZoneId: pulumi.Output<string>;
    /** The resources the runner needs before it can reach the API server (zone link, both peerings). */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: AksRunnerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:AksRunnerAccess", name, args, opts);
        const problems = validateAksRunnerAccessArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`AksRunnerAccess ${name}: ${problems.join("; ")}`, this);
        const built = buildAksRunnerAccess(name, args, this);
        this.privateDnsZoneId = built.zone.id;
        this.ready = [built.runnerLink, built.clusterToRunner, built.runnerToCluster];
        this.registerOutputs({ privateDnsZoneId: this.privateDnsZoneId });
    }
}

export function buildAksRunnerAccess(name: string, args: AksRunnerAccessArgs, parent: pulumi.Resource) {
    const opts = { parent };
    const tags = { "managed-by": "trustmesh", ...(args.tags ?? {}) };
    const runner = parseVnetId(args.runnerVnetId);

    const zone = new privatedns.PrivateZone(
        `${name}-api-dns`,
        { resourceGroupName: args.resourceGroupName, privateZoneName: aksPrivateDnsZoneName(args.clusterName, args.location), location: "global", tags },
        opts,
    );
    // Resolution only: the runner VNet's machines must not register their own names in the zone.
    const runnerLink = new privatedns.VirtualNetworkLink(
        `${name}-api-dns-runner`,
        { resourceGroupName: args.resourceGroupName, privateZoneName: zone.name, location: "global", registrationEnabled: false, virtualNetwork: { id: args.runnerVnetId }, tags },
        opts,
    );

    // Peering needs both sides. Only direct traffic between the two VNets: no transit through either.
    const peering = { allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false };
    const clusterVnetName = pulumi.output(args.clusterVnetId).apply((id) => id.split("/").pop() ?? "");
    const clusterToRunner = new network.VirtualNetworkPeering(
        `${name}-to-runner`,
        { resourceGroupName: args.resourceGroupName, virtualNetworkName: clusterVnetName, virtualNetworkPeeringName: `to-${runner.name}`, remoteVirtualNetwork: { id: args.runnerVnetId }, ...peering },
        opts,
    );
    // A runner VNet in another subscription (a connectivity hub) needs a provider for that subscription.
    const runnerProvider =
        runner.subscriptionId.toLowerCase() === args.subscriptionId.toLowerCase()
            ? undefined
            : new AzureNativeProvider(`${name}-runner-subscription`, { subscriptionId: runner.subscriptionId }, opts);
    const runnerToCluster = new network.VirtualNetworkPeering(
        `${name}-from-runner`,
        {
            resourceGroupName: runner.resourceGroupName,
            virtualNetworkName: runner.name,
            virtualNetworkPeeringName: pulumi.interpolate`to-${clusterVnetName}`,
            remoteVirtualNetwork: { id: args.clusterVnetId },
            ...peering,
        },
        { parent, provider: runnerProvider },
    );

    return { zone, runnerLink, clusterToRunner, runnerProvider, runnerToCluster };
}
