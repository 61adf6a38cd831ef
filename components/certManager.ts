import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { apiServerPort, certManagerMetricsPort, certManagerWebhookPort, gkeMetadataServer, type GkeDataplane } from "./chartFlows";
import { buildPlatformChart } from "./platformChart";
import { platformCrds, requireCrds } from "./requiredCrds";
import { rfc1123Label } from "./names";

/** The cert-manager chart this package is tested with. */
export const certManagerChartVersion = "v1.19.2";
export const jetstackChartRepo = "https://charts.jetstack.io";

export interface ContainerResourcesArgs {
    requestsCpu: string;
    requestsMemory: string;
    limitsCpu: string;
    limitsMemory: string;
}

export interface CertManagerArgs {
    /** Namespace to install into (created, Pod Security `restricted`). @default "cert-manager" */
    namespace?: string;
    /** Chart version. @default certManagerChartVersion */
    chartVersion?: string;
    /** Annotations for the controller's ServiceAccount, binding it to a cloud identity for DNS01. @default {} */
    serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
    /** Labels for the controller pods (`azure.workload.identity/use: "true"` on AKS). @default {} */
    podLabels?: Record<string, string>;
    /** Controller replicas (leader-elected). @default 1 */
    replicas?: number;
    /** Webhook replicas: every Certificate write goes through it. @default 1 */
    webhookReplicas?: number;
    /** Resources of every cert-manager container. @default - 50m/128Mi requested, 500m/512Mi limit */
    resources?: ContainerResourcesArgs;
    /**
     * cert-manager is installed outside the stack (GitOps, a managed add-on): no namespace, chart or
     * namespace policies here, only a check that its CRDs exist. The namespace must exist too (the
     * CA Secret goes there). @default false
     */
    installedOutside?: boolean;
    /**
     * On GKE with Workload Identity: the cluster's dataplane, which decides where the GKE metadata server
     * that hands out the controller's Google token listens ("dataplane-v2": 169.254.169.254:80, "legacy":
     * 169.254.169.252:988). The controller's egress to it is allowed. @default - no metadata server egress
     */
    gkeMetadataServer?: GkeDataplane;
}

export const defaultCertManagerResources: ContainerResourcesArgs = {
    requestsCpu: "50m",
    requestsMemory: "128Mi",
    limitsCpu: "500m",
    limitsMemory: "512Mi",
};

/** Pod-level context for Pod Security `restricted`. */
export const restrictedPodSecurityContext = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** Container-level context for Pod Security `restricted`, plus a read-only root filesystem. */
export const restrictedContainerSecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

export function helmResources(r: ContainerResourcesArgs) {
    return { requests: { cpu: r.requestsCpu, memory: r.requestsMemory }, limits: { cpu: r.limitsCpu, memory: r.limitsMemory } };
}


export function validateCertManagerArgs(args: CertManagerArgs): string[] {
    const problems: string[] = [];
    if (args.namespace !== undefined && !rfc1123Label.test(args.namespace)) problems.push(`namespace "${args.namespace}" must be a lowercase RFC 1123 label`);
    if (args.chartVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(args.chartVersion)) {
        problems.push(`chartVersion "${args.chartVersion}" must be an exact version such as ${certManagerChartVersion}, not a range`);
    }
    if (args.gkeMetadataServer !== undefined && !(args.gkeMetadataServer in gkeMetadataServer)) {
        problems.push(`gkeMetadataServer "${args.gkeMetadataServer}" must be one of ${Object.keys(gkeMetadataServer).join(", ")}`);
    }
    for (const [key, value] of [["replicas", args.replicas], ["webhookReplicas", args.webhookReplicas]] as const) {
        if (value !== undefined && (!Number.isInteger(value) || value < 1)) problems.push(`${key} ${value} must be a whole number of at least 1`);
    }
    return problems;
}

