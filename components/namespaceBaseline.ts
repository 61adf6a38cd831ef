import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { choiceProblems } from "./choices";
import { istioCsrNames, rfc1123Label } from "./names";

/** Pod Security Admission levels a namespace may enforce (an enum in the package schema). */
export const PodSecurityLevel = {
    /** The hardened profile: the default. */
    Restricted: "restricted",
    /** For workloads that cannot run restricted; needs a `baselineReason`. */
    Baseline: "baseline",
} as const;
export type PodSecurityLevel = (typeof PodSecurityLevel)[keyof typeof PodSecurityLevel];

export interface NamespaceQuotaArgs {
    /** Total CPU requests, in Kubernetes quantity form. */
    requestsCpu: string;
    /** Total memory requests. */
    requestsMemory: string;
    /** Total CPU limits. */
    limitsCpu: string;
    /** Total memory limits. */
    limitsMemory: string;
    /** Total pods. */
    pods: number;
}

export interface NamespaceBaselineArgs {
    /** Namespace name (RFC 1123 label). */
    name: string;
    /** Pod Security Admission level enforced: "restricted" or "baseline". @default "restricted" */
    podSecurity?: PodSecurityLevel;
    /** Why the namespace cannot run restricted; required with `podSecurity: "baseline"`. */
    baselineReason?: string;
    /** Label the namespace for Istio sidecar injection and allow egress to istiod. @default true */
    sidecarInjection?: boolean;
    /** ResourceQuota totals. @default - 4 CPU / 8Gi requests, 8 CPU / 16Gi limits, 50 pods */
    quota?: NamespaceQuotaArgs;
    /** Extra labels for the namespace (cannot override the Pod Security labels). @default {} */
    labels?: Record<string, string>;
    /**
     * Label that makes trust-manager publish the environment's root CA into the namespace (value
     * "enabled"), so workloads can verify peers on either cluster. Unset: no bundle. @default - none
     */
    trustBundleLabel?: string;
    /**
     * Sidecars get their certificates from istio-csr (in cert-manager's namespace) rather than istiod:
     * allow egress to it too. @default false
     */
    meshCaIstioCsr?: boolean;
}

export const defaultNamespaceQuota: NamespaceQuotaArgs = {
    requestsCpu: "4",
    requestsMemory: "8Gi",
    limitsCpu: "8",
    limitsMemory: "16Gi",
    pods: 50,
};

/**
 * How Istio's injection webhook treats a namespace (istiod chart, mutatingwebhook.yaml): `istio-injection:
 * enabled` injects every pod, `disabled` none (not even a pod that asks), and no label ("per-pod") only
 * pods labelled `sidecar.istio.io/inject: "true"`, which is how the gateway chart's `image: auto` pods get
 * their proxy.
 */
export type SidecarInjectionMode = "enabled" | "disabled" | "per-pod";

/** Pinned so a Kubernetes upgrade cannot silently loosen what `restricted` means. */
export const podSecurityVersion = "v1.33";

/** The namespace labels: PSA enforce/audit/warn at the same level, plus sidecar injection. */
export function namespaceLabels(args: NamespaceBaselineArgs): Record<string, string> {
    return {
        ...(args.labels ?? {}),
        ...managedNamespaceLabels(args.podSecurity ?? "restricted", args.sidecarInjection === false ? "disabled" : "enabled"),
        ...(args.trustBundleLabel ? { [args.trustBundleLabel]: "enabled" } : {}),
    };
}

/**
 * The labels of every namespace trustmesh creates, application or platform: Pod Security Admission
 * enforced at `level` and pinned to podSecurityVersion, and the namespace's Istio injection mode.
 */
export function managedNamespaceLabels(level: PodSecurityLevel, injection: SidecarInjectionMode): Record<string, string> {
    return {
        "app.kubernetes.io/managed-by": "trustmesh",
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": podSecurityVersion,
        // Audit and warn always at restricted, so a baseline namespace still reports what it would break.
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        ...(injection === "per-pod" ? {} : { "istio-injection": injection }),
    };
}

