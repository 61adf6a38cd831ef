import type { RecordedResource } from "./engine";
import { clusterOf } from "./manifests";

/**
 * Cross-cloud paths: for every mesh link, the network path a client's connection takes through the
 * two clouds, read from the resources the plan registers, and whether each hop admits exactly the
 * client cluster's egress addresses:
 *
 *   client egress (Cloud NAT / AKS outbound IPs) -> server load balancer (gateway Service
 *   `loadBalancerSourceRanges`) -> server firewall (AKS subnet NSG / VPC firewall) -> server gateway
 *   (Istio Gateway, MUTUAL TLS on the link port)
 *
 * An address hop that admits fewer addresses drops the link; one that admits more (the internet, an
 * ephemeral range) opens the link port beyond the peer. Neither shows up as a failed resource, only
 * as a link that does not work or an exposure nobody chose, so the plan checks it.
 */

/** What the plan needs of a link (a `trustmesh:mesh` link fits). */
export interface LinkEnds {
    name: string;
    server: string;
    client: string;
    linkPort: number;
}

export type HopName = "client egress" | "server load balancer" | "server firewall" | "server gateway";

export interface LinkHop {
    hop: HopName;
    /** The resource(s) the hop is made of, as the plan names them. */
    via: string;
    /** The addresses the hop lets through to the link port ("*" for anything); for the gateway, what it requires. */
    admits: string[];
    /** Why the hop does not admit exactly the client's addresses; absent when it does. */
    problem?: string;
}

export interface LinkPath {
    link: string;
    client: string;
    server: string;
    port: number;
    /** The client cluster's egress addresses, as its egress hop reports them. */
    clientAddresses: string[];
    hops: LinkHop[];
}

const anySource = new Set(["*", "0.0.0.0/0", "Internet", "any"]);

/** `203.0.113.7/32` and `203.0.113.7` are the same single address. */
function normalize(address: string): string {
    return address.endsWith("/32") ? address.slice(0, -3) : address;
}

function sameSet(a: string[], b: string[]): boolean {
    const left = new Set(a.map(normalize));
    const right = new Set(b.map(normalize));
    return left.size === right.size && [...left].every((x) => right.has(x));
}

/** What differs between the admitted and the wanted addresses, for a message. */
function difference(admitted: string[], wanted: string[]): string {
    const want = new Set(wanted.map(normalize));
    const have = new Set(admitted.map(normalize));
    const extra = [...have].filter((x) => !want.has(x));
    const missing = [...want].filter((x) => !have.has(x));
    return [
        extra.length ? `admits ${extra.map((x) => (anySource.has(x) ? `${x} (anyone)` : x)).join(", ")} beyond the client` : "",
        missing.length ? `does not admit the client's ${missing.join(", ")}` : "",
    ]
        .filter(Boolean)
        .join("; ");
}

