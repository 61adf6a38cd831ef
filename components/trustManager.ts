import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultCertManagerResources, helmResources, jetstackChartRepo, type ContainerResourcesArgs } from "./certManager";
import { apiServerPort, trustManagerMetricsPort, trustManagerWebhookPort } from "./chartFlows";
import { withDependsOn } from "./dependsOn";
import { platformCrds, requireCrds } from "./requiredCrds";

/** The trust-manager chart this package is tested with. */
export const trustManagerChartVersion = "v0.20.3";

/** Namespaces carrying this label (value "enabled") receive the root CA ConfigMap. */
export const trustBundleNamespaceLabel = "trustmesh.io/trust-bundle";
/** The ConfigMap trust-manager writes to every labelled namespace, and the key of the root in it. */
export const defaultTrustBundle = { configMapName: "trustmesh-root-ca", key: "root-ca.pem" } as const;

export interface TrustManagerArgs {
    /** The environment's root CA certificate, PEM (public). */
    rootCaCertPem: pulumi.Input<string>;
    /** trust-manager's trust namespace: cert-manager's, where CA Secrets live. @default "cert-manager" */
    namespace?: string;
    /** Chart version. @default trustManagerChartVersion */
    chartVersion?: string;
    /** Bundle name, also the name of the ConfigMap it writes in each selected namespace. @default "trustmesh-root-ca" */
    bundleName?: string;
    /** Key of the PEM in that ConfigMap. @default "root-ca.pem" */
    targetKey?: string;
    /** Namespaces with these labels receive the bundle. @default { "trustmesh.io/trust-bundle": "enabled" } */
    namespaceSelector?: Record<string, string>;
    /** Resources of the trust-manager container. @default - 50m/128Mi requested, 500m/512Mi limit */
    resources?: ContainerResourcesArgs;
    /** trust-manager is installed outside the stack: no chart here, only a check that its Bundle CRD exists. @default false */
    installedOutside?: boolean;
}

export function validateTrustManagerArgs(args: TrustManagerArgs): string[] {
    const problems: string[] = [];
    if (args.chartVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(args.chartVersion)) problems.push(`chartVersion "${args.chartVersion}" must be an exact version such as ${trustManagerChartVersion}`);
    if (args.bundleName !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(args.bundleName)) problems.push(`bundleName "${args.bundleName}" must be a lowercase RFC 1123 name`);
    if (args.namespaceSelector !== undefined && Object.keys(args.namespaceSelector).length === 0) {
        problems.push("namespaceSelector must not be empty: an empty selector publishes the bundle to every namespace");
    }
    return problems;
}

/** The chart values. The chart itself pins a restricted container context (non-root, read-only, no capabilities). */
export function trustManagerValues(args: TrustManagerArgs): Record<string, unknown> {
    return {
        crds: { enabled: true, keep: true },
        replicaCount: 1,
        resources: helmResources(args.resources ?? defaultCertManagerResources),
        app: {
            trust: { namespace: args.namespace ?? "cert-manager" },
            securityContext: { seccompProfileEnabled: true },
            // The chart's defaults, set so the NetworkPolicy below and the chart cannot drift apart.
            webhook: { port: trustManagerWebhookPort },
            metrics: { port: trustManagerMetricsPort },
        },
        // Only our root: the public CA package is not needed for internal mTLS and only widens trust.
        defaultPackage: { enabled: false },
        // ConfigMap targets only; Secret targets would need read/write on every Secret in the cluster.
        secretTargets: { enabled: false },
    };
}

/**
 * trust-manager (pinned Helm) and a Bundle that publishes the environment's root CA as a ConfigMap to
 * every namespace labelled `trustmesh.io/trust-bundle: enabled`, so workloads verify peers from either
 * cluster. Pass the cluster's provider and `dependsOn` the CertManager (its webhook certificate).
 */
export class TrustManager extends pulumi.ComponentResource {
    public readonly bundleName: pulumi.Output<string>;
    /** The Helm release status; "installed outside the stack" when it is. */
    public readonly releaseStatus: pulumi.Output<string>;
    /** Undefined when trust-manager is installed outside the stack. */
    public readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: TrustManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:TrustManager", name, args, opts);
        const problems = validateTrustManagerArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`TrustManager ${name}: ${problems.join("; ")}`, this);
        const built = buildTrustManager(name, args, this, opts?.dependsOn);
        this.release = built.release;
        this.bundleName = built.bundle.metadata.name;
        this.releaseStatus = built.release ? built.release.status.status : pulumi.output("installed outside the stack");
        this.registerOutputs({ bundleName: this.bundleName, releaseStatus: this.releaseStatus });
    }
}

export function buildTrustManager(name: string, args: TrustManagerArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    // Installed outside the stack, the Bundle waits for the check that its CRD exists instead of the chart.
    const release = args.installedOutside ? undefined : installTrustManager(name, args, parent, dependsOn);
    const crds = args.installedOutside ? requireCrds(name, [...platformCrds.trustManager], parent, dependsOn) : [];
    // Installed here, its webhook must be reachable too; installed outside, its network is its installer's.
    const networkPolicy = args.installedOutside ? undefined : trustManagerNetworkPolicy(name, args.namespace ?? "cert-manager", parent, dependsOn);
    const bundle = new k8s.apiextensions.CustomResource(
        `${name}-bundle`,
        {
            apiVersion: "trust.cert-manager.io/v1alpha1",
            kind: "Bundle",
            metadata: { name: args.bundleName ?? defaultTrustBundle.configMapName, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: {
                sources: [{ inLine: args.rootCaCertPem }],
                target: {
                    configMap: { key: args.targetKey ?? defaultTrustBundle.key },
                    namespaceSelector: { matchLabels: args.namespaceSelector ?? { [trustBundleNamespaceLabel]: "enabled" } },
                },
            },
        },
        // The webhook that admits the Bundle must be installed and reachable.
        { parent, dependsOn: withDependsOn(dependsOn, ...(release ? [release] : crds), ...(networkPolicy ? [networkPolicy] : [])) },
    );
    return { release, bundle, networkPolicy };
}

/**
 * trust-manager shares cert-manager's default-deny namespace, whose policy admits cert-manager's own
 * ports only. Its Bundle webhook (failurePolicy Fail) must be reachable from the API server, or no
 * Bundle can be created; its address is not known in advance, so the rule is port-scoped.
 */
function trustManagerNetworkPolicy(name: string, namespace: string, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    const tcp = (port: number) => ({ protocol: "TCP", port });
    return new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-trust-manager`,
        {
            metadata: { name: "allow-trust-manager", namespace },
            spec: {
                podSelector: { matchLabels: { app: "trust-manager" } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [tcp(trustManagerWebhookPort), tcp(trustManagerMetricsPort)] }],
                egress: [{ ports: [tcp(apiServerPort)] }],
            },
        },
        { parent, dependsOn },
    );
}

function installTrustManager(name: string, args: TrustManagerArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    return new k8s.helm.v3.Release(
        `${name}-release`,
        {
            name: "trust-manager",
            chart: "trust-manager",
            version: args.chartVersion ?? trustManagerChartVersion,
            repositoryOpts: { repo: jetstackChartRepo },
            namespace: args.namespace ?? "cert-manager",
            atomic: true,
            timeout: 600,
            values: trustManagerValues(args),
        },
        { parent, dependsOn },
    );
}
