import type { PolicyResource } from "@pulumi/policy";
import { releaseFlows, sidecarFlows, type ClusterFlowContext, type GkeDataplane } from "../components/chartFlows";
import { describeFlow, judgeFlow, openBeyond, type NamespaceLabels, type NetworkFlow, type NetworkPolicyView } from "../components/networkFlows";
import { clusterOf, isKind, metadataOf } from "./kubernetes";
import type { TrustmeshStackPolicy } from "./types";
import { obj } from "./values";

/**
 * Network flows as a contract: every platform chart the stack installs (cert-manager, trust-manager,
 * Reloader, istiod, Istio gateways, istio-cni) and every injected namespace declares the flows it needs
 * (components/chartFlows.ts, from the charts' own ports); these policies prove the stack's
 * NetworkPolicies admit each one and report what they open beyond it.
 */

const isRelease = (type: string) => /^kubernetes:helm\.sh\/v\d+:Release$/.test(type);

/** One cluster's declared flows, NetworkPolicies and namespace labels; undefined when a namespace is unknown (preview). */
interface ClusterFlows {
    /** `platform`: declared by a chart (judged for what is open beyond it too), not by a namespace's sidecars. */
    flows: { flow: NetworkFlow; urn: string; platform: boolean }[];
    policies: NetworkPolicyView[];
    /** The same policies by namespace: a NetworkPolicy selects pods of its own namespace only. */
    policiesIn: Map<string, NetworkPolicyView[]>;
    /** `namespace/name` of each NetworkPolicy -> its URN. */
    policyUrns: Map<string, string>;
    namespaces: NamespaceLabels;
}

/** GKE's dataplane as the stack's GKE cluster declares it, if the stack has one. */
function gkeDataplane(resources: PolicyResource[]): GkeDataplane | undefined {
    const cluster = resources.find((r) => r.type === "gcp:container/cluster:Cluster");
    if (!cluster) return undefined;
    return obj(cluster.props).datapathProvider === "ADVANCED_DATAPATH" ? "dataplane-v2" : "legacy";
}

export function clusterFlows(resources: PolicyResource[]): Map<string, ClusterFlows> | undefined {
    const byCluster = new Map<string, ClusterFlows>();
    const of = (cluster: string) => {
        let entry = byCluster.get(cluster);
        if (!entry) byCluster.set(cluster, (entry = { flows: [], policies: [], policiesIn: new Map(), policyUrns: new Map(), namespaces: new Map() }));
        return entry;
    };
    for (const r of resources) {
        if (isKind(r.type, "networking.k8s.io", "NetworkPolicy")) {
            const m = metadataOf(r.props);
            // Unknown during preview: judging without it could only give false positives.
            if (typeof m.namespace !== "string" || typeof m.name !== "string") return undefined;
            const entry = of(clusterOf(r));
            const view = { name: m.name, namespace: m.namespace, spec: obj(r.props?.spec) };
            entry.policies.push(view);
            const inNamespace = entry.policiesIn.get(m.namespace);
            if (inNamespace) inNamespace.push(view);
            else entry.policiesIn.set(m.namespace, [view]);
            entry.policyUrns.set(`${m.namespace}/${m.name}`, r.urn);
        }
        if (isKind(r.type, "core", "Namespace")) {
            const m = metadataOf(r.props);
            if (typeof m.name !== "string") return undefined;
            of(clusterOf(r)).namespaces.set(m.name, { ...obj(m.labels), "kubernetes.io/metadata.name": m.name });
        }
    }
    const releases = resources
        .filter((r) => isRelease(r.type) && typeof obj(r.props).chart === "string")
        .map((r) => ({ r, chart: String(r.props.chart), name: typeof r.props.name === "string" ? r.props.name : r.name, namespace: r.props.namespace, values: obj(r.props.values) }));
    if (releases.some((release) => typeof release.namespace !== "string")) return undefined;
    const dataplane = gkeDataplane(resources);
    const externalTlsPorts = new Map<string, number[]>();
    for (const r of resources.filter((x) => isKind(x.type, "networking.istio.io", "ServiceEntry"))) {
        const spec = obj(r.props?.spec);
        if (spec.location !== "MESH_EXTERNAL") continue;
        const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter((p: any) => obj(p).protocol === "TLS" && typeof p.number === "number").map((p: any) => p.number as number);
        externalTlsPorts.set(clusterOf(r), [...new Set([...(externalTlsPorts.get(clusterOf(r)) ?? []), ...ports])]);
    }
    const chartOn = (cluster: string, chart: string) => releases.find((other) => clusterOf(other.r) === cluster && other.chart.split("/").pop() === chart);
    // istiod delegating signing (global.caAddress) to the cluster's istio-csr: proxies send their CSRs there.
    const externalCa = (cluster: string): ClusterFlowContext["externalCa"] => {
        const istiod = chartOn(cluster, "istiod");
        const csr = chartOn(cluster, "cert-manager-istio-csr");
        if (!istiod || !csr || typeof obj(istiod.values.global).caAddress !== "string") return undefined;
        return { namespace: csr.namespace as string, podLabels: { app: csr.name }, port: Number(obj(obj(obj(csr.values.app).server).serving).port ?? 6443) };
    };
    for (const release of releases) {
        const cluster = clusterOf(release.r);
        const istiod = chartOn(cluster, "istiod");
        const onGke = obj(obj(release.values.serviceAccount).annotations)["iam.gke.io/gcp-service-account"] !== undefined;
        const context: ClusterFlowContext = {
            istiodNamespace: istiod?.namespace as string | undefined,
            gkeDataplane: onGke ? dataplane : undefined,
            externalTlsPorts: externalTlsPorts.get(cluster) ?? [],
            externalCa: externalCa(cluster),
        };
        for (const flow of releaseFlows({ chart: release.chart, name: release.name, namespace: release.namespace as string, values: release.values }, context)) {
            of(cluster).flows.push({ flow, urn: release.r.urn, platform: true });
        }
    }
    // Every namespace with injection on runs sidecars that need istiod, where the cluster runs one.
    for (const r of resources.filter((x) => isKind(x.type, "core", "Namespace"))) {
        const m = metadataOf(r.props);
        const istiod = chartOn(clusterOf(r), "istiod");
        if (istiod && obj(m.labels)["istio-injection"] === "enabled") {
            for (const flow of sidecarFlows(m.name, istiod.namespace as string, { externalCa: externalCa(clusterOf(r)) })) of(clusterOf(r)).flows.push({ flow, urn: r.urn, platform: false });
        }
    }
    return byCluster;
}

