import type { TrustmeshResourcePolicy } from "./types";
import { isUnknownPath, obj, packConfig, packConfigSchema } from "./values";

/**
 * Who can reach a cluster's API server, and with which rights: no public IP endpoint in prod, and
 * Kubernetes access roles granted on one cluster only, never broad Azure roles. Written against the
 * providers' own fields, so it judges stacks trustmesh did not build too.
 */

export const gkeClusterType = "gcp:container/cluster:Cluster";
export const aksClusterType = "azure-native:containerservice:ManagedCluster";
export const roleAssignmentType = "azure-native:authorization:RoleAssignment";

export const gkePublicControlPlane: TrustmeshResourcePolicy = {
    name: "gke-public-control-plane",
    domain: "control-plane-access",
    severity: "high",
    description:
        "Checks that a prod GKE control plane has no public IP endpoint (privateClusterConfig.enablePrivateEndpoint, or controlPlaneEndpointsConfig.ipEndpointsConfig.enabled false); deployments use the IAM-gated DNS endpoint.",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== gkeClusterType || packConfig(args.getConfig).environment !== "prod") return;
        const props = obj(args.props);
        if (isUnknownPath(props, "privateClusterConfig.enablePrivateEndpoint") || isUnknownPath(props, "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled")) return;
        const ipEndpointsOff = obj(obj(props.controlPlaneEndpointsConfig).ipEndpointsConfig).enabled === false;
        if (ipEndpointsOff || obj(props.privateClusterConfig).enablePrivateEndpoint === true) return;
        reportViolation(
            "the control plane has a public IP endpoint; in prod set privateClusterConfig.enablePrivateEndpoint: true (or controlPlaneEndpointsConfig.ipEndpointsConfig.enabled: false) and deploy through the DNS endpoint (controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic: true), which admits only IAM-authenticated callers.",
        );
    },
};

export const aksPublicApiServer: TrustmeshResourcePolicy = {
    name: "aks-public-api-server",
    domain: "control-plane-access",
    severity: "high",
    description: "Checks that a prod AKS API server is private (apiServerAccessProfile.enablePrivateCluster), reached from a runner VNet peered with the cluster's and linked to its private DNS zone.",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== aksClusterType || packConfig(args.getConfig).environment !== "prod") return;
        const props = obj(args.props);
        if (isUnknownPath(props, "apiServerAccessProfile.enablePrivateCluster")) return;
        if (obj(props.apiServerAccessProfile).enablePrivateCluster === true) return;
        reportViolation(
            "the API server has a public endpoint; in prod set apiServerAccessProfile.enablePrivateCluster: true and deploy from a runner VNet peered with the cluster's and linked to its private DNS zone (README: How prod is deployed).",
        );
    },
};

/** Built-in roles that give access to a cluster's Kubernetes API (role definition GUIDs, the same in every tenant). */
export const kubernetesAccessRoles: Record<string, string> = {
    "4abbcc35-e782-43d8-92c5-2d3f1bd2253f": "Azure Kubernetes Service Cluster User Role",
    "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8": "Azure Kubernetes Service Cluster Admin Role",
    "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b": "Azure Kubernetes Service RBAC Cluster Admin",
    "3498e952-d568-435e-9b2c-8d77e338d7f7": "Azure Kubernetes Service RBAC Admin",
    "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb": "Azure Kubernetes Service RBAC Writer",
    "7f6c6a51-bcf8-42ba-9220-52d62157d7db": "Azure Kubernetes Service RBAC Reader",
};

/** Built-in roles that grant everything, or the right to grant anything: never what a deployment or workload needs from a stack. */
export const broadAzureRoles: Record<string, string> = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c4a72abb": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

/** A managed cluster's id, or one of its namespaces (RBAC roles may be scoped to a namespace). */
const clusterScope = /\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+(\/namespaces\/[^/]+)?$/i;

export const roleAssignmentLeastPrivilege: TrustmeshResourcePolicy = {
    name: "azure-role-assignment-least-privilege",
    domain: "control-plane-access",
    severity: "high",
    description:
        "Checks that Azure role assignments grant Kubernetes access roles (AKS Cluster User/Admin, RBAC roles) on one managed cluster (or a namespace of it), and never Owner, Contributor, User Access Administrator or Role Based Access Control Administrator.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== roleAssignmentType) return;
        const props = obj(args.props);
        if (typeof props.roleDefinitionId !== "string") return;
        const guid = props.roleDefinitionId.split("/").pop()!.toLowerCase();
        const broad = broadAzureRoles[guid];
        if (broad) {
            reportViolation(`assigns ${broad}; assign the built-in role with only the actions needed, at the narrowest scope (a deployer's own rights are granted outside the stack).`);
            return;
        }
        const kubernetes = kubernetesAccessRoles[guid];
        if (!kubernetes || typeof props.scope !== "string") return;
        if (!clusterScope.test(props.scope)) {
            reportViolation(`assigns ${kubernetes} at ${props.scope}; scope it to one cluster (.../providers/Microsoft.ContainerService/managedClusters/<name>) so the identity reaches no other cluster.`);
        }
    },
};

export const controlPlaneAccessPolicies: TrustmeshResourcePolicy[] = [gkePublicControlPlane, aksPublicApiServer, roleAssignmentLeastPrivilege];
