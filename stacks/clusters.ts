import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterName, EnvironmentConfig } from "./config";
import { deployGcp } from "./gcp";
import { deployAzure } from "./azure";

/** A cloud identity for a Kubernetes ServiceAccount, asked of the cluster's side (GCP or Azure). */
export interface WorkloadIdentityRequest {
    /** Logical name prefix for the cloud resources, unique in the environment (e.g. `gke-cert-manager`). */
    name: string;
    namespace: string;
    serviceAccountName: string;
    /**
     * Create the Kubernetes ServiceAccount too. Off when a Helm chart creates it and only needs the
     * annotations and pod labels in its values. @default true
     */
    createServiceAccount?: boolean;
    /** GCP: IAM roles for the Google service account, at project scope unless a resource is given. */
    gcpRoles?: Array<{ role: string; project?: string }>;
    /** Azure: role assignments for the managed identity, each at its own scope (never wider than needed). */
    azureRoles?: Array<{ roleDefinitionName: string; scope: pulumi.Input<string> }>;
}

/** What a workload (or its Helm values) needs to use the identity. */
export interface WorkloadIdentityBinding {
    /** Annotations the ServiceAccount must carry (`iam.gke.io/gcp-service-account`, `azure.workload.identity/client-id`). */
    serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
    /** Labels the pods must carry (`azure.workload.identity/use: "true"` on AKS; none on GKE). */
    podLabels: Record<string, string>;
    /** Azure: the managed identity's client id. GCP: the Google service account email. */
    identity: pulumi.Output<string>;
    /** Resources a workload using the identity must wait for (IAM bindings, federated credentials). */
    ready: pulumi.Resource[];
}

/** A cluster the environment deploys Kubernetes objects to. */
export interface ClusterTarget {
    /** The cluster key: `gke` or `aks`. Also the name of its Kubernetes provider, which the plan groups by. */
    key: ClusterName;
    cloud: "gcp" | "azure";
    provider: k8s.Provider;
    /** Resources the cluster's Kubernetes objects must wait for (node pools, add-ons). */
    ready: pulumi.Resource[];
    /** Resources cloud objects made for this cluster elsewhere (static IPs, DNS records) must wait for: enabled APIs. @default [] */
    cloudReady?: pulumi.Resource[];
    /**
     * Azure: principal of the cluster's control-plane identity. It creates the load balancers of
     * LoadBalancer Services, so it needs rights on any public IP reserved for one elsewhere.
     */
    controlPlanePrincipalId?: pulumi.Output<string>;
    /** The static addresses the cluster's nodes reach the internet from (Cloud NAT, AKS outbound IPs): what a peer admits. */
    egressAddresses?: pulumi.Output<string>[];
    /** The cloud provider (azure-native) every cloud resource made for this cluster elsewhere must use. @default - the default provider */
    cloudProvider?: pulumi.ProviderResource;
    /** Binds a cloud identity to a ServiceAccount through the cluster's workload identity. */
    bindWorkloadIdentity?: (request: WorkloadIdentityRequest, opts?: pulumi.ComponentResourceOptions) => WorkloadIdentityBinding;
}

/**
 * The clusters of the environment. Until the GKE and AKS components are wired in, each side targets
 * an existing cluster through the kubeconfig context named after its key.
 */
export function deployClusters(config: EnvironmentConfig): Partial<Record<ClusterName, ClusterTarget>> {
    const targets: Partial<Record<ClusterName, ClusterTarget>> = {};
    if (config.gcp) targets.gke = deployGcp(config);
    // GKE first: the AKS subnet NSG admits the GKE side's egress addresses on the link ports.
    if (config.azure) targets.aks = deployAzure(config, targets.gke?.egressAddresses ?? []);
    return targets;
}
