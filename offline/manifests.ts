import type { RecordedResource } from "./engine";

/** A Kubernetes object the program would apply to a cluster. */
export interface Manifest {
    cluster: string;
    urn: string;
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    /** The object with secrets in the clear: for schema validation only. */
    object: Record<string, any>;
    /** The object as it may be shown or written: every secret value is "[secret]". */
    redacted: Record<string, any>;
}

/** Kubernetes resource types that are not objects applied as such (charts, YAML bundles, providers). */
const notManifests = [/^kubernetes:helm\.sh\//, /^kubernetes:yaml(\/v2)?:/, /^kubernetes:kustomize(\/v2)?:/, /^pulumi:providers:/];

export function isKubernetesObject(resource: RecordedResource): boolean {
    return resource.custom && resource.type.startsWith("kubernetes:") && !notManifests.some((re) => re.test(resource.type));
}

/**
 * The cluster a resource is applied to: the name of its explicit Kubernetes provider. Cluster
 * components name their provider after the cluster key (`gke`, `aks`); a resource on the default
 * provider lands in "default".
 */
export function clusterOf(resource: RecordedResource, byUrn: Map<string, RecordedResource>): string {
    if (!resource.provider) return "default";
    return byUrn.get(resource.provider)?.name ?? resource.provider.split("::").pop() ?? "default";
}

export function manifestsOf(resources: RecordedResource[]): Manifest[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const manifests: Manifest[] = [];
    for (const resource of resources) {
        if (!isKubernetesObject(resource)) continue;
        const object = withName(resource.rawInputs, resource.name);
        const redacted = withName(resource.inputs, resource.name);
        manifests.push({
            cluster: clusterOf(resource, byUrn),
            urn: resource.urn,
            apiVersion: String(object.apiVersion ?? ""),
            kind: String(object.kind ?? ""),
            namespace: typeof object.metadata?.namespace === "string" ? object.metadata.namespace : undefined,
            name: String(object.metadata?.name),
            object,
            redacted,
        });
    }
    return manifests;
}

/** Pulumi auto-names an object without metadata.name; offline, the resource name stands in for it. */
function withName(inputs: Record<string, any>, fallback: string): Record<string, any> {
    const { apiVersion, kind, metadata, ...rest } = inputs;
    return { apiVersion, kind, metadata: { ...(metadata ?? {}), name: metadata?.name || fallback }, ...rest };
}

/** Where a manifest is written below the output folder: `<cluster>/<namespace|_cluster>/<kind>-<name>.yaml`. */
export function manifestPath(manifest: Manifest): string {
    const scope = manifest.namespace ?? "_cluster";
    return `${manifest.cluster}/${scope}/${manifest.kind.toLowerCase()}-${manifest.name}.yaml`;
}
