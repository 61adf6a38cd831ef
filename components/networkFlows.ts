/**
 * Network flows as a contract: what a component needs to reach and be reached by, and a judge that
 * proves a set of NetworkPolicies admits it, with Kubernetes' own semantics (a pod no policy selects
 * for a direction is not isolated; selected, it takes the union of the rules that select it). Plain
 * data and functions, no Pulumi: the policy pack, the offline plan and the tests all read it.
 */
import ipaddr from "ipaddr.js";

export type Protocol = "TCP" | "UDP";

/** The other end of a flow. */
export type FlowPeer =
    /** The Kubernetes API server (webhook calls in, API calls out): outside the pod network, address not known in advance. */
    | { kind: "api-server" }
    /** Endpoints outside the cluster whose addresses are not fixed (ACME, cloud APIs, load balancer clients). */
    | { kind: "outside"; what: string }
    /** One fixed address outside the pod network (the GKE metadata server, a public resolver). */
    | { kind: "address"; cidr: string; what: string }
    /** Pods with these labels in this namespace. */
    | { kind: "pods"; namespace: string; podLabels: Record<string, string>; what: string }
    /** Any pod of the cluster (every sidecar reaching istiod). */
    | { kind: "any-pod"; what: string };

export interface NetworkFlow {
    /** The component that needs the flow, as a person would name it ("cert-manager webhook"). */
    component: string;
    /** Namespace of the component's pods. */
    namespace: string;
    /** Labels that select the component's pods (from its chart's templates). */
    podLabels: Record<string, string>;
    direction: "ingress" | "egress";
    peer: FlowPeer;
    port: number;
    protocol: Protocol;
    /** Why the component needs it, citing the chart value or document the port comes from. */
    purpose: string;
    /** The pods run on the host network: NetworkPolicy does not apply to them, so the flow is exempt. */
    hostNetwork?: boolean;
}

/** A NetworkPolicy as the judge reads it: from Pulumi inputs or a manifest. */
export interface NetworkPolicyView {
    name: string;
    namespace: string;
    spec: Record<string, any>;
}

/** Namespace name -> labels (with `kubernetes.io/metadata.name`, which the API server always sets). */
export type NamespaceLabels = Map<string, Record<string, string>>;

export interface FlowVerdict {
    flow: NetworkFlow;
    /** "allowed" (by the named policies), "not-isolated" (no policy selects the pods), "exempt" (host network), "blocked". */
    status: "allowed" | "not-isolated" | "exempt" | "blocked";
    allowedBy: string[];
}

/** One flow in words: "cert-manager webhook (cert-manager) ingress TCP 10250 from the API server". */
export function describeFlow(flow: NetworkFlow): string {
    const towards = flow.direction === "ingress" ? "from" : "to";
    return `${flow.component} (${flow.namespace}) ${flow.direction} ${flow.protocol} ${flow.port} ${towards} ${describePeer(flow.peer)}`;
}

export function describePeer(peer: FlowPeer): string {
    switch (peer.kind) {
        case "api-server":
            return "the API server";
        case "outside":
            return peer.what;
        case "address":
            return `${peer.what} (${peer.cidr})`;
        case "pods":
            return `${peer.what} (${peer.namespace})`;
        case "any-pod":
            return peer.what;
    }
}

const asRecord = (value: unknown): Record<string, any> => (value && typeof value === "object" ? (value as Record<string, any>) : {});
const asArray = (value: unknown): any[] => (Array.isArray(value) ? value : []);

/** A Kubernetes label selector (matchLabels and matchExpressions) against a set of labels. An empty selector matches all. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
    const s = asRecord(selector);
    for (const [key, value] of Object.entries(asRecord(s.matchLabels))) {
        if (labels[key] !== value) return false;
    }
    for (const e of asArray(s.matchExpressions)) {
        const key = String(asRecord(e).key);
        const values = asArray(e.values).map(String);
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[key]!)) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[key]!)) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** The directions a policy governs: `policyTypes`, or (unset) Ingress plus Egress when it has egress rules. */
export function policyDirections(spec: Record<string, any>): Set<"ingress" | "egress"> {
    const types = asArray(spec.policyTypes).map(String);
    const effective = types.length > 0 ? types : ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
    return new Set(effective.map((t) => t.toLowerCase() as "ingress" | "egress"));
}

