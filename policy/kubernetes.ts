/**
 * Helpers to read Kubernetes workloads the way the API server does, for policies that see either
 * Pulumi resource inputs or plain manifests. Every accessor tolerates missing or null fields.
 */

/** The Pulumi type token of a Kubernetes object: `kubernetes:<apiVersion>:<kind>`, with core as `core/v1`. */
export function kubernetesTypeToken(apiVersion: string, kind: string): string {
    const version = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return `kubernetes:${version}:${kind}`;
}

/** Where the pod spec sits inside each workload kind. */
const podSpecPaths: Record<string, string[]> = {
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:core/v1:PodTemplate": ["template", "spec"],
    "kubernetes:core/v1:ReplicationController": ["spec", "template", "spec"],
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

export const workloadTypes = Object.keys(podSpecPaths);

export type PodSpec = Record<string, any>;

/** The pod spec of a Pod or of any workload's pod template, or undefined for other types. */
export function podSpecOf(type: string, props: Record<string, any> | undefined): PodSpec | undefined {
    const path = podSpecPaths[type];
    if (!path || !props) return undefined;
    let current: any = props;
    for (const part of path) {
        current = current?.[part];
        if (current === undefined || current === null) return undefined;
    }
    return typeof current === "object" ? (current as PodSpec) : undefined;
}

/** The pod template's metadata (annotations live there), for workloads; the object's own for a Pod. */
export function podMetadataOf(type: string, props: Record<string, any> | undefined): Record<string, any> {
    if (!props) return {};
    if (type === "kubernetes:core/v1:Pod") return props.metadata ?? {};
    const path = podSpecPaths[type];
    if (!path) return {};
    let current: any = props;
    for (const part of path.slice(0, -1)) current = current?.[part];
    return current?.metadata ?? {};
}

export type ContainerGroup = "containers" | "initContainers" | "ephemeralContainers";

/** A container with the security context Kubernetes would apply to it. */
export interface ContainerView {
    group: ContainerGroup;
    name: string;
    container: Record<string, any>;
    /** The container's securityContext with the pod-level fields it inherits filled in. */
    securityContext: Record<string, any>;
}

/** Pod-level securityContext fields a container inherits unless it sets its own. */
const inheritedFields = ["runAsUser", "runAsGroup", "runAsNonRoot", "seLinuxOptions", "seccompProfile", "windowsOptions", "appArmorProfile"];

export function containersOf(spec: PodSpec | undefined): ContainerView[] {
    if (!spec) return [];
    const podContext: Record<string, any> = spec.securityContext ?? {};
    const views: ContainerView[] = [];
    for (const group of ["containers", "initContainers", "ephemeralContainers"] as const) {
        const list = spec[group];
        if (!Array.isArray(list)) continue;
        for (const container of list) {
            if (!container || typeof container !== "object") continue;
            const own: Record<string, any> = container.securityContext ?? {};
            const securityContext: Record<string, any> = {};
            for (const field of inheritedFields) {
                if (podContext[field] !== undefined && podContext[field] !== null) securityContext[field] = podContext[field];
            }
            for (const [field, value] of Object.entries(own)) {
                if (value !== undefined && value !== null) securityContext[field] = value;
            }
            views.push({ group, name: String(container.name ?? "<unnamed>"), container, securityContext });
        }
    }
    return views;
}

/** A readable reference to a container in a violation message. */
export function describeContainer(view: ContainerView): string {
    const label = view.group === "containers" ? "container" : view.group === "initContainers" ? "init container" : "ephemeral container";
    return `${label} "${view.name}"`;
}
