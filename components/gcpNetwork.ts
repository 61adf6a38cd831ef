import * as compute from "@pulumi/gcp/compute";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { cidrFamily, cidrProblem } from "./cidr";
import { gkeRangeProblems } from "./gcpRules";

export interface GcpNetworkArgs {
    /** Project the network lives in. */
    project: string;
    /** Region of the subnet, the router and the NAT, e.g. europe-west1. */
    region: string;
    /** Base name of the VPC and its children. @default - the component name */
    networkName?: string;
    /** Primary range of the node subnet (at least a /29). */
    nodesCidr: string;
    /** Secondary range for pods (at least a /21). */
    podsCidr: string;
    /** Secondary range for Services (at least a /24). */
    servicesCidr: string;
    /** The control plane's /28: the only source the webhook firewall rule admits. */
    masterCidr: string;
    /**
     * TCP ports the control plane may open on nodes and pods for admission webhooks, beyond the 443 and
     * 10250 GKE opens itself. @default [10250, 6443, 15017] - cert-manager, trust-manager, istiod
     */
    webhookPorts?: number[];
    /** Network tag the node pools carry; the webhook rule targets it. @default "<networkName>-node" */
    nodeTag?: string;
    /** VPC flow logs on the subnet (sampled at 50%). @default true */
    flowLogs?: boolean;
    /**
     * A dual-stack subnet (IPv4 and internal IPv6) for a dual-stack GKE cluster (GkeCluster `dualStack`):
     * the VPC gets a ULA internal IPv6 range and the subnet `IPV4_IPV6` with `INTERNAL` IPv6 access. Google
     * assigns the IPv6 ranges, so the CIDR args stay IPv4. @default false
     */
    dualStack?: boolean;
    /**
     * Static external IPs Cloud NAT sends the nodes' traffic from (`MANUAL_ONLY`), so a peer can admit
     * exactly them. Each carries 64,512 ports: one serves about a thousand nodes at the default 64
     * ports per VM. @default 1
     */
    natAddressCount?: number;
    /** Pulumi `protect` on the reserved NAT addresses: peers admit them, losing one cuts every link. @default false */
    protectAddresses?: boolean;
}

export const defaultWebhookPorts = [10250, 6443, 15017];

export function validateGcpNetworkArgs(args: GcpNetworkArgs): string[] {
    const problems: string[] = [];
    if (!args.project) problems.push("project is required (the GCP project id)");
    if (!args.region) problems.push("region is required (e.g. europe-west1)");
    else if (!/^[a-z]+-[a-z]+\d+$/.test(args.region)) problems.push(`region "${args.region}" must be a GCP region such as europe-west1`);
    for (const field of ["nodesCidr", "podsCidr", "servicesCidr", "masterCidr"] as const) {
        const value = args[field];
        if (!value) problems.push(`${field} is required`);
        else if (cidrFamily(value) === "ipv6") problems.push(`${field} "${value}" is IPv6: GKE takes IPv4 ranges here and assigns the IPv6 ones itself on a dual-stack subnet (dualStack: true)`);
        else if (cidrProblem(value)) problems.push(`${field} "${value}" ${cidrProblem(value)}`);
    }
    for (const p of gkeRangeProblems(args)) problems.push(`${p.field} ${p.message}`);
    const natAddresses = args.natAddressCount ?? 1;
    if (!Number.isInteger(natAddresses) || natAddresses < 1 || natAddresses > 16) problems.push(`natAddressCount ${natAddresses} must be a whole number from 1 to 16`);
    for (const port of args.webhookPorts ?? []) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`webhookPorts: ${port} is not a TCP port`);
    }
    return problems;
}

/**
 * A custom-mode VPC for one private GKE cluster: a regional subnet with the pod and Service secondary
 * ranges and Private Google Access, Cloud Router + Cloud NAT so private nodes reach the internet, and
 * one firewall rule letting the control plane (and nothing else) reach the webhook ports.
 */
export class GcpNetwork extends pulumi.ComponentResource {
    public readonly network: compute.Network;
    public readonly subnetwork: compute.Subnetwork;
    public readonly router: compute.Router;
    public readonly nat: compute.RouterNat;
    /** The reserved addresses Cloud NAT uses. */
    public readonly natIps: compute.Address[];
    /** The addresses the nodes reach the internet from: what peers admit. */
    public readonly natAddresses: pulumi.Output<string>[];
    public readonly webhookFirewall: compute.Firewall;
    /** The VPC's self link. */
    public readonly networkSelfLink: pulumi.Output<string>;
    /** The node subnet's self link. */
    public readonly subnetworkSelfLink: pulumi.Output<string>;
    /** Name of the pods secondary range. */
    public readonly podsRangeName: pulumi.Output<string>;
    /** Name of the Services secondary range. */
    public readonly servicesRangeName: pulumi.Output<string>;
    /** The network tag nodes must carry for the webhook rule to apply. */
    public readonly nodeTag: pulumi.Output<string>;

