import type { FlowPeer, NetworkFlow, Protocol } from "./networkFlows";

/**
 * The flows each platform chart needs, read from the chart's own templates and values at the pinned
 * versions (cert-manager v1.19.2, trust-manager v0.20.3, istio-csr v0.17.0, Reloader 2.2.6, Istio 1.28.1). The
 * components take their ports from here, and the policy pack proves the rendered NetworkPolicies admit
 * every flow (policy/networkFlows.ts). Data only: no Pulumi, so the pack can load it.
 */

/** cert-manager webhook `securePort` (chart default 10250: a port GKE private control planes already reach). */
export const certManagerWebhookPort = 10250;
/** Prometheus metrics of the cert-manager controller, webhook and cainjector (`containerPort: 9402` with prometheus.enabled). */
export const certManagerMetricsPort = 9402;
/** trust-manager `app.webhook.port`: its Service maps 443 to it; the Bundle webhook has failurePolicy Fail. */
export const trustManagerWebhookPort = 6443;
/** trust-manager `app.metrics.port`. */
export const trustManagerMetricsPort = 9402;
/** Reloader's `http` container port (metrics and probes). */
export const reloaderMetricsPort = 9090;
/** istiod container ports (istio-discovery chart): xDS over TLS, webhooks (Service 443 -> 15017), monitoring, plain xDS. */
export const istiodPorts = { xds: 15012, webhooks: 15017, monitoring: 15014, plainXds: 15010 } as const;
/**
 * Port of the API server endpoint behind `kubernetes.default` on GKE and AKS. Egress policies are
 * matched after the Service address is translated, so this is the port they must admit.
 */
export const apiServerPort = 443;

/**
 * The GKE metadata server that hands out Workload Identity tokens (GKE documentation, "Use Workload
 * Identity Federation for GKE", network policy note): 169.254.169.254:80 on Dataplane V2 clusters,
 * 169.254.169.252:988 on the legacy dataplane.
 */
export const gkeMetadataServer = {
    "dataplane-v2": { cidr: "169.254.169.254/32", port: 80 },
    legacy: { cidr: "169.254.169.252/32", port: 988 },
} as const;

/** The GKE dataplane a cluster runs (an enum in the package schema). */
export const GkeDataplane = {
    /** GKE Dataplane V2 (`ADVANCED_DATAPATH`): what GkeCluster creates. */
    DataplaneV2: "dataplane-v2",
    /** The legacy dataplane (kube-proxy with Calico network policy). */
    Legacy: "legacy",
} as const;
export type GkeDataplane = (typeof GkeDataplane)[keyof typeof GkeDataplane];

/** A Helm release as the stack declares it. */
export interface ReleaseView {
    chart: string;
    name: string;
    namespace: string;
    values: Record<string, any>;
}

/** What a chart's flows depend on beyond its own values: the cluster it runs on. */
export interface ClusterFlowContext {
    /** The GKE dataplane, when the cluster is GKE. @default "dataplane-v2" (what GkeCluster always creates) */
    gkeDataplane?: GkeDataplane;
    /** Namespace of the in-cluster istiod, if the cluster runs one (else the control plane is managed, outside). */
    istiodNamespace?: string;
    /** TLS ports of the cluster's MESH_EXTERNAL ServiceEntries: where an egress gateway originates mesh links to. @default [] */
    externalTlsPorts?: number[];
    /** The CA proxies send their CSRs to when istiod's `global.caAddress` points at istio-csr. @default - istiod */
    externalCa?: { namespace: string; podLabels: Record<string, string>; port: number };
}

/** The proxies' certificate flow to an external CA (istio-csr), when istiod delegates signing. */
function toExternalCa(pods: Pods, context: ClusterFlowContext): NetworkFlow[] {
    const ca = context.externalCa;
    return ca ? [flow(pods, "egress", { kind: "pods", namespace: ca.namespace, podLabels: ca.podLabels, what: "istio-csr" }, ca.port, "sends its certificate signing requests to istio-csr (istiod's global.caAddress)")] : [];
}

const kubeDns: FlowPeer = { kind: "pods", namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, what: "kube-dns" };
const apiServer: FlowPeer = { kind: "api-server" };
const prometheus: FlowPeer = { kind: "any-pod", what: "Prometheus scrapers" };
const obj = (value: unknown): Record<string, any> => (value && typeof value === "object" ? (value as Record<string, any>) : {});

type Pods = Pick<NetworkFlow, "component" | "namespace" | "podLabels">;
const flow = (pods: Pods, direction: NetworkFlow["direction"], peer: FlowPeer, port: number, purpose: string, protocol: Protocol = "TCP"): NetworkFlow => ({
    ...pods,
    direction,
    peer,
    port,
    protocol,
    purpose,
});
const dns = (pods: Pods, purpose: string) => [flow(pods, "egress", kubeDns, 53, purpose, "UDP"), flow(pods, "egress", kubeDns, 53, purpose, "TCP")];

