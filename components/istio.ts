import * as k8s from "@pulumi/kubernetes";
import { managedNamespaceLabels } from "./namespaceBaseline";
import * as pulumi from "@pulumi/pulumi";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { IstioCsr, istioCsrAddress } from "./istioCsr";
import { istioCsrNames, rfc1123Label, trustDomainPattern } from "./names";
import { platformCrds, requireCrds } from "./requiredCrds";
import { apiServerPort } from "./chartFlows";

/** Where the Istio charts are published; pinned so a chart can only come from Istio's own repository. */
export const istioChartRepository = "https://istio-release.storage.googleapis.com/charts";

/** The port every egress gateway listens on for sidecar traffic (Istio's auto-mTLS passthrough port). */
export const egressGatewayPort = 15443;

/** The ingress gateway's readiness port, always declared on its Service. */
export const gatewayStatusPort = 15021;

/**
 * Ports Istio keeps for itself on gateway and sidecar proxies (15000 admin ... 15090 Prometheus). A link
 * port in this range would collide with Envoy's own listeners.
 */
export const istioReservedPorts = { first: 15000, last: 15090 } as const;

export function isIstioReservedPort(port: number): boolean {
    return port >= istioReservedPorts.first && port <= istioReservedPorts.last;
}

export interface IstioArgs {
    /** Version of the Istio Helm charts (base, istiod, gateway), e.g. "1.28.1". Always pinned. */
    version: string;
    /** Namespace of the control plane and both gateways. @default "istio-system" */
    namespace?: string;
    /**
     * Install base and istiod. Off when the cluster runs a managed control plane (GKE fleet mesh) and
     * only needs the gateways. @default true
     */
    controlPlane?: boolean;
    /** Install the ingress gateway (LoadBalancer). @default true */
    ingressGateway?: boolean;
    /** Install the egress gateway (ClusterIP). @default true */
    egressGateway?: boolean;
    /** The reserved static IP the ingress gateway's load balancer takes (`loadBalancerIP`). @default - an ephemeral IP */
    ingressLoadBalancerIP?: pulumi.Input<string>;
    /** Annotations of the ingress gateway Service (e.g. the Azure public IP name and resource group). @default {} */
    ingressServiceAnnotations?: Record<string, pulumi.Input<string>>;
    /** Networks (CIDRs) allowed to reach the ingress gateway load balancer. @default - any (mutual TLS guards every port) */
    ingressSourceRanges?: pulumi.Input<string>[];
    /** TCP ports the ingress gateway serves mesh links on; each becomes a Service port `tls-<port>`. @default [] */
    linkPorts?: number[];
    /** Remote link ports the egress gateway may connect out to (its NetworkPolicy opens only these). @default [] */
    egressLinkPorts?: number[];
    /** Cloud platform the istio-cni chart is tuned for ("gke" puts the CNI binaries where GKE expects them). @default - generic */
    platform?: string;
    /**
     * Let sidecars reach hosts that are not in the mesh registry. Off, the mesh only reaches hosts a
     * ServiceEntry declares, which is what keeps an undeclared exfiltration path closed. @default false
     */
    allowAnyOutbound?: boolean;
    /** The mesh's SPIFFE trust domain (`meshConfig.trustDomain`); distinct per cluster. @default "cluster.local" */
    trustDomain?: string;
    /**
     * Workload certificates from cert-manager through istio-csr, signed by the cluster's intermediate
     * (istiod's own CA server off). @default - istiod's self-signed CA, unrelated to any other cluster's
     */
    externalCa?: IstioExternalCaArgs;
    /**
     * Istio (control plane and both gateways) is installed outside the stack: GitOps or a managed
     * add-on such as the GKE managed mesh. The stack then creates no namespace, chart or network
     * policy for it, checks that the Istio CRDs its objects use exist, and keeps only mesh-wide STRICT
     * mutual TLS. The installation must name its gateways as `istioNames` does, serve the link ports
     * on the ingress gateway and take the reserved IP. @default false
     */
    installedOutside?: boolean;
}

/** How istiod hands certificate signing to istio-csr. */
export interface IstioExternalCaArgs {
    /** Every root the mesh trusts, PEM (two during a root rotation). */
    trustAnchorsPem: pulumi.Input<string>;
    /** ClusterIssuer of the cluster's intermediate. @default "internal-ca" */
    issuerName?: string;
    /** istio-csr replicas. @default 1 */
    replicas?: number;
}

/** Names of the releases and Services, fixed because link objects address them by name. */
export const istioNames = {
    ingressRelease: "istio-ingressgateway",
    egressRelease: "istio-egressgateway",
    ingressSelector: { istio: "ingressgateway" },
    egressSelector: { istio: "egressgateway" },
} as const;

