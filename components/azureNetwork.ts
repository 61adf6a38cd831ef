import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { cidrContains, cidrFamily, cidrProblem, isCanonicalCidr, prefixLength } from "./cidr";

export interface AzureNetworkArgs {
    /** Azure region, e.g. westeurope. */
    location: string;
    /** Name of the resource group to create. */
    resourceGroupName: string;
    /** VNet address space, e.g. 10.40.0.0/16. */
    vnetCidr: string;
    /** Node subnet; must lie inside `vnetCidr` and be at least a /28. */
    nodesCidr: string;
    /** Tags for every resource. @default {} */
    tags?: Record<string, string>;
    /**
     * IPv6 address space of a dual-stack VNet, e.g. fd00:40::/48 (with `nodesCidrIpv6`), for a dual-stack
     * AKS cluster whose nodes take an address of each family. @default - IPv4 only
     */
    vnetCidrIpv6?: string;
    /** IPv6 range of the node subnet: exactly a /64 inside `vnetCidrIpv6`, as Azure requires. @default - IPv4 only */
    nodesCidrIpv6?: string;
    /**
     * Static public IPs the cluster's outbound load balancer sends from, so a peer can admit exactly
     * them (AKS's managed outbound IPs are replaced at will). @default 1
     */
    outboundAddressCount?: number;
    /** Pulumi `protect` on the outbound IPs: peers admit them, losing one cuts every link. @default false */
    protectAddresses?: boolean;
    /** Zones of the outbound IPs (zone-redundant when the node pools are zonal). @default [] - no zones */
    availabilityZones?: string[];
    /**
     * Traffic the node subnet admits from the internet beyond what AKS's own NSG allows: the subnet NSG
     * is evaluated too, and AKS never adds rules to it. One rule each, in order, above the deny. @default []
     */
    inboundAllows?: AzureInboundAllow[];
}

/** One inbound allow rule of the node subnet NSG: these TCP ports, to this address, from exactly these sources. */
export interface AzureInboundAllow {
    /** Rule name: letters, digits, '-', '_' (at most 80 characters). */
    name: string;
    /** Source IPv4 addresses or CIDRs; never a service tag or 0.0.0.0/0. */
    sourceAddresses: pulumi.Input<pulumi.Input<string>[]>;
    /** Destination address: the load balancer's frontend IP (AKS load balancer rules use floating IP), or "*". @default "*" */
    destinationAddress?: pulumi.Input<string>;
    /** TCP destination ports. */
    ports: number[];
    /** Shown in the portal. @default - none */
    description?: string;
}

/** Priorities of the inbound allows: the first gets this one, the next one more; the deny sits below them all. */
export const inboundAllowFirstPriority = 100;
export const denyInternetPriority = 4000;

export function validateAzureNetworkArgs(args: AzureNetworkArgs): string[] {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9]*$/.test(args.location)) problems.push(`location "${args.location}" must be an Azure region name such as westeurope`);
    if (!/^[-\w.()]{1,89}[-\w()]$/.test(args.resourceGroupName)) {
        problems.push(`resourceGroupName "${args.resourceGroupName}" must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'`);
    }
    problems.push(...dualStackNetworkProblems(args));
    const vnetOk = isCanonicalCidr(args.vnetCidr);
    const nodesOk = isCanonicalCidr(args.nodesCidr);
    for (const [field, value] of [["vnetCidr", args.vnetCidr], ["nodesCidr", args.nodesCidr]] as const) {
        if (cidrFamily(value) === "ipv6") problems.push(`${field} "${value}" is IPv6: give the IPv4 range here and the IPv6 one in ${field}Ipv6`);
        else if (!isCanonicalCidr(value)) problems.push(`${field} "${value}" must be an IPv4 CIDR with zero host bits, e.g. ${field === "vnetCidr" ? "10.40.0.0/16" : "10.40.0.0/20"}`);
    }
    if (vnetOk && prefixLength(args.vnetCidr) === 0) problems.push(`vnetCidr "${args.vnetCidr}" may not be 0.0.0.0/0`);
    if (vnetOk && nodesOk && !cidrContains(args.vnetCidr, args.nodesCidr)) {
        problems.push(`nodesCidr "${args.nodesCidr}" must lie inside vnetCidr "${args.vnetCidr}"`);
    }
    if (nodesOk && prefixLength(args.nodesCidr) > 28) problems.push(`nodesCidr "${args.nodesCidr}" must be at least a /28`);
    const count = args.outboundAddressCount ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 16) problems.push(`outboundAddressCount ${count} must be a whole number from 1 to 16`);
    const names = new Set<string>();
    for (const allow of args.inboundAllows ?? []) {
        if (!/^[A-Za-z0-9][-\w]{0,79}$/.test(allow.name)) problems.push(`inboundAllows name "${allow.name}" must be at most 80 letters, digits, '-' or '_'`);
        if (names.has(allow.name)) problems.push(`inboundAllows name "${allow.name}" is used twice`);
        names.add(allow.name);
        if (allow.ports.length === 0) problems.push(`inboundAllows "${allow.name}" needs at least one port`);
        for (const port of allow.ports) if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`inboundAllows "${allow.name}": ${port} is not a TCP port`);
    }
    if (inboundAllowFirstPriority + (args.inboundAllows ?? []).length >= denyInternetPriority) problems.push(`inboundAllows has too many rules: they must all sit above the deny at ${denyInternetPriority}`);
    return problems;
}

