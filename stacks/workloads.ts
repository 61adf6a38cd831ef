import * as pulumi from "@pulumi/pulumi";
import type { Istio } from "../components/istio";
import { KeystoreService } from "../components/keystoreService";
import type { ClusterTarget } from "./clusters";
import type { ClusterName, EnvironmentConfig } from "./config";
import { namespaceReady, type NamespaceResources } from "./namespaces";
import type { PkiDeployment } from "./pki";
import { deployMongoVirtualMachine, type MongoVirtualMachineDeployment } from "./mongoVirtualMachine";

/** The seeds' workloads as the environment runs them. */
export interface WorkloadsDeployment {
    keystoreService?: KeystoreService;
    mongoVirtualMachine?: MongoVirtualMachineDeployment;
}

/**
 * The seeds' application workloads, each on the cluster its config names, once that cluster's PKI
 * (issuers) and the workload's namespaces exist: seed 004's keystore service and seed 000's MongoDB VM.
 */
export function deployWorkloads(
    config: EnvironmentConfig,
    clusters: Partial<Record<ClusterName, ClusterTarget>>,
    pki: PkiDeployment,
    namespaces: NamespaceResources,
    istio: Partial<Record<ClusterName, Istio>> = {},
): WorkloadsDeployment {
    const deployed: WorkloadsDeployment = {};
    const keystore = config.workloads.keystoreService;
    // The config schema refuses a workload on a cluster the stack does not build.
    if (keystore && clusters[keystore.cluster]) {
        const cluster = clusters[keystore.cluster]!;
        const clusterPki = pki.clusters[keystore.cluster]!;
        const clusterIstio = istio[keystore.cluster];
        deployed.keystoreService = new KeystoreService(
            `${cluster.key}-${keystore.name}`,
            {
                name: keystore.name,
                namespace: keystore.namespace,
                image: keystore.image,
                extraDnsNames: keystore.extraDnsNames,
                // Made a secret here, whether or not the stack file set it with --secret.
                keystorePassword: pulumi.secret(keystore.keystorePassword),
                issuerName: clusterPki.internalIssuer.name,
                replicas: config.environment === "prod" ? 2 : 1,
            },
            {
                provider: cluster.provider,
                // Reloader is what restarts it on renewal: it must be running first. One installed outside
                // the stack (platform.installedOutside) is not ours to wait for. In an injected namespace
                // its first pods must find istiod's injection webhook, or they run without a sidecar.
                dependsOn: [
                    ...cluster.ready,
                    ...clusterPki.ready,
                    ...(clusterPki.reloader ? [clusterPki.reloader] : []),
                    ...(clusterIstio ? [clusterIstio] : []),
                    ...namespaceReady(namespaces, keystore.cluster, keystore.namespace),
                ],
            },
        );
    }
    const vm = config.workloads.mongoVirtualMachine;
    if (vm?.enabled && clusters.gke) {
        deployed.mongoVirtualMachine = deployMongoVirtualMachine(config, vm, clusters.gke, pki, namespaces);
    }
    return deployed;
}
