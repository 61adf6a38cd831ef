import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { rfc1123Label } from "./names";

/**
 * Azure built-in role definition GUIDs (the same in every tenant). Role assignments name a role by
 * these ids; computing them avoids a lookup that needs live credentials.
 */
export const azureBuiltInRoles = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Certificate User": "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "DNS Zone Contributor": "befefa01-2a29-4197-83a8-272ff33ce314",
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
} as const;

export type AzureBuiltInRoleName = keyof typeof azureBuiltInRoles;

/** The audience Microsoft Entra expects in a federated Kubernetes token. */
export const workloadIdentityAudience = "api://AzureADTokenExchange";
/** The ServiceAccount annotation the workload identity webhook reads the client id from. */
export const clientIdAnnotation = "azure.workload.identity/client-id";
/** The pod label that makes the webhook inject the token volume and environment. */
export const useWorkloadIdentityLabel = "azure.workload.identity/use";

/** The ARM id of a built-in role definition in a subscription; throws naming the known roles. */
export function builtInRoleDefinitionId(subscriptionId: string, roleName: string): string {
    const guid = (azureBuiltInRoles as Record<string, string>)[roleName];
    if (!guid) {
        throw new Error(`unknown Azure built-in role "${roleName}"; known roles: ${Object.keys(azureBuiltInRoles).join(", ")}`);
    }
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

/** The federated credential subject for a Kubernetes ServiceAccount. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
    return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

/** Shape of a pod template the label helper accepts: a Deployment's `spec.template` or similar. */
export interface PodTemplateWithLabels {
    metadata?: { labels?: Record<string, pulumi.Input<string>>; [key: string]: unknown };
    spec?: { serviceAccountName?: pulumi.Input<string>; [key: string]: unknown };
}

/**
 * Returns the pod template with the `azure.workload.identity/use: "true"` label (without it the
 * webhook leaves the pod alone and it gets no token), and the ServiceAccount set when one is given.
 */
export function withAzureWorkloadIdentity<T extends PodTemplateWithLabels>(template: T, serviceAccountName?: pulumi.Input<string>): T {
    return {
        ...template,
        metadata: { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [useWorkloadIdentityLabel]: "true" } },
        spec: serviceAccountName === undefined ? template.spec : { ...(template.spec ?? {}), serviceAccountName },
    };
}

export interface AzureRoleAssignmentArgs {
    /** Short role for the child's name, unique within the identity, e.g. `kv-secrets`. */
    name: string;
    /** Full ARM id of the role definition (see `builtInRoleDefinitionId`). */
    roleDefinitionId: pulumi.Input<string>;
    /** The narrowest scope that works: a vault, a DNS zone; never a subscription. */
    scope: pulumi.Input<string>;
}

export interface AzureWorkloadIdentityArgs {
    /** Resource group the managed identity lives in. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** The AKS cluster's OIDC issuer URL (AksCluster.oidcIssuerUrl). */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Namespace of the Kubernetes ServiceAccount. */
    namespace: string;
    /** Name of the Kubernetes ServiceAccount. */
    serviceAccountName: string;
    /** Create the ServiceAccount; off when a Helm chart creates it from the annotation values. @default true */
    createServiceAccount?: boolean;
    /** Tenant id annotation on the ServiceAccount. @default - the webhook's default tenant */
    tenantId?: pulumi.Input<string>;
    /** Role assignments for the identity, each at its own scope. @default [] */
    roleAssignments?: AzureRoleAssignmentArgs[];
    /** Tags for the managed identity. @default {} */
    tags?: Record<string, string>;
}


export function validateAzureWorkloadIdentityArgs(args: AzureWorkloadIdentityArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.namespace)) problems.push(`namespace "${args.namespace}" must be a lowercase RFC 1123 label`);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(args.serviceAccountName)) {
        problems.push(`serviceAccountName "${args.serviceAccountName}" must be a lowercase RFC 1123 subdomain`);
    }
    const seen = new Set<string>();
    for (const assignment of args.roleAssignments ?? []) {
        if (!rfc1123Label.test(assignment.name)) problems.push(`roleAssignments name "${assignment.name}" must be a lowercase RFC 1123 label`);
        if (seen.has(assignment.name)) problems.push(`roleAssignments name "${assignment.name}" is used twice`);
        seen.add(assignment.name);
        if (typeof assignment.scope === "string" && /^\/subscriptions\/[^/]+\/?$/i.test(assignment.scope)) {
            problems.push(`roleAssignments "${assignment.name}" scope "${assignment.scope}" is a whole subscription; scope it to the resource the workload uses`);
        }
    }
    return problems;
}