/** The IPv6 half of a dual-stack network: both ranges or neither, IPv6, the subnet a /64 inside the VNet. */
function dualStackNetworkProblems(args: AzureNetworkArgs): string[] {
    const { vnetCidrIpv6: vnet, nodesCidrIpv6: nodes } = args;
    if (vnet === undefined && nodes === undefined) return [];
    if (vnet === undefined || nodes === undefined) return ["vnetCidrIpv6 and nodesCidrIpv6 go together: a dual-stack node subnet needs a dual-stack VNet"];
    const problems: string[] = [];
    const vnetProblem = cidrProblem(vnet, ["ipv6"]);
    const nodesProblem = cidrProblem(nodes, ["ipv6"]);
    if (vnetProblem) problems.push(`vnetCidrIpv6 "${vnet}" ${vnetProblem}`);
    if (nodesProblem) problems.push(`nodesCidrIpv6 "${nodes}" ${nodesProblem}`);
    else if (prefixLength(nodes) !== 64) problems.push(`nodesCidrIpv6 "${nodes}" must be exactly a /64: Azure IPv6 subnets are /64`);
    if (!vnetProblem && !nodesProblem && !cidrContains(vnet, nodes)) problems.push(`nodesCidrIpv6 "${nodes}" must lie inside vnetCidrIpv6 "${vnet}"`);
    return problems;
}

/**
 * The Azure network an AKS cluster runs in: a resource group, a VNet, the node subnet and a network
 * security group on it. Pods use the CNI overlay, so only nodes take VNet addresses.
 */
export class AzureNetwork extends pulumi.ComponentResource {
    public readonly resourceGroupName: pulumi.Output<string>;
    public readonly resourceGroupId: pulumi.Output<string>;
    public readonly vnetId: pulumi.Output<string>;
    public readonly nodeSubnetId: pulumi.Output<string>;
    public readonly networkSecurityGroupId: pulumi.Output<string>;
    /** ARM ids of the cluster's static outbound IPs (AksCluster `outboundIpIds`). */
    public readonly outboundIpIds: pulumi.Output<string>[];
    /** The addresses the cluster's nodes reach the internet from: what peers admit. */
    public readonly outboundAddresses: pulumi.Output<string>[];

    constructor(name: string, args: AzureNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:AzureNetwork", name, args, opts);
        const problems = validateAzureNetworkArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`AzureNetwork ${name}: ${problems.join("; ")}`, this);
        const built = buildAzureNetwork(name, args, this);
        this.resourceGroupName = built.resourceGroup.name;
        this.resourceGroupId = built.resourceGroup.id;
        this.vnetId = built.vnet.id;
        this.nodeSubnetId = built.nodeSubnet.id;
        this.networkSecurityGroupId = built.nsg.id;
        this.outboundIpIds = built.outboundIps.map((ip) => ip.id);
        this.outboundAddresses = built.outboundIps.map((ip) => ip.ipAddress.apply((address) => address ?? ""));
        this.registerOutputs({
            outboundIpIds: this.outboundIpIds,
            outboundAddresses: this.outboundAddresses,
            resourceGroupName: this.resourceGroupName,
            resourceGroupId: this.resourceGroupId,
            vnetId: this.vnetId,
            nodeSubnetId: this.nodeSubnetId,
            networkSecurityGroupId: this.networkSecurityGroupId,
        });
    }
}

