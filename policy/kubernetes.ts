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

/** True for a Windows pod (`spec.os.name: windows`): the standard exempts it from the Linux-only controls. */
export function isWindowsPod(spec: PodSpec | undefined): boolean {
    return spec?.os?.name === "windows";
}

/** The pod's volumes, ignoring null entries. */
export function volumesOf(spec: PodSpec | undefined): Record<string, any>[] {
    const list = spec?.volumes;
    return Array.isArray(list) ? list.filter((v): v is Record<string, any> => !!v && typeof v === "object") : [];
}

/**
 * The AppArmor profile type Kubernetes applies to a container: the container's own field, else the
 * pod's (both inherited by `containersOf`), else the legacy annotation
 * `container.apparmor.security.beta.kubernetes.io/<name>` (`runtime/default`, `localhost/<p>`, `unconfined`).
 */
export function appArmorTypeOf(view: ContainerView, podMetadata: Record<string, any>): string | undefined {
    const field = view.securityContext.appArmorProfile?.type;
    if (typeof field === "string") return field;
    const annotation = podMetadata?.annotations?.[`container.apparmor.security.beta.kubernetes.io/${view.name}`];
    if (typeof annotation !== "string") return undefined;
    if (annotation === "runtime/default") return "RuntimeDefault";
    if (annotation === "unconfined") return "Unconfined";
    if (annotation.startsWith("localhost/")) return "Localhost";
    return annotation;
}

/** The object's own metadata (never null). */
export function metadataOf(props: Record<string, any> | undefined): Record<string, any> {
    const metadata = props?.metadata;
    return metadata && typeof metadata === "object" ? metadata : {};
}

/** Type tokens parsed so far: policies ask the kind of every resource, for each policy. */
const parsedTypes = new Map<string, { group: string; kind: string } | undefined>();

/** A Kubernetes type token's group and kind, version ignored (`networking.istio.io`, `Gateway`), or undefined. */
function parseKubernetesType(type: string): { group: string; kind: string } | undefined {
    if (parsedTypes.has(type)) return parsedTypes.get(type);
    const match = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    const apiVersion = match?.[1];
    const parsed = match && apiVersion ? { group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "core", kind: match[2]! } : undefined;
    parsedTypes.set(type, parsed);
    return parsed;
}

/** True when the type token is the given group and kind, in any version (`v1`, `v1beta1`, `v1alpha3`...). */
export function isKind(type: string, group: string, kind: string): boolean {
    const parsed = parseKubernetesType(type);
    return parsed !== undefined && parsed.kind === kind && parsed.group === group;
}

/**
 * The cluster a resource goes to, for stack policies that resolve references: the provider reference
 * (one Kubernetes provider per cluster), or "" for plain manifests and the default provider.
 */
export function clusterOf(resource: { provider?: { urn?: string } }): string {
    return resource.provider?.urn ?? "";
}
