import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { managedNamespaceLabels } from "./namespaceBaseline";

/** A platform chart (cert-manager, Reloader, ...) installed in a namespace of its own. */
export interface PlatformChartSpec {
    /** Namespace created for the chart, enforcing Pod Security `restricted`. */
    namespace: string;
    releaseName: string;
    chart: string;
    /** Exact chart version: a platform chart is never floated. */
    version: string;
    /** Chart repository URL. */
    repo: string;
    /** How long `atomic` waits for the release's pods to be ready. */
    timeoutSeconds: number;
    values: pulumi.Input<Record<string, unknown>>;
    /** TCP ports the controllers listen on (webhook, metrics). */
    ingressTcp: number[];
    /** TCP ports the controllers call out to (API server, cloud APIs). */
    egressTcp: number[];
}

/**
 * The namespace (restricted, never injected), the pinned Helm release (atomic: a failed install rolls
 * back) and the namespace's network policies: what every platform chart of a cluster gets alike.
 */
export function buildPlatformChart(name: string, spec: PlatformChartSpec, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        { metadata: { name: spec.namespace, labels: managedNamespaceLabels("restricted", "disabled") } },
        { parent, dependsOn },
    );
    const release = new k8s.helm.v3.Release(
        `${name}-release`,
        {
            name: spec.releaseName,
            chart: spec.chart,
            version: spec.version,
            repositoryOpts: { repo: spec.repo },
            namespace: namespace.metadata.name,
            atomic: true,
            timeout: spec.timeoutSeconds,
            values: spec.values,
        },
        { parent, dependsOn: withDependsOn(dependsOn, namespace) },
    );
    const policies = platformNamespacePolicies(name, namespace.metadata.name, { ingressTcp: spec.ingressTcp, egressTcp: spec.egressTcp }, { parent, dependsOn: [namespace] });
    return { namespace, release, policies };
}

/**
 * Default-deny for a platform namespace plus the few flows its controllers need: DNS, TCP egress on
 * the given ports (API server, ACME, cloud DNS APIs), TCP ingress on the given ports (webhook, metrics;
 * the API server's address is not known in advance, so these are port-scoped rather than peer-scoped).
 */
export function platformNamespacePolicies(
    name: string,
    namespace: pulumi.Input<string>,
    ports: { ingressTcp: number[]; egressTcp: number[] },
    opts: pulumi.CustomResourceOptions,
) {
    const defaultDeny = new k8s.networking.v1.NetworkPolicy(
        `${name}-default-deny`,
        { metadata: { name: "default-deny-all", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        opts,
    );
    const allow = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-controllers`,
        {
            metadata: { name: "allow-controllers", namespace },
            spec: {
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
                ingress: ports.ingressTcp.length ? [{ ports: ports.ingressTcp.map((port) => ({ protocol: "TCP", port })) }] : [],
                egress: [
                    { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
                    { ports: ports.egressTcp.map((port) => ({ protocol: "TCP", port })) },
                ],
            },
        },
        opts,
    );
    return { defaultDeny, allow };
}

