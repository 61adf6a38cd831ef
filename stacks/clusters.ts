import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterName, EnvironmentConfig } from "./config";

/** A cluster the environment deploys Kubernetes objects to. */
export interface ClusterTarget {
    /** The cluster key: `gke` or `aks`. Also the name of its Kubernetes provider, which the plan groups by. */
    key: ClusterName;
    provider: k8s.Provider;
    /** Resources the cluster's Kubernetes objects must wait for (node pools, add-ons). */
    ready: pulumi.Resource[];
}

/**
 * The clusters of the environment. Until the GKE and AKS components are wired in, each side targets
 * an existing cluster through the kubeconfig context named after its key.
 */
export function deployClusters(config: EnvironmentConfig): Partial<Record<ClusterName, ClusterTarget>> {
    const targets: Partial<Record<ClusterName, ClusterTarget>> = {};
    if (config.gcp) targets.gke = { key: "gke", provider: new k8s.Provider("gke", { context: "gke" }), ready: [] };
    if (config.azure) targets.aks = { key: "aks", provider: new k8s.Provider("aks", { context: "aks" }), ready: [] };
    return targets;
}
