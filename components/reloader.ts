import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultCertManagerResources, helmResources, restrictedContainerSecurityContext, restrictedPodSecurityContext, type ContainerResourcesArgs } from "./certManager";
import { buildPlatformChart } from "./platformChart";
import { apiServerPort } from "./chartFlows";
import { rfc1123Label } from "./names";

/** The stakater Reloader chart this package is tested with. */
export const reloaderChartVersion = "2.2.6";
export const stakaterChartRepo = "https://stakater.github.io/stakater-charts";
/** The annotation Reloader watches: a rollout when any listed Secret changes. */
export const reloaderSecretAnnotation = "secret.reloader.stakater.com/reload";

export interface ReloaderArgs {
    /** Namespace to install into (created, Pod Security `restricted`). @default "reloader" */
    namespace?: string;
    /** Chart version. @default reloaderChartVersion */
    chartVersion?: string;
    /** Resources of the Reloader container. @default - 50m/128Mi requested, 500m/512Mi limit */
    resources?: ContainerResourcesArgs;
}

export function reloaderValues(args: ReloaderArgs): Record<string, unknown> {
    return {
        reloader: {
            watchGlobally: true,
            // Only workloads that name their Secret restart; never everything that mounts some Secret.
            autoReloadAll: false,
            // Annotations on the pod template instead of a fake env var: no Secret hash in the spec.
            reloadStrategy: "annotations",
            readOnlyRootFileSystem: true,
            deployment: {
                securityContext: { ...restrictedPodSecurityContext, runAsUser: 65534 },
                containerSecurityContext: restrictedContainerSecurityContext,
                resources: helmResources(args.resources ?? defaultCertManagerResources),
            },
        },
    };
}

/**
 * stakater Reloader (pinned Helm): restarts a Deployment or StatefulSet when a certificate Secret it
 * names is renewed, for applications that read their certificate only at start-up. Mark workloads with
 * `reloadOnSecretChange`.
 */
export class Reloader extends pulumi.ComponentResource {
    public readonly namespaceName: pulumi.Output<string>;
    public readonly releaseStatus: pulumi.Output<string>;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ReloaderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:Reloader", name, args, opts);
        const problems: string[] = [];
        if (args.namespace !== undefined && !rfc1123Label.test(args.namespace)) problems.push(`namespace "${args.namespace}" must be a lowercase RFC 1123 label`);
        if (args.chartVersion !== undefined && !/^v?\d+\.\d+\.\d+$/.test(args.chartVersion)) problems.push(`chartVersion "${args.chartVersion}" must be an exact version such as ${reloaderChartVersion}`);
        if (problems.length > 0) throw new pulumi.ResourceError(`Reloader ${name}: ${problems.join("; ")}`, this);
        const built = buildReloader(name, args, this, opts?.dependsOn);
        this.release = built.release;
        this.namespaceName = built.namespace.metadata.name;
        this.releaseStatus = built.release.status.status;
        this.registerOutputs({ namespaceName: this.namespaceName, releaseStatus: this.releaseStatus });
    }
}

export function buildReloader(name: string, args: ReloaderArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    return buildPlatformChart(
        name,
        {
            namespace: args.namespace ?? "reloader",
            releaseName: "reloader",
            chart: "reloader",
            version: args.chartVersion ?? reloaderChartVersion,
            repo: stakaterChartRepo,
            timeoutSeconds: 300,
            values: reloaderValues(args),
            // Reloader only talks to the API server (and exposes metrics on 9090).
            ingressTcp: [9090],
            egressTcp: [apiServerPort],
        },
        parent,
        dependsOn,
    );
}

/** A Deployment's or StatefulSet's args, as far as the reload annotation is concerned. */
export interface ReloadableWorkloadArgs {
    metadata?: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>;
}

/**
 * Returns the workload args with `secret.reloader.stakater.com/reload` listing the given Secrets (merged
 * with any already listed), so Reloader rolls the workload when cert-manager renews one of them.
 */
export function reloadOnSecretChange<T extends ReloadableWorkloadArgs>(workload: T, secretNames: string[]): T {
    if (secretNames.length === 0) throw new Error("reloadOnSecretChange: name at least one Secret");
    for (const secret of secretNames) {
        if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secret)) throw new Error(`reloadOnSecretChange: "${secret}" is not a Secret name (lowercase RFC 1123)`);
    }
    const merge = (annotations: Record<string, string> | undefined): Record<string, string> => {
        const existing = (annotations?.[reloaderSecretAnnotation] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        return { ...(annotations ?? {}), [reloaderSecretAnnotation]: [...new Set([...existing, ...secretNames])].join(",") };
    };
    const meta = workload.metadata ?? {};
    // Plain metadata stays plain (readable in tests and previews); Outputs are merged once resolved.
    const metadata =
        pulumi.Output.isInstance(meta) || pulumi.Output.isInstance((meta as k8s.types.input.meta.v1.ObjectMeta).annotations)
            ? pulumi.output(meta).apply((m) => ({ ...m, annotations: merge(m.annotations) }))
            : { ...(meta as k8s.types.input.meta.v1.ObjectMeta), annotations: merge((meta as k8s.types.input.meta.v1.ObjectMeta).annotations as Record<string, string> | undefined) };
    return { ...workload, metadata };
}

/** The annotation alone, for a workload defined elsewhere (YAML, another chart). */
export function reloaderAnnotations(secretNames: string[]): Record<string, string> {
    return { [reloaderSecretAnnotation]: secretNames.join(",") };
}