/** cert-manager v1.19.2: controller, webhook, cainjector and the startupapicheck hook. */
export function certManagerFlows(release: ReleaseView, context: ClusterFlowContext = {}): NetworkFlow[] {
    const values = release.values;
    const ns = release.namespace;
    const pods = (role: string, labelName: string): Pods => ({
        component: `cert-manager ${role}`,
        namespace: ns,
        podLabels: { "app.kubernetes.io/name": labelName, "app.kubernetes.io/component": role },
    });
    const controller = pods("controller", "cert-manager");
    const webhook = pods("webhook", "webhook");
    const cainjector = pods("cainjector", "cainjector");
    const metrics = obj(values.prometheus).enabled !== false;
    const flows: NetworkFlow[] = [
        flow(controller, "egress", apiServer, apiServerPort, "watches Certificates and Issuers, writes the issued Secrets"),
        ...dns(controller, "resolves the ACME server and the cloud DNS API"),
        flow(controller, "egress", { kind: "outside", what: "the ACME server and the cloud DNS API" }, 443, "orders certificates (ACME) and writes DNS01 records"),
        flow(webhook, "ingress", apiServer, Number(obj(values.webhook).securePort ?? certManagerWebhookPort), "the API server calls the validating and mutating webhooks (failurePolicy Fail) on webhook.securePort"),
        flow(webhook, "egress", apiServer, apiServerPort, "reads and renews its serving certificate Secret"),
        flow(cainjector, "egress", apiServer, apiServerPort, "injects CA bundles into webhook configurations and CRDs"),
    ];
    // dns01RecursiveNameservers: the DNS01 self-check asks these resolvers directly (UDP, TCP on truncation).
    for (const server of String(values.dns01RecursiveNameservers ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
        const [host, port] = server.split(":");
        for (const protocol of ["UDP", "TCP"] as const) {
            flows.push(flow(controller, "egress", { kind: "address", cidr: `${host}/32`, what: "DNS01 recursive nameserver" }, Number(port ?? 53), "checks DNS01 records before presenting them (dns01RecursiveNameservers)", protocol));
        }
    }
    if (metrics) {
        for (const pods of [controller, webhook, cainjector]) flows.push(flow(pods, "ingress", prometheus, certManagerMetricsPort, "Prometheus metrics (prometheus.enabled)"));
    }
    if (obj(obj(values.serviceAccount).annotations)["iam.gke.io/gcp-service-account"] !== undefined) {
        const server = gkeMetadataServer[context.gkeDataplane ?? "dataplane-v2"];
        flows.push(flow(controller, "egress", { kind: "address", cidr: server.cidr, what: "the GKE metadata server" }, server.port, "gets the Workload Identity token for Cloud DNS (DNS01)"));
    }
    if (obj(values.startupapicheck).enabled !== false) {
        flows.push(flow(pods("startupapicheck", "startupapicheck"), "egress", apiServer, apiServerPort, "the post-install hook checks the webhook answers through the API server"));
    }
    return flows;
}

/** trust-manager v0.20.3: the Bundle webhook, metrics and its API calls. */
export function trustManagerFlows(release: ReleaseView): NetworkFlow[] {
    const app = obj(release.values.app);
    const pods: Pods = { component: "trust-manager", namespace: release.namespace, podLabels: { app: "trust-manager" } };
    return [
        flow(pods, "ingress", apiServer, Number(obj(app.webhook).port ?? trustManagerWebhookPort), "the API server calls the Bundle validating webhook (failurePolicy Fail) on app.webhook.port"),
        flow(pods, "ingress", prometheus, Number(obj(app.metrics).port ?? trustManagerMetricsPort), "Prometheus metrics (app.metrics.port)"),
        flow(pods, "egress", apiServer, apiServerPort, "reads Bundles and sources, writes the target ConfigMaps"),
    ];
}

/** cert-manager istio-csr v0.17.0: the gRPC CA every proxy (and istiod) sends its CSRs to. */
export function istioCsrFlows(release: ReleaseView): NetworkFlow[] {
    const app = obj(release.values.app);
    const pods: Pods = { component: "istio-csr", namespace: release.namespace, podLabels: { app: release.name } };
    return [
        flow(pods, "ingress", { kind: "any-pod", what: "every Istio proxy and istiod" }, Number(obj(obj(app.server).serving).port ?? 6443), "signs workload certificates (gRPC CA on app.server.serving.port)"),
        flow(pods, "ingress", prometheus, Number(obj(app.metrics).port ?? 9402), "Prometheus metrics (app.metrics.port)"),
        flow(pods, "egress", apiServer, apiServerPort, "creates CertificateRequests, publishes the root ConfigMap in every namespace"),
    ];
}

/** stakater Reloader 2.2.6. */
export function reloaderFlows(release: ReleaseView): NetworkFlow[] {
    const pods: Pods = { component: "Reloader", namespace: release.namespace, podLabels: { "app.kubernetes.io/name": "reloader" } };
    return [
        flow(pods, "egress", apiServer, apiServerPort, "watches Secrets and ConfigMaps, patches the workloads that name them"),
        flow(pods, "ingress", prometheus, reloaderMetricsPort, "Prometheus metrics (the http port)"),
    ];
}

/** istiod (istio-discovery chart 1.28.1). */
export function istiodFlows(release: ReleaseView): NetworkFlow[] {
    const pods: Pods = { component: "istiod", namespace: release.namespace, podLabels: { app: "istiod" } };
    return [
        flow(pods, "ingress", { kind: "any-pod", what: "every Istio proxy (sidecars and gateways)" }, istiodPorts.xds, "serves xDS configuration and workload certificates"),
        flow(pods, "ingress", apiServer, istiodPorts.webhooks, "the API server calls the sidecar injection and config validation webhooks (failurePolicy Fail)"),
        flow(pods, "ingress", prometheus, istiodPorts.monitoring, "Prometheus metrics (http-monitoring)"),
        flow(pods, "egress", apiServer, apiServerPort, "watches Services, endpoints and Istio config; signs workload certificates"),
    ];
}

/** An Istio `gateway` chart release (1.28.1): its Service ports, xDS from istiod, DNS for ServiceEntry hosts. */
export function gatewayFlows(release: ReleaseView, context: ClusterFlowContext = {}): NetworkFlow[] {
    const values = release.values;
    const service = obj(values.service);
    const istioLabel = obj(values.labels).istio ?? release.name.replace(/^istio-/, "");
    const pods: Pods = { component: `Istio gateway ${release.name}`, namespace: release.namespace, podLabels: { istio: String(istioLabel) } };
    const external = (service.type ?? "LoadBalancer") === "LoadBalancer";
    const clients: FlowPeer = external ? { kind: "outside", what: "load balancer clients and health checks" } : { kind: "any-pod", what: "mesh workloads" };
    const flows: NetworkFlow[] = [
        context.istiodNamespace
            ? flow(pods, "egress", { kind: "pods", namespace: context.istiodNamespace, podLabels: { app: "istiod" }, what: "istiod" }, istiodPorts.xds, "gets its configuration and certificate from istiod (xDS)")
            : flow(pods, "egress", { kind: "outside", what: "the managed Istio control plane" }, 443, "gets its configuration and certificate from the managed control plane"),
        ...dns(pods, "resolves istiod and the hosts of ServiceEntries with DNS resolution"),
        ...toExternalCa(pods, context),
    ];
    for (const port of Array.isArray(service.ports) ? service.ports : []) {
        const p = obj(port);
        const target = Number(p.targetPort ?? p.port);
        if (Number.isInteger(target)) flows.push(flow(pods, "ingress", clients, target, `serves Service port ${p.name ?? p.port}`, (p.protocol ?? "TCP") as Protocol));
    }
    if (!external) {
        for (const port of context.externalTlsPorts ?? []) {
            flows.push(flow(pods, "egress", { kind: "outside", what: "remote mesh link endpoints" }, port, "originates mutual TLS to a MESH_EXTERNAL ServiceEntry host"));
        }
    }
    return flows;
}

/** The istio-cni node agent (1.28.1): a hostNetwork DaemonSet, which NetworkPolicy does not govern. */
export function cniFlows(release: ReleaseView): NetworkFlow[] {
    const pods: Pods = { component: "istio-cni node agent", namespace: release.namespace, podLabels: { "k8s-app": "istio-cni-node" } };
    return [{ ...flow(pods, "egress", apiServer, apiServerPort, "watches pods to set up their traffic redirection"), hostNetwork: true }];
}

/** The sidecars of a namespace with injection on: what NamespaceBaseline opens for them. */
export function sidecarFlows(namespace: string, istiodNamespace: string, context: ClusterFlowContext = {}): NetworkFlow[] {
    const pods: Pods = { component: "istio-proxy sidecars", namespace, podLabels: {} };
    return [
        flow(pods, "egress", { kind: "pods", namespace: istiodNamespace, podLabels: { app: "istiod" }, what: "istiod" }, istiodPorts.xds, "gets configuration (and, without an external CA, the workload certificate) from istiod (xDS)"),
        ...toExternalCa(pods, context),
    ];
}

/** The flows of a release, by chart name (the last path segment of `chart`), or none for a chart not catalogued. */
export function releaseFlows(release: ReleaseView, context: ClusterFlowContext = {}): NetworkFlow[] {
    const chart = release.chart.split("/").pop();
    switch (chart) {
        case "cert-manager":
            return certManagerFlows(release, context);
        case "trust-manager":
            return trustManagerFlows(release);
        case "reloader":
            return reloaderFlows(release);
        case "cert-manager-istio-csr":
            return istioCsrFlows(release);
        case "istiod":
            return istiodFlows(release);
        case "gateway":
            return gatewayFlows(release, context);
        case "cni":
            return cniFlows(release);
        default:
            return [];
    }
}
