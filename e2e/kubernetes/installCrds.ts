import type { GeneratedCrd } from "./crds";
import { statusMessage } from "./kubeClient";
import type { LocalCluster } from "./localCluster";

/** Applies the CRDs to a cluster and waits until the API server serves every one (`Established`). */
export async function installCrds(cluster: LocalCluster, crds: GeneratedCrd[], timeoutMs = 60_000): Promise<void> {
    const client = cluster.client;
    for (const { crd } of crds) {
        const answer = await client.apply(crd);
        if (answer.status >= 300) throw new Error(`${cluster.name}: CRD ${crd.metadata.name} refused: ${statusMessage(answer)}`);
    }
    const deadline = Date.now() + timeoutMs;
    for (const { crd } of crds) {
        for (;;) {
            const got = await client.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
            const conditions = ((got.body.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []);
            if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
            if (Date.now() > deadline) throw new Error(`${cluster.name}: CRD ${crd.metadata.name} not established after ${timeoutMs / 1000} s`);
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
    }
    client.resetDiscovery();
}