export function validateNamespaceBaselineArgs(args: NamespaceBaselineArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.name)) {
        problems.push(`name "${args.name}" must be a lowercase RFC 1123 label of at most 63 characters`);
    }
    problems.push(...choiceProblems("podSecurity", args.podSecurity, PodSecurityLevel));
    if (args.podSecurity === "baseline" && !args.baselineReason) {
        problems.push(`podSecurity "baseline" needs a baselineReason saying why "${args.name}" cannot run restricted`);
    }
    for (const key of Object.keys(args.labels ?? {})) {
        if (key.startsWith("pod-security.kubernetes.io/")) {
            problems.push(`labels may not set "${key}": use podSecurity instead`);
        }
    }
    return problems;
}

/**
 * An application namespace with the platform's baseline: Pod Security Admission enforced, ingress and
 * egress denied by default with DNS (and istiod, when injected) allowed, and a ResourceQuota plus a
 * LimitRange so every container gets requests and limits.
 */
export class NamespaceBaseline extends pulumi.ComponentResource {
    /** The namespace name. */
    public readonly namespaceName: pulumi.Output<string>;
    public readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: NamespaceBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:NamespaceBaseline", name, args, opts);
        const problems = validateNamespaceBaselineArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`NamespaceBaseline ${name}: ${problems.join("; ")}`, this);
        }
        const built = buildNamespaceBaseline(name, args, this, opts?.dependsOn);
        this.namespace = built.namespace;
        this.namespaceName = built.namespace.metadata.name;
        this.registerOutputs({ namespaceName: this.namespaceName });
    }
}

export function buildNamespaceBaseline(name: string, args: NamespaceBaselineArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const quota = args.quota ?? defaultNamespaceQuota;
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
            metadata: {
                name: args.name,
                labels: namespaceLabels(args),
                annotations: args.baselineReason ? { "trustmesh.io/baseline-reason": args.baselineReason } : undefined,
            },
        },
        opts,
    );
    const ns = namespace.metadata.name;
    const childOpts = { parent, dependsOn: [namespace] };

    const defaultDeny = new k8s.networking.v1.NetworkPolicy(
        `${name}-default-deny`,
        {
            metadata: { name: "default-deny-all", namespace: ns },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
        childOpts,
    );

    const allowDns = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-dns`,
        {
            metadata: { name: "allow-dns-egress", namespace: ns },
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [
                            {
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                            },
                        ],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        },
        childOpts,
    );

    // Injected sidecars fetch config and certificates from istiod; without this they never become ready.
    const allowIstiod =
        args.sidecarInjection === false
            ? undefined
            : new k8s.networking.v1.NetworkPolicy(
                  `${name}-allow-istiod`,
                  {
                      metadata: { name: "allow-istiod-egress", namespace: ns },
                      spec: {
                          podSelector: {},
                          policyTypes: ["Egress"],
                          egress: [
                              {
                                  to: [
                                      {
                                          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } },
                                          podSelector: { matchLabels: { app: "istiod" } },
                                      },
                                  ],
                                  ports: [{ protocol: "TCP", port: 15012 }],
                              },
                              ...(args.meshCaIstioCsr
                                  ? [
                                        {
                                            to: [
                                                {
                                                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cert-manager" } },
                                                    podSelector: { matchLabels: { ...istioCsrNames.podLabels } },
                                                },
                                            ],
                                            ports: [{ protocol: "TCP", port: istioCsrNames.servingPort }],
                                        },
                                    ]
                                  : []),
                          ],
                      },
                  },
                  childOpts,
              );

    const resourceQuota = new k8s.core.v1.ResourceQuota(
        `${name}-quota`,
        {
            metadata: { name: "baseline-quota", namespace: ns },
            spec: {
                hard: {
                    "requests.cpu": quota.requestsCpu,
                    "requests.memory": quota.requestsMemory,
                    "limits.cpu": quota.limitsCpu,
                    "limits.memory": quota.limitsMemory,
                    pods: String(quota.pods),
                },
            },
        },
        childOpts,
    );

    // With a quota on limits, a container without limits is rejected; the LimitRange fills them in.
    const limitRange = new k8s.core.v1.LimitRange(
        `${name}-limits`,
        {
            metadata: { name: "baseline-limits", namespace: ns },
            spec: {
                limits: [
                    {
                        type: "Container",
                        defaultRequest: { cpu: "100m", memory: "128Mi" },
                        default: { cpu: "500m", memory: "512Mi" },
                    },
                ],
            },
        },
        childOpts,
    );

    return { namespace, defaultDeny, allowDns, allowIstiod, resourceQuota, limitRange };
}