/** Whether CIDR `outer` contains every address of `inner` (IPv4 or IPv6, through ipaddr.js). */
export function cidrContains(outer: string, inner: string): boolean {
    try {
        const [outerAddress, outerBits] = ipaddr.parseCIDR(outer);
        const [innerAddress, innerBits] = ipaddr.parseCIDR(inner);
        return outerAddress.kind() === innerAddress.kind() && innerBits >= outerBits && innerAddress.match(outerAddress, outerBits);
    } catch {
        return false; // not a CIDR: proves nothing
    }
}

/** Whether one `from`/`to` peer of a rule admits the flow's peer, for a policy in `policyNamespace`. */
function peerAdmits(rulePeer: Record<string, any>, peer: FlowPeer, policyNamespace: string, namespaces: NamespaceLabels): boolean {
    if (rulePeer.ipBlock) {
        const block = asRecord(rulePeer.ipBlock);
        if (typeof block.cidr !== "string") return false;
        const excepted = (cidr: string) => asArray(block.except).some((e) => typeof e === "string" && cidrContains(e, cidr));
        // An address whose value is not known in advance is admitted only by a block covering every address.
        if (peer.kind === "api-server" || peer.kind === "outside") return block.cidr === "0.0.0.0/0" && asArray(block.except).length === 0;
        if (peer.kind === "address") return cidrContains(block.cidr, peer.cidr) && !excepted(peer.cidr);
        // ipBlock is meant for addresses outside the cluster; CNIs differ on pod IPs, so never count on it.
        return false;
    }
    if (peer.kind !== "pods" && peer.kind !== "any-pod") return false;
    const hasNamespaceSelector = rulePeer.namespaceSelector !== undefined && rulePeer.namespaceSelector !== null;
    const hasPodSelector = rulePeer.podSelector !== undefined && rulePeer.podSelector !== null;
    if (peer.kind === "any-pod") {
        // Every pod of the cluster: only `namespaceSelector: {}` with no narrowing pod selector.
        return hasNamespaceSelector && selectorIsEmpty(rulePeer.namespaceSelector) && (!hasPodSelector || selectorIsEmpty(rulePeer.podSelector));
    }
    const namespaceOk = hasNamespaceSelector
        ? selectorMatches(rulePeer.namespaceSelector, namespaces.get(peer.namespace) ?? { "kubernetes.io/metadata.name": peer.namespace })
        : peer.namespace === policyNamespace;
    return namespaceOk && (!hasPodSelector || selectorMatches(rulePeer.podSelector, peer.podLabels));
}

function selectorIsEmpty(selector: unknown): boolean {
    const s = asRecord(selector);
    return Object.keys(asRecord(s.matchLabels)).length === 0 && asArray(s.matchExpressions).length === 0;
}

/** Whether a rule's `ports` admit the flow's port: none listed admits all; named ports cannot be proven here. */
function portsAdmit(ports: unknown, port: number, protocol: Protocol): boolean {
    const list = asArray(ports);
    if (list.length === 0) return true;
    return list.some((p) => {
        const entry = asRecord(p);
        if ((entry.protocol ?? "TCP") !== protocol) return false;
        if (entry.port === undefined || entry.port === null) return true;
        if (typeof entry.port !== "number") return false;
        const end = typeof entry.endPort === "number" ? entry.endPort : entry.port;
        return port >= entry.port && port <= end;
    });
}

/** The rules of a policy for a direction, with their peers (`from` or `to`). */
function rulesOf(spec: Record<string, any>, direction: "ingress" | "egress"): { peers: Record<string, any>[]; ports: unknown; index: number }[] {
    return asArray(spec[direction]).map((rule, index) => ({ peers: asArray(asRecord(rule)[direction === "ingress" ? "from" : "to"]).map(asRecord), ports: asRecord(rule).ports, index }));
}