export function validateIstioArgs(args: IstioArgs): string[] {
    const problems: string[] = [];
    if (!/^\d+\.\d+\.\d+$/.test(args.version ?? "")) {
        problems.push(`version "${args.version}" must be a pinned chart version such as "1.28.1" (no ranges, no "latest")`);
    }
    const namespace = args.namespace ?? "istio-system";
    if (!rfc1123Label.test(namespace)) {
        problems.push(`namespace "${namespace}" must be a lowercase RFC 1123 label`);
    }
    const seen = new Set<number>();
    for (const port of args.linkPorts ?? []) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            problems.push(`linkPorts entry ${port} must be a TCP port (1-65535)`);
        } else if (isIstioReservedPort(port)) {
            problems.push(`linkPorts entry ${port} is in Istio's reserved range ${istioReservedPorts.first}-${istioReservedPorts.last}; pick another port`);
        } else if (seen.has(port)) {
            problems.push(`linkPorts lists ${port} twice: each link needs its own port`);
        }
        seen.add(port);
    }
    if (args.trustDomain !== undefined && !trustDomainPattern.test(args.trustDomain)) {
        problems.push(`trustDomain "${args.trustDomain}" must be a SPIFFE trust domain (lowercase letters, digits, ".", "-", "_")`);
    }
    if (args.externalCa && args.controlPlane === false) problems.push("externalCa needs the control plane: a managed control plane signs with its own CA");
    if (args.ingressGateway === false && (args.linkPorts ?? []).length > 0) {
        problems.push("linkPorts needs the ingress gateway: leave ingressGateway on");
    }
    return problems;
}

/** The istiod chart values: mesh-wide registry-only egress, access logs, and the CNI instead of privileged init containers. */
export function istiodValues(args: IstioArgs): Record<string, unknown> {
    return {
        // istio-cni sets up traffic redirection, so injected pods need no NET_ADMIN init container
        // and still pass the restricted Pod Security level of their namespaces.
        // DNS auto-allocation v2: istiod gives each ServiceEntry without addresses its own address
        // (the sidecar-side ISTIO_META_DNS_AUTO_ALLOCATE is deprecated).
        pilot: { cni: { enabled: true }, env: { PILOT_ENABLE_IP_AUTOALLOCATE: "true" } },
        // Injected proxies (sidecar and init container) carry RuntimeDefault seccomp themselves, so a pod
        // that sets no profile still passes its namespace's restricted Pod Security level.
        global: { proxy: { seccompProfile: { type: "RuntimeDefault" } } },
        meshConfig: {
            accessLogFile: "/dev/stdout",
            accessLogEncoding: "JSON",
            outboundTrafficPolicy: { mode: args.allowAnyOutbound ? "ALLOW_ANY" : "REGISTRY_ONLY" },
            // The sidecar answers DNS with the address istiod allocated to each ServiceEntry host, so
            // plain TCP to a link's host is routed by host, and two links on the same app port (e.g.
            // two MySQL servers behind one ingress IP) stay apart.
            defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" } },
        },
    };
}

/**
 * What istiod needs on top of istiodValues for its trust domain and an external CA: the CA server off
 * (`ENABLE_CA_SERVER=false`) and every proxy's CSRs sent to istio-csr (`global.caAddress`). istiod's
 * chart mounts the `istiod-tls` Secret istio-csr issues and the `istio-ca-root-cert` ConfigMap itself.
 */
export function istiodCaValues(args: IstioArgs): Record<string, unknown> {
    return {
        meshConfig: { trustDomain: args.trustDomain ?? "cluster.local" },
        ...(args.externalCa ? { pilot: { env: { ENABLE_CA_SERVER: "false" } }, global: { caAddress: istioCsrAddress() } } : {}),
    };
}

/** Merges chart values: objects key by key, anything else replaced by the overlay. */
export function mergeValues(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
        const current = out[key];
        const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
        out[key] = isObject(current) && isObject(value) ? mergeValues(current, value) : value;
    }
    return out;
}

/** The ingress gateway chart values: a LoadBalancer on the reserved IP, declaring every link port itself. */
export function ingressGatewayValues(args: IstioArgs): Record<string, unknown> {
    const ports = [
        { name: "status-port", port: gatewayStatusPort, protocol: "TCP", targetPort: gatewayStatusPort },
        ...[...(args.linkPorts ?? [])].sort((a, b) => a - b).map((port) => ({ name: `tls-${port}`, port, protocol: "TCP", targetPort: port })),
    ];
    return {
        labels: { app: istioNames.ingressRelease, ...istioNames.ingressSelector },
        service: {
            type: "LoadBalancer",
            ports,
            ...(args.ingressLoadBalancerIP !== undefined ? { loadBalancerIP: args.ingressLoadBalancerIP } : {}),
            annotations: args.ingressServiceAnnotations ?? {},
            ...(args.ingressSourceRanges?.length ? { loadBalancerSourceRanges: args.ingressSourceRanges } : {}),
            // Keep the client's source address so access logs show who connected.
            externalTrafficPolicy: "Local",
        },
    };
}

