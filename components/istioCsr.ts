import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultCertManagerResources, helmResources, jetstackChartRepo } from "./certManager";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { istioCsrNames, rfc1123Label, trustDomainPattern } from "./names";

/** The cert-manager istio-csr chart this package is tested with (chart source read at this tag). */
export const istioCsrChartVersion = "v0.17.0";

export { istioCsrNames, trustDomainPattern };


export interface IstioCsrArgs {
    /** The mesh's trust domain (istiod's `meshConfig.trustDomain` must be the same), e.g. "gke.dev.europe-west1". */
    trustDomain: string;
    /**
     * Every root CA the mesh trusts, PEM, concatenated: what istio-csr publishes as `istio-ca-root-cert`
     * in every namespace and hands to proxies with each certificate. Two roots during a root rotation.
     */
    trustAnchorsPem: pulumi.Input<string>;
    /** The ClusterIssuer that signs workload certificates: the cluster's intermediate. @default "internal-ca" */
    issuerName?: string;
    /** cert-manager's namespace; istio-csr runs there beside it. @default "cert-manager" */
    namespace?: string;
    /** Istio's control-plane namespace (CertificateRequests and istiod's certificate go there). @default "istio-system" */
    istioNamespace?: string;
    /** Chart version. @default istioCsrChartVersion */
    chartVersion?: string;
    /** Replicas: every proxy renews its certificate through istio-csr. @default 1 */
    replicas?: number;
    /** Longest workload certificate lifetime istio-csr grants (Go duration). @default "1h" */
    maxCertificateDuration?: string;
}

/** The address proxies send their CSRs to (istiod's `global.caAddress`). */
export function istioCsrAddress(namespace = "cert-manager"): string {
    return `${istioCsrNames.release}.${namespace}.svc:${istioCsrNames.servicePort}`;
}

export function validateIstioCsrArgs(args: IstioCsrArgs): string[] {
    const problems: string[] = [];
    if (!trustDomainPattern.test(args.trustDomain ?? "")) {
        problems.push(`trustDomain "${args.trustDomain}" must be a SPIFFE trust domain (lowercase letters, digits, ".", "-", "_")`);
    }
    for (const [key, value] of [["issuerName", args.issuerName], ["namespace", args.namespace], ["istioNamespace", args.istioNamespace]] as const) {
        if (value !== undefined && !rfc1123Label.test(value)) problems.push(`${key} "${value}" must be a lowercase RFC 1123 name`);
    }
    if (args.chartVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(args.chartVersion)) problems.push(`chartVersion "${args.chartVersion}" must be an exact version such as ${istioCsrChartVersion}`);
    if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 1)) problems.push(`replicas ${args.replicas} must be a whole number of at least 1`);
    if (args.maxCertificateDuration !== undefined && !/^\d+(h|m)$/.test(args.maxCertificateDuration)) problems.push(`maxCertificateDuration "${args.maxCertificateDuration}" must be a duration in hours or minutes such as 1h`);
    return problems;
}

/**
 * The chart values (keys as in the chart's values.yaml at istioCsrChartVersion): CertificateRequests in
 * Istio's namespace signed by the cluster's intermediate ClusterIssuer, the trust domain, the trust
 * anchors from a file (so the published roots are ours, not whatever the issuer's `ca.crt` holds), and
 * istiod's serving certificate issued from the same intermediate.
 */
