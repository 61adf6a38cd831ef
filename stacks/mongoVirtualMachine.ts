import { dedicatedPoolTaintKey } from "../components/gkeNodePool";
import { KubeVirt } from "../components/kubeVirt";
import { MongoTlsClient } from "../components/mongoTlsClient";
import { MongoVirtualMachine, mongoVirtualMachineHost } from "../components/mongoVirtualMachine";
import { defaultTrustBundle } from "../components/trustManager";
import type { ClusterTarget } from "./clusters";
import type { EnvironmentConfig } from "./config";
import { resolveGkeSettings } from "./config/gcp";
import type { MongoVirtualMachineConfig } from "./config/workloads";
import { namespaceReady, type NamespaceResources } from "./namespaces";
import type { PkiDeployment } from "./pki";

export interface MongoVirtualMachineDeployment {
    kubeVirt: KubeVirt;
    server: MongoVirtualMachine;
    client: MongoTlsClient;
}

/**
 * Seed 000 on GKE: KubeVirt confined to the pool with nested virtualization (its taint tolerated, its
 * label selected), the MongoDB VM with its internal-CA certificate on a disk, and the client Job in its
 * own namespace. GKE because nested virtualization is a declared node pool setting there
 * (`advancedMachineFeatures`), which config and policy can check; on AKS it is an implicit property of
 * the VM size.
 */
export function deployMongoVirtualMachine(
    config: EnvironmentConfig,
    vm: MongoVirtualMachineConfig,
    gke: ClusterTarget,
    pki: PkiDeployment,
    namespaces: NamespaceResources,
): MongoVirtualMachineDeployment {
    // The config schema checked that the pool exists with nested virtualization.
    const pool = resolveGkeSettings(config).nodePools.find((p) => p.name === vm.nodePool)!;
    const nodeSelector = { "trustmesh.io/pool": pool.name };
    const tolerations = pool.dedicatedTo ? [{ key: dedicatedPoolTaintKey, value: pool.dedicatedTo, effect: "NoSchedule" }] : [];
    const clusterPki = pki.clusters.gke!;

    const kubeVirt = new KubeVirt("gke-kubevirt", { nodeSelector, tolerations }, { provider: gke.provider, dependsOn: gke.ready });
    const server = new MongoVirtualMachine(
        "gke-mongodb-vm",
        {
            namespace: vm.namespace,
            clientNamespace: vm.clientNamespace,
            issuerName: clusterPki.internalIssuer.name,
            trustBundle: defaultTrustBundle,
            nodeSelector,
            tolerations,
        },
        // The VirtualMachine kind exists once KubeVirt's operator is in; trust-manager publishes the root disk's ConfigMap.
        { provider: gke.provider, dependsOn: [...gke.ready, ...clusterPki.ready, clusterPki.trustManager, kubeVirt, ...namespaceReady(namespaces, "gke", vm.namespace)] },
    );
    const client = new MongoTlsClient(
        "gke-mongodb-client",
        {
            namespace: vm.clientNamespace,
            serverHost: mongoVirtualMachineHost({ namespace: vm.namespace }),
            serverNamespace: vm.namespace,
            issuerName: clusterPki.internalIssuer.name,
            trustBundle: defaultTrustBundle,
        },
        { provider: gke.provider, dependsOn: [...gke.ready, ...clusterPki.ready, clusterPki.trustManager, server, ...namespaceReady(namespaces, "gke", vm.clientNamespace)] },
    );
    return { kubeVirt, server, client };
}