/**
 * An Azure identity for one Kubernetes ServiceAccount: a user-assigned managed identity, a federated
 * credential that trusts the cluster's OIDC issuer for exactly that ServiceAccount, the annotated
 * ServiceAccount and the identity's role assignments. Pods opt in with `withAzureWorkloadIdentity`.
 * Pass the cluster's Kubernetes provider in `opts.providers`.
 */
export class AzureWorkloadIdentity extends pulumi.ComponentResource {
    public readonly clientId: pulumi.Output<string>;
    public readonly principalId: pulumi.Output<string>;
    public readonly identityId: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    /** Annotations the ServiceAccount carries (for Helm values when the chart creates it). */
    public readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AzureWorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:AzureWorkloadIdentity", name, args, opts);
        const problems = validateAzureWorkloadIdentityArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`AzureWorkloadIdentity ${name}: ${problems.join("; ")}`, this);
        const built = buildAzureWorkloadIdentity(name, args, this, opts?.dependsOn);
        this.clientId = built.identity.clientId;
        this.principalId = built.identity.principalId;
        this.identityId = built.identity.id;
        this.serviceAccountName = pulumi.output(args.serviceAccountName);
        this.serviceAccountAnnotations = built.annotations;
        this.registerOutputs({
            clientId: this.clientId,
            principalId: this.principalId,
            identityId: this.identityId,
            serviceAccountName: this.serviceAccountName,
            serviceAccountAnnotations: this.serviceAccountAnnotations,
        });
    }
}

export function buildAzureWorkloadIdentity(name: string, args: AzureWorkloadIdentityArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (the cluster, the namespace): pass it on.
    const opts = { parent, dependsOn };
    const identity = new managedidentity.UserAssignedIdentity(
        `${name}-identity`,
        { resourceGroupName: args.resourceGroupName, location: args.location, tags: { "managed-by": "trustmesh", ...(args.tags ?? {}) } },
        opts,
    );

    // Trusts tokens for this one ServiceAccount from this one cluster: no other pod can use the identity.
    const federatedCredential = new managedidentity.FederatedIdentityCredential(
        `${name}-federated`,
        {
            resourceGroupName: args.resourceGroupName,
            resourceName: identity.name,
            issuer: args.oidcIssuerUrl,
            subject: serviceAccountSubject(args.namespace, args.serviceAccountName),
            audiences: [workloadIdentityAudience],
        },
        opts,
    );

    const roleAssignments = (args.roleAssignments ?? []).map(
        (assignment) =>
            new authorization.RoleAssignment(
                `${name}-${assignment.name}`,
                {
                    principalId: identity.principalId,
                    // Tells ARM what the principal is so the assignment does not fail while Entra replicates it.
                    principalType: "ServicePrincipal",
                    roleDefinitionId: assignment.roleDefinitionId,
                    scope: assignment.scope,
                },
                opts,
            ),
    );

    const annotations: Record<string, pulumi.Output<string>> = { [clientIdAnnotation]: identity.clientId };
    if (args.tenantId !== undefined) annotations["azure.workload.identity/tenant-id"] = pulumi.output(args.tenantId);

    const serviceAccount =
        args.createServiceAccount === false
            ? undefined
            : new k8s.core.v1.ServiceAccount(
                  `${name}-sa`,
                  {
                      metadata: {
                          name: args.serviceAccountName,
                          namespace: args.namespace,
                          annotations,
                          labels: { "app.kubernetes.io/managed-by": "trustmesh" },
                      },
                      // Pods get the projected token from the webhook; the legacy auto-mount is not needed.
                      automountServiceAccountToken: false,
                  },
                  { parent, dependsOn: [federatedCredential] },
              );

    return { identity, federatedCredential, roleAssignments, serviceAccount, annotations };
}