/** The chart values: CRDs, restricted contexts and limits on every pod, the controller's identity. */
export function certManagerValues(args: CertManagerArgs, namespace: string): Record<string, unknown> {
    const resources = helmResources(args.resources ?? defaultCertManagerResources);
    const hardened = { securityContext: restrictedPodSecurityContext, containerSecurityContext: restrictedContainerSecurityContext, resources };
    return {
        // CRDs from the chart, kept on uninstall: deleting them would delete every Certificate with them.
        crds: { enabled: true, keep: true },
        global: { leaderElection: { namespace } },
        replicaCount: args.replicas ?? 1,
        ...hardened,
        podLabels: args.podLabels ?? {},
        serviceAccount: { create: true, name: "cert-manager", annotations: args.serviceAccountAnnotations ?? {} },
        // The ACME DNS01 self-check must ask public resolvers, not a private zone that shadows the public one.
        dns01RecursiveNameservers: "8.8.8.8:53,1.1.1.1:53",
        dns01RecursiveNameserversOnly: true,
        prometheus: { enabled: true },
        // The chart's default, set so the NetworkPolicy below and the chart cannot drift apart.
        webhook: { replicaCount: args.webhookReplicas ?? 1, securePort: certManagerWebhookPort, ...hardened },
        cainjector: { replicaCount: 1, ...hardened },
        startupapicheck: { enabled: true, ...hardened },
    };
}

/**
 * cert-manager from its pinned Helm chart, with CRDs, in a `restricted` namespace. Its controller's
 * ServiceAccount carries the cluster's workload identity so DNS01 needs no stored cloud credentials.
 * Issuers and Certificates should `dependsOn` this component (the webhook must be up).
 */
export class CertManager extends pulumi.ComponentResource {
    /** The namespace cert-manager runs in (where ClusterIssuers read their Secrets). */
    public readonly namespaceName: pulumi.Output<string>;
    /** The Helm release status; "installed outside the stack" when it is. */
    public readonly releaseStatus: pulumi.Output<string>;
    /** Undefined when cert-manager is installed outside the stack. */
    public readonly namespace?: k8s.core.v1.Namespace;
    public readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:CertManager", name, args, opts);
        const problems = validateCertManagerArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`CertManager ${name}: ${problems.join("; ")}`, this);
        if (args.installedOutside) {
            requireCrds(name, [...platformCrds.certManager], this, opts?.dependsOn);
            this.namespaceName = pulumi.output(args.namespace ?? "cert-manager");
            this.releaseStatus = pulumi.output("installed outside the stack");
        } else {
            const built = buildCertManager(name, args, this, opts?.dependsOn);
            this.namespace = built.namespace;
            this.release = built.release;
            this.namespaceName = built.namespace.metadata.name;
            this.releaseStatus = built.release.status.status;
        }
        this.registerOutputs({ namespaceName: this.namespaceName, releaseStatus: this.releaseStatus });
    }
}

export function buildCertManager(name: string, args: CertManagerArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    const ns = args.namespace ?? "cert-manager";
    const built = buildPlatformChart(
        name,
        {
            namespace: ns,
            releaseName: "cert-manager",
            chart: "cert-manager",
            version: args.chartVersion ?? certManagerChartVersion,
            repo: jetstackChartRepo,
            // Wait for the webhook: an issuer applied before it answers is rejected.
            timeoutSeconds: 600,
            values: certManagerValues(args, ns),
            // Webhook (10250) and metrics (9402) in; API server, ACME and cloud DNS APIs out, all on 443 (GKE's
            // and AKS's API server endpoint is 443: egress is matched after the Service address is translated).
            ingressTcp: [certManagerWebhookPort, certManagerMetricsPort],
            egressTcp: [apiServerPort],
        },
        parent,
        dependsOn,
    );
    const metadataServer = args.gkeMetadataServer ? gkeMetadataServerPolicy(name, built.namespace, gkeMetadataServer[args.gkeMetadataServer], parent) : undefined;
    return { ...built, metadataServer };
}

/**
 * The controller's path to the GKE metadata server: without it, Workload Identity has no token to give
 * and every DNS01 challenge on GKE fails. Only the controller asks for one.
 */
function gkeMetadataServerPolicy(name: string, namespace: k8s.core.v1.Namespace, server: { cidr: string; port: number }, parent: pulumi.Resource) {
    return new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-gke-metadata-server`,
        {
            metadata: { name: "allow-gke-metadata-server", namespace: namespace.metadata.name },
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: server.cidr } }], ports: [{ protocol: "TCP", port: server.port }] }],
            },
        },
        { parent, dependsOn: [namespace] },
    );
}