function selects(policy: NetworkPolicyView, flow: Pick<NetworkFlow, "namespace" | "podLabels" | "direction">): boolean {
    return policy.namespace === flow.namespace && selectorMatches(policy.spec.podSelector, flow.podLabels) && policyDirections(policy.spec).has(flow.direction);
}

/** Judges one flow against every NetworkPolicy of its cluster. */
export function judgeFlow(flow: NetworkFlow, policies: NetworkPolicyView[], namespaces: NamespaceLabels): FlowVerdict {
    if (flow.hostNetwork) return { flow, status: "exempt", allowedBy: [] };
    const selecting = policies.filter((p) => selects(p, flow));
    if (selecting.length === 0) return { flow, status: "not-isolated", allowedBy: [] };
    const allowedBy = selecting
        .filter((p) => rulesOf(p.spec, flow.direction).some((rule) => portsAdmit(rule.ports, flow.port, flow.protocol) && (rule.peers.length === 0 || rule.peers.some((peer) => peerAdmits(peer, flow.peer, p.namespace, namespaces)))))
        .map((p) => `${p.namespace}/${p.name}`);
    return { flow, status: allowedBy.length > 0 ? "allowed" : "blocked", allowedBy };
}

/** A port a NetworkPolicy opens for a component that none of the component's declared flows uses. */
export interface OpenBeyond {
    policy: string;
    component: string;
    direction: "ingress" | "egress";
    /** The rule's port entry in words ("TCP 6443", "every port"). */
    port: string;
    /** The rule's peers in words ("any peer", "0.0.0.0/0", "pods app=istiod"). */
    peers: string;
}

/**
 * For each component with declared flows and each rule of a policy that selects its pods: the port
 * entries no declared flow of that component passes through. What the policies open beyond the contract.
 */
export function openBeyond(flows: NetworkFlow[], policies: NetworkPolicyView[], namespaces: NamespaceLabels): OpenBeyond[] {
    const found: OpenBeyond[] = [];
    const components = new Map<string, NetworkFlow[]>();
    for (const flow of flows) {
        if (flow.hostNetwork) continue;
        const key = `${flow.namespace}|${flow.component}`;
        components.set(key, [...(components.get(key) ?? []), flow]);
    }
    for (const own of components.values()) {
        const { component, namespace, podLabels } = own[0]!;
        for (const direction of ["ingress", "egress"] as const) {
            for (const policy of policies.filter((p) => selects(p, { namespace, podLabels, direction }))) {
                for (const rule of rulesOf(policy.spec, direction)) {
                    const entries = asArray(rule.ports).length > 0 ? asArray(rule.ports) : [undefined];
                    for (const entry of entries) {
                        const used = own.some(
                            (f) =>
                                f.direction === direction &&
                                portsAdmit(entry === undefined ? [] : [entry], f.port, f.protocol) &&
                                (rule.peers.length === 0 || rule.peers.some((peer) => peerAdmits(peer, f.peer, policy.namespace, namespaces))),
                        );
                        if (used) continue;
                        const e = asRecord(entry);
                        found.push({
                            policy: `${policy.namespace}/${policy.name}`,
                            component,
                            direction,
                            port: entry === undefined ? "every port" : `${e.protocol ?? "TCP"} ${e.port ?? "any"}${e.endPort ? `-${e.endPort}` : ""}`,
                            peers: rule.peers.length === 0 ? "any peer" : rule.peers.map(describeRulePeer).join(" or "),
                        });
                    }
                }
            }
        }
    }
    return found;
}

function describeRulePeer(peer: Record<string, any>): string {
    if (peer.ipBlock) return String(asRecord(peer.ipBlock).cidr);
    const labels = (selector: unknown) => Object.entries(asRecord(asRecord(selector).matchLabels)).map(([k, v]) => `${k}=${v}`).join(",") || "all";
    const parts = [];
    if (peer.namespaceSelector) parts.push(`namespaces ${labels(peer.namespaceSelector)}`);
    if (peer.podSelector) parts.push(`pods ${labels(peer.podSelector)}`);
    return parts.join(" ") || "any peer";
}