export function istioCsrValues(args: IstioCsrArgs): Record<string, unknown> {
    const namespace = args.namespace ?? "cert-manager";
    const istioNamespace = args.istioNamespace ?? "istio-system";
    const replicas = args.replicas ?? 1;
    return {
        replicaCount: replicas,
        app: {
            certmanager: {
                namespace: istioNamespace,
                preserveCertificateRequests: false,
                issuer: { enabled: true, name: args.issuerName ?? "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
            },
            tls: {
                trustDomain: args.trustDomain,
                rootCAFile: `${istioCsrNames.trustAnchorsMountPath}/${istioCsrNames.trustAnchorsKey}`,
                certificateDNSNames: [`${istioCsrNames.release}.${namespace}.svc`],
                istiodCertificateEnable: true,
                // istiod's key algorithm follows server.serving.signatureAlgorithm (ECDSA) when left unset.
                istiodPrivateKeySize: 256,
            },
            server: {
                maxCertificateDuration: args.maxCertificateDuration ?? "1h",
                serving: { port: istioCsrNames.servingPort, signatureAlgorithm: "ECDSA", certificateKeySize: 256 },
            },
            istio: { namespace: istioNamespace, revisions: ["default"] },
            controller: { leaderElectionNamespace: namespace },
        },
        volumes: [{ name: "trust-anchors", configMap: { name: istioCsrNames.trustAnchorsConfigMap } }],
        volumeMounts: [{ name: "trust-anchors", mountPath: istioCsrNames.trustAnchorsMountPath, readOnly: true }],
        resources: helmResources(defaultCertManagerResources),
        // With more than one replica, a node drain keeps one answering CSRs.
        podDisruptionBudget: { enabled: replicas > 1 },
    };
}

/**
 * cert-manager istio-csr on one cluster: the mesh's CA server in place of istiod's self-signed CA. Every
 * workload certificate becomes a cert-manager CertificateRequest signed by the cluster's intermediate, so
 * it chains to the environment root. Builds the trust-anchor ConfigMap, the pinned release, and the
 * NetworkPolicy that lets every proxy reach it. Pass the cluster's provider, and `dependsOn` cert-manager,
 * the intermediate's ClusterIssuer and Istio's namespace (the chart writes istiod's Certificate there).
 */
export class IstioCsr extends pulumi.ComponentResource {
    /** Where proxies send CSRs. */
    public readonly caAddress: pulumi.Output<string>;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: IstioCsrArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:IstioCsr", name, args, opts);
        const problems = validateIstioCsrArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`IstioCsr ${name}: ${problems.join("; ")}`, this);
        const built = buildIstioCsr(name, args, this, opts?.dependsOn);
        this.release = built.release;
        this.caAddress = pulumi.output(istioCsrAddress(args.namespace));
        this.registerOutputs({ caAddress: this.caAddress });
    }
}

export function buildIstioCsr(name: string, args: IstioCsrArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const namespace = args.namespace ?? "cert-manager";
    const labels = { "app.kubernetes.io/managed-by": "trustmesh", "trustmesh.io/mesh-trust-anchors": "true" };
    const trustAnchors = new k8s.core.v1.ConfigMap(
        `${name}-trust-anchors`,
        {
            metadata: { name: istioCsrNames.trustAnchorsConfigMap, namespace, labels },
            data: { [istioCsrNames.trustAnchorsKey]: args.trustAnchorsPem },
        },
        { parent, dependsOn },
    );
    const release = new k8s.helm.v3.Release(
        `${name}-release`,
        {
            name: istioCsrNames.release,
            chart: "cert-manager-istio-csr",
            version: args.chartVersion ?? istioCsrChartVersion,
            repositoryOpts: { repo: jetstackChartRepo },
            namespace,
            atomic: true,
            // Ready only once the issuer has signed istio-csr's own serving certificate.
            timeout: 600,
            values: istioCsrValues(args),
        },
        { parent, dependsOn: withDependsOn(dependsOn, trustAnchors) },
    );
    // cert-manager's namespace denies by default: every proxy of the cluster (any namespace) sends its
    // CSR to istio-csr's gRPC port.
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-proxies`,
        {
            metadata: { name: "allow-istio-csr", namespace, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: {
                podSelector: { matchLabels: { ...istioCsrNames.podLabels } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: istioCsrNames.servingPort }] }],
            },
        },
        { parent, dependsOn },
    );
    return { trustAnchors, release, networkPolicy };
}
