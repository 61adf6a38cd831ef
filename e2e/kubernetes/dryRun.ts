import type { LocalCluster } from "./localCluster";
import { statusMessage, type KubeClient, type KubeObject } from "./kubeClient";
import type { StackPlan } from "./plannedManifests";
import { namespacesOfUnrenderedInstalls, type InstallNamespace } from "./unrenderedInstalls";

/** What the API servers said about one stack's manifests. */
export interface DryRunResult {
    stack: string;
    manifests: number;
    accepted: number;
    rejected: Array<{ path: string; message: string }>;
    /** Manifests the offline schema validation flagged too (agreements on a rejection). */
    offlineSchemaErrors: number;
    /** Namespaces not in the plan that the dry run created because an install applied at deploy time creates them. */
    installNamespaces: InstallNamespace[];
}

/** Label on namespaces the dry run had to create for real, so they can be found and removed. */
export const dryRunNamespaceLabel = "trustmesh.io/e2e-dry-run";

/**
 * Sends every manifest of a stack's plan to the API server of its cluster with server-side apply in
 * dry-run mode (all admission and validation, nothing stored). A namespaced object can only be
 * validated in an existing namespace, so the plan's namespaces are first checked the same way and
 * then created for real (labelled `dryRunNamespaceLabel`); `removeDryRunNamespaces` deletes them.
 * So are the namespaces of installs the plan applies at deploy time without rendering them
 * (`namespacesOfUnrenderedInstalls`), such as KubeVirt's operator manifest: they are reported.
 */
export async function dryRunStack(plan: StackPlan, clusters: Record<string, LocalCluster>): Promise<DryRunResult> {
    const rejected: DryRunResult["rejected"] = [];
    let accepted = 0;
    const installNamespaces = namespacesOfUnrenderedInstalls(plan.unrenderedFiles, plan.manifests);
    for (const { cluster, namespace } of installNamespaces) {
        const client = clusters[cluster]?.client;
        if (client) await createForValidation(client, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    }
    const isNamespace = (o: KubeObject) => o.apiVersion === "v1" && o.kind === "Namespace";
    const ordered = [...plan.manifests.filter((m) => isNamespace(m.object)), ...plan.manifests.filter((m) => !isNamespace(m.object))];
    for (const manifest of ordered) {
        const cluster = clusters[manifest.cluster];
        if (!cluster) {
            rejected.push({ path: manifest.path, message: `no local cluster stands for "${manifest.cluster}"` });
            continue;
        }
        const answer = await cluster.client.apply(manifest.object, { dryRun: true }).catch((error: Error) => ({ status: 0, body: { message: error.message } }));
        if (answer.status >= 200 && answer.status < 300) {
            accepted++;
            if (isNamespace(manifest.object)) await createForValidation(cluster.client, manifest.object);
        } else {
            rejected.push({ path: manifest.path, message: statusMessage(answer) });
        }
    }
    return { stack: plan.stack, manifests: plan.manifests.length, accepted, rejected, offlineSchemaErrors: plan.offlineSchemaErrors.length, installNamespaces };
}

async function createForValidation(client: KubeClient, namespace: KubeObject): Promise<void> {
    const labelled = { ...namespace, metadata: { ...namespace.metadata, labels: { ...(namespace.metadata.labels as object), [dryRunNamespaceLabel]: "true" } } };
    const answer = await client.apply(labelled);
    if (answer.status >= 300) throw new Error(`creating namespace ${namespace.metadata.name} for the dry run: ${statusMessage(answer)}`);
}

/** Deletes the namespaces the dry run created and waits until the namespace controller has removed them. */
export async function removeDryRunNamespaces(cluster: LocalCluster, timeoutMs = 120_000): Promise<void> {
    const client = cluster.client;
    const labelled = await client.request("GET", `/api/v1/namespaces?labelSelector=${encodeURIComponent(dryRunNamespaceLabel)}`);
    const names = ((labelled.body.items as Array<{ metadata: { name: string } }>) ?? []).map((n) => n.metadata.name);
    for (const name of names) await client.request("DELETE", `/api/v1/namespaces/${name}`);
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
        while ((await client.request("GET", `/api/v1/namespaces/${name}`)).status !== 404) {
            if (Date.now() > deadline) throw new Error(`${cluster.name}: namespace ${name} still terminating after ${timeoutMs / 1000} s`);
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
    }
}

/**
 * Proof that the dry run can fail: a copy of one of the plan's Istio Gateways with a misspelled field
 * (`tlsMode` beside `tls`) and a copy of one of its Secrets with the whole `stringData` redacted to one
 * string (how manifests were written before keys were kept) must both be refused by the API server.
 */
export async function dryRunControls(plan: StackPlan, clusters: Record<string, LocalCluster>): Promise<Array<{ what: string; refused: boolean; message: string }>> {
    const gateway = plan.manifests.find((m) => m.object.kind === "Gateway");
    const secret = plan.manifests.find((m) => m.object.kind === "Secret" && m.object.stringData);
    if (!gateway || !secret) throw new Error(`stack ${plan.stack} has no Gateway or no Secret with stringData to build the dry run's controls from`);
    const servers = (gateway.object.spec as { servers: Array<Record<string, unknown>> }).servers;
    const controls: Array<{ what: string; cluster: string; object: KubeObject }> = [
        {
            what: `${gateway.path} with an unknown field spec.servers[0].tlsMode`,
            cluster: gateway.cluster,
            object: { ...gateway.object, spec: { ...(gateway.object.spec as object), servers: [{ ...servers[0], tlsMode: "MUTUAL" }, ...servers.slice(1)] } },
        },
        { what: `${secret.path} with stringData: "[secret]"`, cluster: secret.cluster, object: { ...secret.object, stringData: "[secret]" } },
    ];
    const results = [];
    for (const control of controls) {
        const answer = await clusters[control.cluster].client.apply(control.object, { dryRun: true });
        results.push({ what: control.what, refused: answer.status >= 400, message: statusMessage(answer) });
    }
    return results;
}