function addressHop(hop: HopName, via: string, admits: string[], clientAddresses: string[], problem?: string): LinkHop {
    if (problem) return { hop, via, admits, problem };
    if (clientAddresses.length === 0) return { hop, via, admits, problem: "the client has no fixed egress address to admit" };
    return sameSet(admits, clientAddresses) ? { hop, via, admits } : { hop, via, admits, problem: difference(admits, clientAddresses) };
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");
const list = <T = unknown>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

class PlanIndex {
    readonly byUrn: Map<string, RecordedResource>;
    private readonly byType = new Map<string, RecordedResource[]>();
    private gatewayServers: Map<string, { g: RecordedResource; s: Record<string, any> }[]> | undefined;
    constructor(readonly resources: RecordedResource[]) {
        this.byUrn = new Map(resources.map((r) => [r.urn, r]));
        for (const r of resources) {
            const ofType = this.byType.get(r.type);
            if (ofType) ofType.push(r);
            else this.byType.set(r.type, [r]);
        }
    }
    ofType(type: string): RecordedResource[] {
        return this.byType.get(type) ?? [];
    }
    /** The resource of this type whose faked output `key` equals `value` (an id, a self link, a name). */
    byOutput(type: string, key: string, value: unknown): RecordedResource | undefined {
        return this.ofType(type).find((r) => r.outputs?.[key] === value);
    }
    cluster(resource: RecordedResource): string {
        return clusterOf(resource, this.byUrn);
    }
    /** The Istio Gateway servers on a cluster that listen on a port, each with its Gateway: indexed once, read per link. */
    gatewayServersOn(cluster: string, port: number): { g: RecordedResource; s: Record<string, any> }[] {
        if (!this.gatewayServers) {
            this.gatewayServers = new Map();
            for (const g of this.ofType("kubernetes:networking.istio.io/v1:Gateway")) {
                for (const s of list<Record<string, any>>((g.inputs as Record<string, any>).spec?.servers)) {
                    if (typeof s.port?.number !== "number") continue;
                    const key = `${this.cluster(g)}|${s.port.number}`;
                    const servers = this.gatewayServers.get(key);
                    if (servers) servers.push({ g, s });
                    else this.gatewayServers.set(key, [{ g, s }]);
                }
            }
        }
        return this.gatewayServers.get(`${cluster}|${port}`) ?? [];
    }
}

/** The client cluster's egress addresses and the hop that fixes them. */
function clientEgress(index: PlanIndex, client: string): LinkHop & { addresses: string[] } {
    if (client === "gke") {
        const nats = index.ofType("gcp:compute/routerNat:RouterNat");
        if (nats.length === 0) return { hop: "client egress", via: "no Cloud NAT", admits: [], addresses: [], problem: "GKE's private nodes have no Cloud NAT: the link cannot leave the VPC" };
        const addresses: string[] = [];
        const problems: string[] = [];
        for (const nat of nats) {
            const inputs = nat.inputs as Record<string, unknown>;
            if (inputs.natIpAllocateOption !== "MANUAL_ONLY") {
                problems.push(`Cloud NAT ${str(inputs.name) || nat.name} allocates its addresses itself (${str(inputs.natIpAllocateOption) || "AUTO_ONLY"}): they change, so no peer can admit exactly them`);
                continue;
            }
            for (const selfLink of list<string>(inputs.natIps)) {
                const address = index.byOutput("gcp:compute/address:Address", "selfLink", selfLink);
                const ip = str(address?.outputs?.address);
                if (ip) addresses.push(ip);
                else problems.push(`Cloud NAT ${str(inputs.name) || nat.name} uses ${selfLink}, which the plan does not reserve`);
            }
        }
        const via = nats.map((nat) => `Cloud NAT ${str((nat.inputs as Record<string, unknown>).name) || nat.name} (${str((nat.inputs as Record<string, unknown>).natIpAllocateOption)})`).join(", ");
        return { hop: "client egress", via, admits: addresses, addresses, ...(problems.length ? { problem: problems.join("; ") } : {}) };
    }
    const clusters = index.ofType("azure-native:containerservice:ManagedCluster");
    const addresses: string[] = [];
    const problems: string[] = [];
    for (const cluster of clusters) {
        const network = ((cluster.inputs as Record<string, any>).networkProfile ?? {}) as Record<string, any>;
        const ids = list<{ id?: string }>(network.loadBalancerProfile?.outboundIPs?.publicIPs).map((ip) => str(ip.id));
        if (network.outboundType !== "loadBalancer" || ids.length === 0) {
            problems.push(`AKS cluster ${cluster.name} sends from outbound IPs AKS picks itself (outboundType ${str(network.outboundType) || "loadBalancer"} with no outboundIPs): no peer can admit exactly them`);
            continue;
        }
        for (const id of ids) {
            const ip = str(index.byOutput("azure-native:network:PublicIPAddress", "id", id)?.outputs?.ipAddress);
            if (ip) addresses.push(ip);
            else problems.push(`AKS cluster ${cluster.name} uses outbound IP ${id}, which the plan does not reserve`);
        }
    }
    const via = clusters.map((c) => `AKS ${c.name} outbound IPs`).join(", ") || "no AKS cluster";
    return { hop: "client egress", via, admits: addresses, addresses, ...(problems.length ? { problem: problems.join("; ") } : {}) };
}

/** The server's ingress gateway release: its Service is the load balancer the link enters by. */
function serverLoadBalancer(index: PlanIndex, server: string, port: number, clientAddresses: string[]): LinkHop & { address: string } {
    const release = index.ofType("kubernetes:helm.sh/v3:Release").find((r) => (r.inputs as Record<string, unknown>).name === "istio-ingressgateway" && index.cluster(r) === server);
    if (!release) return { hop: "server load balancer", via: "no ingress gateway", admits: [], address: "", problem: `${server} installs no istio-ingressgateway` };
    const service = (((release.inputs as Record<string, any>).values ?? {}).service ?? {}) as Record<string, any>;
    const annotations = (service.annotations ?? {}) as Record<string, string>;
    const pipName = annotations["service.beta.kubernetes.io/azure-pip-name"];
    const address = str(service.loadBalancerIP) || str(index.byOutput("azure-native:network:PublicIPAddress", "name", pipName)?.outputs?.ipAddress);
    const via = `Service istio-ingressgateway on ${server}${address ? ` at ${address}` : ""}`;
    const ranges = list<string>(service.loadBalancerSourceRanges);
    if (service.type !== "LoadBalancer") return { hop: "server load balancer", via, admits: [], address, problem: `the gateway Service is ${str(service.type) || "ClusterIP"}, not LoadBalancer` };
    if (!list<{ port?: number }>(service.ports).some((p) => p.port === port)) return { hop: "server load balancer", via, admits: ranges, address, problem: `the gateway Service has no port ${port}` };
    if (ranges.length === 0) return { hop: "server load balancer", via, admits: ["*"], address, problem: `loadBalancerSourceRanges is unset: port ${port} is open to the whole internet` };
    return { ...addressHop("server load balancer", via, ranges, clientAddresses), address };
}

function portCovered(ranges: string[], port: number): boolean {
    return ranges.some((range) => {
        if (range === "*") return true;
        const [from, to] = range.split("-").map(Number);
        return to === undefined ? from === port : from! <= port && port <= to;
    });
}

/** What the AKS node subnet NSG lets through to the port from the internet, highest priority first. */
function aksFirewall(index: PlanIndex, port: number, clientAddresses: string[]): LinkHop {
    const subnets = index.ofType("azure-native:network:Subnet");
    const nsgs = index.ofType("azure-native:network:NetworkSecurityGroup").filter((nsg) =>
        subnets.some((subnet) => (subnet.inputs as Record<string, any>).networkSecurityGroup?.id === (nsg.outputs?.id ?? nsg.urn)),
    );
    if (nsgs.length === 0) return { hop: "server firewall", via: "no subnet NSG", admits: ["*"], problem: "the node subnet has no NSG of trustmesh's" };
    const admitted: string[] = [];
    const used: string[] = [];
    for (const nsg of nsgs) {
        const rules = list<Record<string, any>>((nsg.inputs as Record<string, any>).securityRules)
            .filter((rule) => rule.direction === "Inbound" && ["Tcp", "*"].includes(rule.protocol))
            .filter((rule) => portCovered([...list<string>(rule.destinationPortRanges), ...(rule.destinationPortRange ? [rule.destinationPortRange] : [])], port))
            .sort((a, b) => a.priority - b.priority);
        for (const rule of rules) {
            const sources = [...list<string>(rule.sourceAddressPrefixes), ...(rule.sourceAddressPrefix ? [str(rule.sourceAddressPrefix)] : [])];
            if (rule.access === "Deny") {
                // A deny of the internet ends what the internet can reach; later allows never match.
                if (sources.some((s) => anySource.has(s))) break;
                continue;
            }
            admitted.push(...sources);
            used.push(`${rule.name} (priority ${rule.priority})`);
        }
    }
    const via = `NSG ${nsgs.map((n) => n.name).join(", ")}${used.length ? ` rule ${used.join(", ")}` : ""}`;
    if (admitted.length === 0) return { hop: "server firewall", via, admits: [], problem: `no rule allows TCP ${port} before the NSG denies the internet: AKS adds its rules only to its own NSG, so the link is dropped here` };
    return addressHop("server firewall", via, admitted, clientAddresses);
}

function firewallCovers(rule: Record<string, any>, port: number): boolean {
    return list<Record<string, any>>(rule.allows).some(
        (allow) => ["tcp", "all"].includes(str(allow.protocol).toLowerCase()) && (list<string>(allow.ports).length === 0 || portCovered(list<string>(allow.ports), port)),
    );
}

/** What the VPC's firewall rules let through to the port from outside (source ranges only; tags are VPC-internal). */
function gkeFirewall(index: PlanIndex, port: number, lbAddress: string, clientAddresses: string[]): LinkHop {
    const rules = index
        .ofType("gcp:compute/firewall:Firewall")
        .filter((r) => {
            const rule = r.inputs as Record<string, any>;
            const destinations = list<string>(rule.destinationRanges).map(normalize);
            return (rule.direction ?? "INGRESS") === "INGRESS" && rule.disabled !== true && firewallCovers(rule, port) && (destinations.length === 0 || !lbAddress || destinations.includes(lbAddress));
        });
    const admitted = rules.flatMap((r) => list<string>((r.inputs as Record<string, any>).sourceRanges));
    const via = rules.length ? `VPC firewall ${rules.map((r) => str((r.inputs as Record<string, any>).name) || r.name).join(", ")} (GKE adds its own from loadBalancerSourceRanges)` : "VPC firewall";
    if (rules.length === 0) return { hop: "server firewall", via, admits: [], problem: `no VPC firewall rule of trustmesh's allows TCP ${port}` };
    return addressHop("server firewall", via, admitted, clientAddresses);
}

/** The Istio Gateway that terminates the link: MUTUAL TLS on the link port, on the server cluster. */
function serverGateway(index: PlanIndex, server: string, port: number): LinkHop {
    const gateways = index.gatewayServersOn(server, port);
    if (gateways.length === 0) return { hop: "server gateway", via: "no Gateway", admits: [], problem: `no Istio Gateway on ${server} listens on ${port}` };
    const { g, s } = gateways[0]!;
    const metadata = ((g.inputs as Record<string, any>).metadata ?? {}) as Record<string, string>;
    const via = `Gateway ${metadata.namespace}/${metadata.name} port ${port}`;
    if (s.tls?.mode !== "MUTUAL") return { hop: "server gateway", via, admits: [str(s.tls?.mode) || "no TLS"], problem: `the Gateway's TLS mode is ${str(s.tls?.mode) || "unset"}, not MUTUAL: clients are not authenticated` };
    return { hop: "server gateway", via, admits: ["MUTUAL TLS: client certificates chaining to the environment root"] };
}

/** The path of every link through the plan's resources, each hop checked against the client's addresses. */
export function crossCloudPaths(resources: RecordedResource[], links: LinkEnds[]): LinkPath[] {
    const index = new PlanIndex(resources);
    return links.map((link) => {
        const egress = clientEgress(index, link.client);
        const { addresses, ...egressHop } = egress;
        const lb = serverLoadBalancer(index, link.server, link.linkPort, addresses);
        const { address, ...lbHop } = lb;
        const firewall = link.server === "gke" ? gkeFirewall(index, link.linkPort, address, addresses) : aksFirewall(index, link.linkPort, addresses);
        return {
            link: link.name,
            client: link.client,
            server: link.server,
            port: link.linkPort,
            clientAddresses: addresses,
            hops: [egressHop, lbHop, firewall, serverGateway(index, link.server, link.linkPort)],
        };
    });
}

/** One line per hop problem, naming the link and the hop. */
export function linkPathProblems(paths: LinkPath[]): string[] {
    return paths.flatMap((path) => path.hops.filter((hop) => hop.problem).map((hop) => `link ${path.link} (${path.client} -> ${path.server}:${path.port}), ${hop.hop}: ${hop.problem}`));
}