/** The egress gateway chart values: cluster-internal only, listening on the mesh mTLS port. */
export function egressGatewayValues(): Record<string, unknown> {
    return {
        labels: { app: istioNames.egressRelease, ...istioNames.egressSelector },
        service: {
            type: "ClusterIP",
            ports: [
                { name: "status-port", port: gatewayStatusPort, protocol: "TCP", targetPort: gatewayStatusPort },
                { name: "tls", port: egressGatewayPort, protocol: "TCP", targetPort: egressGatewayPort },
            ],
        },
    };
}

/**
 * Istio on one cluster from the pinned upstream Helm charts: base (CRDs), istio-cni, istiod with a
 * registry-only mesh and access logs, an ingress gateway on a reserved static IP, an egress gateway,
 * and mesh-wide STRICT mutual TLS. Mesh links (MtlsServer / MtlsClient) depend on the component, which waits for every release.
 */
export class Istio extends pulumi.ComponentResource {
    /** The control plane's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** In-cluster host of the egress gateway, the destination of every MtlsClient. */
    public readonly egressGatewayHost: pulumi.Output<string>;
    /** Name of the ingress gateway Service. */
    public readonly ingressServiceName: pulumi.Output<string>;

    constructor(name: string, args: IstioArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:Istio", name, args, opts);
        const problems = validateIstioArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`Istio ${name}: ${problems.join("; ")}`, this);
        }
        if (args.installedOutside) {
            const crds = requireCrds(name, [...platformCrds.istio], this, opts?.dependsOn);
            const namespace = args.namespace ?? "istio-system";
            strictMutualTls(name, namespace, this, crds);
            this.namespace = pulumi.output(namespace);
        } else {
            this.namespace = buildIstio(name, args, this, opts?.dependsOn).namespace.metadata.name;
        }
        this.egressGatewayHost = pulumi.interpolate`${istioNames.egressRelease}.${this.namespace}.svc.cluster.local`;
        this.ingressServiceName = pulumi.output(istioNames.ingressRelease);
        this.registerOutputs({ namespace: this.namespace, egressGatewayHost: this.egressGatewayHost, ingressServiceName: this.ingressServiceName });
    }
}

export function buildIstio(name: string, args: IstioArgs, parent: pulumi.Resource, componentDependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (CRDs installed, namespace created): pass it on.
    const namespaceName = args.namespace ?? "istio-system";
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
            metadata: {
                name: namespaceName,
                // Baseline: the gateway pods set a safe sysctl (unprivileged low ports), which restricted
                // refuses. No istio-injection label: the gateway chart's pods (`image: auto`) ask for
                // injection with `sidecar.istio.io/inject: "true"`, which istiod's webhook honours only
                // where the label is absent or enabled; istiod's own pods opt out.
                labels: managedNamespaceLabels("baseline", "per-pod"),
                annotations: { "trustmesh.io/baseline-reason": "Istio gateways set net.ipv4.ip_unprivileged_port_start" },
            },
        },
        { parent, dependsOn: componentDependsOn },
    );
    const release = (role: string, chart: string, values: Record<string, unknown>, extra: Partial<k8s.helm.v3.ReleaseArgs>, dependsOn: pulumi.Resource[]) =>
        new k8s.helm.v3.Release(
            `${name}-${role}`,
            {
                chart,
                version: args.version,
                repositoryOpts: { repo: istioChartRepository },
                namespace: namespace.metadata.name,
                values,
                atomic: true,
                cleanupOnFail: true,
                maxHistory: 5,
                ...extra,
            },
            { parent, dependsOn },
        );

    const controlPlane = args.controlPlane !== false;
    const base = controlPlane ? release("base", "base", { defaultRevision: "default" }, { name: "istio-base" }, [namespace]) : undefined;
    // The CNI node agent is privileged by nature; kube-system already runs privileged node agents.
    const cni = controlPlane
        ? release("cni", "cni", args.platform ? { global: { platform: args.platform } } : {}, { name: "istio-cni", namespace: "kube-system" }, base ? [base] : [])
        : undefined;
    // istio-csr before istiod: istiod starts with the serving certificate istio-csr has it issued.
    const istioCsr =
        controlPlane && args.externalCa && base
            ? new IstioCsr(
                  `${name}-istio-csr`,
                  { trustDomain: args.trustDomain ?? "cluster.local", trustAnchorsPem: args.externalCa.trustAnchorsPem, issuerName: args.externalCa.issuerName, replicas: args.externalCa.replicas, istioNamespace: namespaceName },
                  { parent, dependsOn: withDependsOn(componentDependsOn, base) },
              )
            : undefined;
    const istiod = controlPlane
        ? release("istiod", "istiod", mergeValues(istiodValues(args), istiodCaValues(args)), { name: "istiod" }, [base, cni, istioCsr].filter((r): r is NonNullable<typeof r> => !!r))
        : undefined;
    const controlPlaneReady = [namespace, base, istiod].filter((r): r is NonNullable<typeof r> => !!r);

    const ingress =
        args.ingressGateway === false
            ? undefined
            : release("ingress-gateway", "gateway", ingressGatewayValues(args), { name: istioNames.ingressRelease }, controlPlaneReady);
    const egress = args.egressGateway === false ? undefined : release("egress-gateway", "gateway", egressGatewayValues(), { name: istioNames.egressRelease }, controlPlaneReady);

    const peerAuthentication = strictMutualTls(name, namespace.metadata.name, parent, controlPlaneReady);

    const networkPolicies = buildIstioNetworkPolicies(name, args, namespace, parent);

    const ready = [...controlPlaneReady, ...(ingress ? [ingress] : []), ...(egress ? [egress] : [])];
    return { namespace, base, cni, istioCsr, istiod, ingress, egress, peerAuthentication, networkPolicies, ready };
}

