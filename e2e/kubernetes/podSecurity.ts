import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { dryRunNamespaceLabel } from "./dryRun";
import { statusMessage, type KubeObject } from "./kubeClient";
import type { LocalCluster } from "./localCluster";
import { repoRoot, type StackPlan } from "./plannedManifests";

export interface PodSecurityResult {
    /** The held-in privileged fixture was refused by Pod Security admission in an application namespace. */
    refused: boolean;
    /** Every pod the program's Deployments ask for was created by the ReplicaSet controller and admitted. */
    admitted: boolean;
    /** Where and what: `<cluster>/<namespace>` and the API server's message for the refusal. */
    refusedIn: string;
    refusedMessage: string;
    /** `<cluster>/<namespace>/<pod>` of every admitted pod; `problems` says what was refused. */
    admittedPods: string[];
    problems: string[];
}

const privilegedFixture = path.join(repoRoot, "test", "fixtures", "manifests", "privileged-pod.yaml");

/**
 * Pod Security as admission really does it. The application namespaces of `plan` that run a
 * Deployment are applied for real, with everything in them; the controller manager's ReplicaSet
 * controller then creates the pods from the program's own pod templates, each admitted or refused
 * by the namespace's `restricted` enforcement. In the first such namespace the held-in privileged
 * fixture (test/fixtures/manifests/privileged-pod.yaml) must be refused. The namespaces are labelled
 * for `removeDryRunNamespaces` to delete afterwards.
 */
export async function checkPodSecurity(plan: StackPlan, clusters: Record<string, LocalCluster>, timeoutMs = 120_000): Promise<PodSecurityResult> {
    const deployments = plan.manifests.filter((m) => m.object.kind === "Deployment" && m.object.metadata.namespace);
    if (deployments.length === 0) throw new Error(`stack ${plan.stack} renders no Deployment: nothing to prove restricted admission with`);
    const problems: string[] = [];

    for (const deployment of deployments) {
        const cluster = clusters[deployment.cluster];
        const namespace = deployment.object.metadata.namespace!;
        const inNamespace = plan.manifests.filter(
            (m) => m.cluster === deployment.cluster && (m.object.metadata.namespace === namespace || (m.object.kind === "Namespace" && m.object.metadata.name === namespace)),
        );
        // The namespace first (with its Pod Security labels), then quota and limits, then the rest.
        const rank = (o: KubeObject) => (o.kind === "Namespace" ? 0 : ["ResourceQuota", "LimitRange", "ServiceAccount", "Secret"].includes(o.kind) ? 1 : 2);
        for (const manifest of inNamespace.sort((a, b) => rank(a.object) - rank(b.object))) {
            const object = manifest.object.kind === "Namespace" ? labelled(manifest.object) : manifest.object;
            const answer = await cluster.client.apply(object);
            if (answer.status >= 300) problems.push(`${manifest.path}: ${statusMessage(answer)}`);
        }
    }

    const admittedPods: string[] = [];
    for (const deployment of deployments) {
        const cluster = clusters[deployment.cluster];
        const namespace = deployment.object.metadata.namespace!;
        const spec = deployment.object.spec as { replicas?: number; selector: { matchLabels: Record<string, string> } };
        const wanted = spec.replicas ?? 1;
        const selector = Object.entries(spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
        const deadline = Date.now() + timeoutMs;
        let pods: string[] = [];
        let failure = "";
        while (Date.now() < deadline) {
            const listed = await cluster.client.request("GET", `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`);
            pods = ((listed.body.items as Array<{ metadata: { name: string } }>) ?? []).map((p) => p.metadata.name);
            failure = await replicaFailure(cluster, namespace, selector);
            if (pods.length >= wanted || failure) break;
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        if (pods.length >= wanted) admittedPods.push(...pods.map((p) => `${deployment.cluster}/${namespace}/${p}`));
        else problems.push(`${deployment.path}: ${pods.length}/${wanted} pods created${failure ? `: ${failure}` : ` within ${timeoutMs / 1000} s`}`);
    }

    const first = deployments[0];
    const cluster = clusters[first.cluster];
    const namespace = first.object.metadata.namespace!;
    const fixture = parse(readFileSync(privilegedFixture, "utf8")) as KubeObject;
    const answer = await cluster.client.create({ ...fixture, metadata: { ...fixture.metadata, namespace } });
    const refusedMessage = statusMessage(answer);
    const refused = answer.status === 403 && /violates PodSecurity "restricted/.test(refusedMessage);
    if (!refused) problems.push(`privileged fixture in ${first.cluster}/${namespace}: expected a Pod Security refusal, got HTTP ${answer.status}: ${refusedMessage}`);

    return { refused, admitted: admittedPods.length > 0 && problems.length === (refused ? 0 : 1), refusedIn: `${first.cluster}/${namespace}`, refusedMessage, admittedPods, problems };
}

function labelled(namespace: KubeObject): KubeObject {
    return { ...namespace, metadata: { ...namespace.metadata, labels: { ...(namespace.metadata.labels as object), [dryRunNamespaceLabel]: "true" } } };
}

/** The ReplicaSet controller's `ReplicaFailure` message for pods matching `selector`, if any. */
async function replicaFailure(cluster: LocalCluster, namespace: string, selector: string): Promise<string> {
    const sets = await cluster.client.request("GET", `/apis/apps/v1/namespaces/${namespace}/replicasets?labelSelector=${encodeURIComponent(selector)}`);
    for (const set of (sets.body.items as Array<{ status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>) ?? []) {
        const condition = set.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
        if (condition) return condition.message ?? "ReplicaFailure";
    }
    return "";
}