export const flowsAdmitted: TrustmeshStackPolicy = {
    name: "network-flows-admitted",
    domain: "namespaces-network",
    severity: "high",
    description:
        "Checks that the NetworkPolicies of the stack admit every flow its platform components declare (webhook ports from the API server, API calls, DNS, the GKE metadata server, ACME and cloud APIs, xDS).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const clusters = clusterFlows(args.resources);
        if (!clusters) return;
        for (const { flows, policiesIn, namespaces } of clusters.values()) {
            for (const { flow, urn } of flows) {
                // Only the flow's own namespace's policies can select its pods: judged against those alone.
                const inNamespace = policiesIn.get(flow.namespace) ?? [];
                const verdict = judgeFlow(flow, inNamespace, namespaces);
                if (verdict.status !== "blocked") continue;
                const selecting = inNamespace.map((p) => p.name);
                reportViolation(
                    `${describeFlow(flow)} is blocked, and ${flow.component} needs it: ${flow.purpose}. No NetworkPolicy in namespace ${flow.namespace} (${selecting.join(", ")}) admits it; add a rule for ${flow.protocol} ${flow.port} to the pods ${JSON.stringify(flow.podLabels)}.`,
                    urn,
                );
            }
        }
    },
};

export const flowsOpenBeyond: TrustmeshStackPolicy = {
    name: "network-flows-open-beyond",
    domain: "namespaces-network",
    severity: "low",
    description: "Checks that the NetworkPolicies open no port to a platform component beyond the flows it declares (advisory: a report of what could be narrowed).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const clusters = clusterFlows(args.resources);
        if (!clusters) return;
        for (const { flows, policies, policyUrns, namespaces } of clusters.values()) {
            // Application namespaces carry application flows the contract does not know: judged for istiod only.
            for (const open of openBeyond(flows.filter((f) => f.platform).map((f) => f.flow), policies, namespaces)) {
                reportViolation(
                    `NetworkPolicy ${open.policy} opens ${open.direction} ${open.port} (${open.peers}) to ${open.component}, which none of its declared flows needs; narrow the rule or declare the flow.`,
                    policyUrns.get(open.policy),
                );
            }
        }
    },
};

export const networkFlowsPolicies = [flowsAdmitted, flowsOpenBeyond];