/** Mesh-wide: no workload accepts plain text, so a pod without a sidecar cannot talk to one with. */
function strictMutualTls(name: string, namespace: pulumi.Input<string>, parent: pulumi.Resource, dependsOn: pulumi.Resource[]) {
    return new k8s.apiextensions.CustomResource(
        `${name}-strict-mtls`,
        {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace },
            spec: { mtls: { mode: "STRICT" } },
        },
        { parent, dependsOn },
    );
}

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * istio-system denies by default like every namespace; each component then gets only its paths:
 * istiod serves xDS, CA and the webhooks and talks to the API server; the ingress gateway takes the
 * link ports from outside and reaches in-cluster backends; the egress gateway takes mesh traffic on
 * 15443 and leaves only for the remote link ports.
 */
export function istioNetworkPolicySpecs(args: IstioArgs): Record<string, PolicySpec> {
    const tcp = (port: number) => ({ protocol: "TCP", port });
    const istiod = { podSelector: { matchLabels: { app: "istiod" } } };
    const anyPodInCluster = { namespaceSelector: {} };
    const internet = { ipBlock: { cidr: "0.0.0.0/0" } };
    // A managed control plane (GKE fleet mesh) is outside the cluster: its proxies reach it on 443.
    const toIstiod = args.controlPlane === false ? { to: [internet], ports: [tcp(443)] } : { to: [{ ...anyPodInCluster, ...istiod }], ports: [tcp(15012)] };
    // With istio-csr, proxies get their certificates from it instead of istiod.
    const toCa = args.externalCa
        ? [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cert-manager" } }, podSelector: { matchLabels: { ...istioCsrNames.podLabels } } }], ports: [tcp(istioCsrNames.servingPort)] }]
        : [];
    return {
        "default-deny-all": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        "allow-dns-egress": {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
                },
            ],
        },
        istiod: {
            podSelector: istiod.podSelector,
            policyTypes: ["Ingress", "Egress"],
            // xDS/CA from every proxy, webhooks from the API server (whose address the cluster does not expose).
            ingress: [{ ports: [tcp(15010), tcp(15012), tcp(15014), tcp(15017)] }],
            egress: [{ to: [internet], ports: [tcp(apiServerPort)] }],
        },
        "ingress-gateway": {
            podSelector: { matchLabels: { ...istioNames.ingressSelector } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ ports: [tcp(gatewayStatusPort), ...(args.linkPorts ?? []).map(tcp)] }],
            egress: [toIstiod, { to: [anyPodInCluster] }],
        },
        "egress-gateway": {
            podSelector: { matchLabels: { ...istioNames.egressSelector } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [anyPodInCluster], ports: [tcp(egressGatewayPort), tcp(gatewayStatusPort)] }],
            egress: [toIstiod, ...toCa, ...((args.egressLinkPorts ?? []).length ? [{ to: [internet], ports: (args.egressLinkPorts ?? []).map(tcp) }] : [])],
        },
    };
}

function buildIstioNetworkPolicies(name: string, args: IstioArgs, namespace: k8s.core.v1.Namespace, parent: pulumi.Resource) {
    return Object.entries(istioNetworkPolicySpecs(args)).map(
        ([policy, spec]) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-netpol-${policy}`,
                { metadata: { name: policy === "default-deny-all" || policy === "allow-dns-egress" ? policy : `allow-${policy}`, namespace: namespace.metadata.name }, spec },
                { parent, dependsOn: [namespace] },
            ),
    );
}
