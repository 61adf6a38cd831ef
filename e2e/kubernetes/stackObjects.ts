import type { KubeObject } from "./kubeClient";
import type { LocalCluster } from "./localCluster";

/** A Kubernetes object the stack's state holds, with the cluster whose provider created it. */
export interface StackObject {
    urn: string;
    cluster: string;
    object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">;
}

/** `<cluster>/<apiVersion>/<kind>/<namespace or _cluster>/<name>`: how the checks compare objects. */
export function objectKey(cluster: string, o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
    return `${cluster}/${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? "_cluster"}/${o.metadata.name}`;
}

interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    external?: boolean;
    provider?: string;
    outputs?: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } };
}

/**
 * The Kubernetes objects a `pulumi stack export` deployment manages: every custom `kubernetes:` resource
 * except reads (`get`, marked external), each with the name of its provider (`gke`, `aks`), which the
 * environment program names after the cluster key.
 */
export function stackObjects(deployment: { resources?: StateResource[] }): StackObject[] {
    return (deployment.resources ?? [])
        .filter((r) => r.type.startsWith("kubernetes:") && r.custom !== false && !r.external)
        .map((r) => {
            const providerUrn = (r.provider ?? "").split("::").slice(0, -1).join("::");
            const cluster = providerUrn.split("::").pop() ?? "";
            const { apiVersion, kind, metadata } = r.outputs ?? {};
            if (!apiVersion || !kind || !metadata?.name) throw new Error(`state resource ${r.urn} has no apiVersion, kind or metadata.name in its outputs`);
            return { urn: r.urn, cluster, object: { apiVersion, kind, metadata: { name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) } } };
        });
}

/** Where each object was found: on its own cluster (with its uid), and on which others it also exists. */
export interface ObjectPresence {
    /** Objects present on their own cluster, counted per cluster. */
    presentByCluster: Record<string, number>;
    /** Keys of objects missing from their own cluster. */
    missing: string[];
    /** Keys of objects also found on a cluster that the state does not put them on. */
    onWrongCluster: string[];
    /** uid per key, of the objects present. */
    uids: Record<string, string>;
    /** The live objects present, by key. */
    live: Record<string, Record<string, unknown>>;
}

/** Looks every object up on every cluster through the API servers' REST API. */
export async function findObjects(objects: StackObject[], clusters: Record<string, LocalCluster>): Promise<ObjectPresence> {
    const expected = new Set(objects.map((o) => objectKey(o.cluster, o.object)));
    const presence: ObjectPresence = { presentByCluster: Object.fromEntries(Object.keys(clusters).map((c) => [c, 0])), missing: [], onWrongCluster: [], uids: {}, live: {} };
    for (const o of objects) {
        for (const cluster of Object.values(clusters)) {
            const key = objectKey(cluster.name, o.object);
            const answer = await cluster.client.get(o.object);
            if (answer.status !== 200 && answer.status !== 404) throw new Error(`GET ${key}: HTTP ${answer.status} ${JSON.stringify(answer.body.message ?? "")}`);
            const found = answer.status === 200;
            if (cluster.name === o.cluster) {
                if (found) {
                    presence.presentByCluster[cluster.name]++;
                    presence.uids[key] = String((answer.body.metadata as { uid?: string }).uid);
                    presence.live[key] = answer.body;
                } else {
                    presence.missing.push(key);
                }
            } else if (found && !expected.has(key)) {
                presence.onWrongCluster.push(key);
            }
        }
    }
    return presence;
}