    constructor(name: string, args: GcpNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        // Refused before anything registers: a bad range must not leave a half-built network behind.
        const problems = validateGcpNetworkArgs(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(`GcpNetwork ${name}: ${problems.join("; ")}`);
        }
        super("trustmesh:index:GcpNetwork", name, args, opts);
        const built = buildGcpNetwork(name, args, this, opts?.dependsOn);
        this.network = built.network;
        this.subnetwork = built.subnetwork;
        this.router = built.router;
        this.nat = built.nat;
        this.natIps = built.natIps;
        this.natAddresses = built.natIps.map((ip) => ip.address);
        this.webhookFirewall = built.webhookFirewall;
        this.networkSelfLink = built.network.selfLink;
        this.subnetworkSelfLink = built.subnetwork.selfLink;
        this.podsRangeName = pulumi.output(built.podsRangeName);
        this.servicesRangeName = pulumi.output(built.servicesRangeName);
        this.nodeTag = pulumi.output(built.nodeTag);
        this.registerOutputs({
            networkSelfLink: this.networkSelfLink,
            subnetworkSelfLink: this.subnetworkSelfLink,
            podsRangeName: this.podsRangeName,
            servicesRangeName: this.servicesRangeName,
            nodeTag: this.nodeTag,
            natAddresses: this.natAddresses,
        });
    }
}

export function buildGcpNetwork(name: string, args: GcpNetworkArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const base = args.networkName ?? name;
    const nodeTag = args.nodeTag ?? `${base}-node`;
    const podsRangeName = "pods";
    const servicesRangeName = "services";
    const { project, region } = args;

    // Custom mode: no auto subnets in every region, only the one this cluster needs.
    const network = new compute.Network(
        `${name}-vpc`,
        {
            name: base,
            project,
            autoCreateSubnetworks: false,
            routingMode: "REGIONAL",
            description: "trustmesh: private GKE network",
            // An INTERNAL IPv6 subnet takes its /64 from the VPC's ULA range, which must be enabled first.
            ...(args.dualStack ? { enableUlaInternalIpv6: true } : {}),
        },
        opts,
    );

    const subnetwork = new compute.Subnetwork(
        `${name}-subnet`,
        {
            name: `${base}-nodes`,
            project,
            region,
            network: network.selfLink,
            ipCidrRange: args.nodesCidr,
            secondaryIpRanges: [
                { rangeName: podsRangeName, ipCidrRange: args.podsCidr },
                { rangeName: servicesRangeName, ipCidrRange: args.servicesCidr },
            ],
            // Private nodes have no external IP: Google APIs (Artifact Registry, logging) go through PGA.
            privateIpGoogleAccess: true,
            ...(args.dualStack ? { stackType: "IPV4_IPV6", ipv6AccessType: "INTERNAL" } : { stackType: "IPV4_ONLY" }),
            logConfig:
                args.flowLogs === false
                    ? undefined
                    : { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
        },
        opts,
    );

    const router = new compute.Router(`${name}-router`, { name: `${base}-router`, project, region, network: network.selfLink }, opts);

    // Reserved, not ephemeral: AUTO_ONLY addresses change whenever Google reallocates them, so no peer
    // firewall could admit exactly this cluster.
    const natIps = Array.from({ length: args.natAddressCount ?? 1 }, (_, index) =>
        new compute.Address(
            `${name}-nat-ip-${index}`,
            {
                name: `${base}-nat-${index}`,
                project,
                region,
                addressType: "EXTERNAL",
                networkTier: "PREMIUM",
                description: "trustmesh: Cloud NAT egress address of the GKE nodes (peers admit it)",
            },
            { ...opts, protect: args.protectAddresses },
        ),
    );

    // Outbound only: NAT gives private nodes egress (image pulls outside Google, ACME, mesh links) without public IPs.
    const nat = new compute.RouterNat(
        `${name}-nat`,
        {
            name: `${base}-nat`,
            project,
            region,
            router: router.name,
            natIpAllocateOption: "MANUAL_ONLY",
            natIps: natIps.map((ip) => ip.selfLink),
            sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
            subnetworks: [{ name: subnetwork.selfLink, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        opts,
    );

    // GKE opens 443 and 10250 from the control plane itself; admission webhooks on other ports need this.
    const webhookFirewall = new compute.Firewall(
        `${name}-allow-webhooks`,
        {
            name: `${base}-allow-master-webhooks`,
            project,
            network: network.selfLink,
            description: "trustmesh: the GKE control plane calls admission webhooks (cert-manager, trust-manager, istiod)",
            direction: "INGRESS",
            priority: 1000,
            sourceRanges: [args.masterCidr],
            targetTags: [nodeTag],
            allows: [{ protocol: "tcp", ports: (args.webhookPorts ?? defaultWebhookPorts).map(String) }],
            logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        },
        opts,
    );

    return { network, subnetwork, router, natIps, nat, webhookFirewall, podsRangeName, servicesRangeName, nodeTag };
}