export function buildAzureNetwork(name: string, args: AzureNetworkArgs, parent: pulumi.Resource) {
    const opts = { parent };
    const tags = { "managed-by": "trustmesh", ...(args.tags ?? {}) };
    const resourceGroup = new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: args.resourceGroupName, location: args.location, tags }, opts);

    // AKS adds rules for its load balancers only to the NSG it manages; a packet to a node must pass
    // this subnet NSG too, so the traffic a LoadBalancer Service takes from the internet (the mesh
    // link ports, from the peer's egress IPs) is allowed here explicitly, above the deny. The rules
    // are inline: a standalone SecurityRule next to inline ones is removed on the NSG's next update.
    const allows = (args.inboundAllows ?? []).map((allow, index) => ({
        name: allow.name,
        priority: inboundAllowFirstPriority + index,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefixes: allow.sourceAddresses,
        sourcePortRange: "*",
        destinationAddressPrefix: allow.destinationAddress ?? "*",
        destinationPortRanges: allow.ports.map(String),
        ...(allow.description ? { description: allow.description } : {}),
    }));
    const nsg = new network.NetworkSecurityGroup(
        `${name}-nodes-nsg`,
        {
            resourceGroupName: resourceGroup.name,
            location: args.location,
            tags,
            securityRules: [
                ...allows,
                {
                    name: "deny-internet-inbound",
                    priority: denyInternetPriority,
                    direction: "Inbound",
                    access: "Deny",
                    protocol: "*",
                    sourceAddressPrefix: "Internet",
                    sourcePortRange: "*",
                    destinationAddressPrefix: "*",
                    destinationPortRange: "*",
                    description: "Nodes take no traffic from the internet except through load balancers AKS manages.",
                },
            ],
        },
        opts,
    );

    // Subnets are separate resources (not inline in the VNet) so later subnets can be added without
    // the VNet update removing them.
    const vnet = new network.VirtualNetwork(
        `${name}-vnet`,
        { resourceGroupName: resourceGroup.name, location: args.location, tags, addressSpace: { addressPrefixes: [args.vnetCidr, ...(args.vnetCidrIpv6 ? [args.vnetCidrIpv6] : [])] } },
        { ...opts, ignoreChanges: ["subnets"] },
    );

    const nodeSubnet = new network.Subnet(
        `${name}-nodes`,
        {
            resourceGroupName: resourceGroup.name,
            virtualNetworkName: vnet.name,
            ...(args.nodesCidrIpv6 ? { addressPrefixes: [args.nodesCidr, args.nodesCidrIpv6] } : { addressPrefix: args.nodesCidr }),
            networkSecurityGroup: { id: nsg.id },
            // Nodes reach the internet through the cluster's load balancer, not Azure's implicit SNAT.
            defaultOutboundAccess: false,
            serviceEndpoints: [{ service: "Microsoft.KeyVault" }],
        },
        opts,
    );

    // Static outbound IPs: the cluster's egress addresses stay the same for its whole life, so the
    // peer cluster's firewall can admit exactly them. Standard SKU, as the AKS load balancer requires.
    const outboundIps = Array.from({ length: args.outboundAddressCount ?? 1 }, (_, index) =>
        new network.PublicIPAddress(
            `${name}-outbound-ip-${index}`,
            {
                resourceGroupName: resourceGroup.name,
                location: args.location,
                tags,
                sku: { name: "Standard", tier: "Regional" },
                publicIPAllocationMethod: "Static",
                publicIPAddressVersion: "IPv4",
                ...(args.availabilityZones?.length ? { zones: args.availabilityZones } : {}),
            },
            { ...opts, protect: args.protectAddresses },
        ),
    );

    return { resourceGroup, vnet, nsg, nodeSubnet, outboundIps };
}
