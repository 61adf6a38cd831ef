import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { isProjectId, isServiceAccountId, roleProblem, serviceAccountIdFor, workloadIdentityMember, workloadIdentityPool } from "./gcpRules";
import { rfc1123Label } from "./names";

/** An IAM role for the Google service account, granted on a project. */
export interface GcpRoleGrant {
    /** A predefined or custom role; roles/owner, roles/editor and roles/viewer are refused. */
    role: string;
    /** Project the role is granted on. @default - the identity's project */
    project?: string;
}

/** The annotation GKE reads to hand a pod its Google service account. */
export const gkeServiceAccountAnnotation = "iam.gke.io/gcp-service-account";

export interface GcpWorkloadIdentityArgs {
    /** Project of the cluster: its pool `<project>.svc.id.goog` names the Kubernetes identity. */
    project: string;
    /** Namespace of the Kubernetes ServiceAccount. */
    namespace: string;
    /** Name of the Kubernetes ServiceAccount. */
    serviceAccountName: string;
    /** Id of the Google service account to create. @default - the component name made a valid id */
    accountId?: string;
    /** Adopt this existing Google service account (by email) instead of creating one. @default - create one */
    existingServiceAccountEmail?: string;
    /** Roles the Google service account is granted, each on its project. @default [] */
    roles?: GcpRoleGrant[];
    /**
     * Create the annotated Kubernetes ServiceAccount, with the cluster's Kubernetes provider (pass it in
     * `providers`). Off when a Helm chart creates it from the annotation. @default true
     */
    createKubernetesServiceAccount?: boolean;
}

export function validateGcpWorkloadIdentityArgs(args: GcpWorkloadIdentityArgs): string[] {
    const problems: string[] = [];
    if (!args.project) problems.push("project is required (the cluster's GCP project id)");
    else if (!isProjectId(args.project)) problems.push(`project "${args.project}" must be a GCP project id`);
    if (!rfc1123Label.test(args.namespace ?? "")) problems.push(`namespace "${args.namespace}" must be an RFC 1123 label`);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(args.serviceAccountName ?? "")) {
        problems.push(`serviceAccountName "${args.serviceAccountName}" must be an RFC 1123 subdomain`);
    }
    if (args.accountId !== undefined && !isServiceAccountId(args.accountId)) {
        problems.push(`accountId "${args.accountId}" must be 6-30 lowercase letters, digits or hyphens, starting with a letter`);
    }
    if (args.existingServiceAccountEmail !== undefined && !/^[^@\s]+@[a-z0-9-.]+\.gserviceaccount\.com$/.test(args.existingServiceAccountEmail)) {
        problems.push(`existingServiceAccountEmail "${args.existingServiceAccountEmail}" must be a service account email (…@….iam.gserviceaccount.com)`);
    }
    if (args.existingServiceAccountEmail !== undefined && args.accountId !== undefined) {
        problems.push("give either accountId (create) or existingServiceAccountEmail (adopt), not both");
    }
    const seen = new Set<string>();
    (args.roles ?? []).forEach((grant, i) => {
        const problem = roleProblem(grant.role);
        if (problem) problems.push(`roles[${i}]: ${problem}`);
        if (grant.project !== undefined && !isProjectId(grant.project)) problems.push(`roles[${i}].project "${grant.project}" must be a GCP project id`);
        const key = `${grant.role}@${grant.project ?? args.project}`;
        if (seen.has(key)) problems.push(`roles[${i}]: "${grant.role}" on project ${grant.project ?? args.project} is listed twice`);
        seen.add(key);
    });
    return problems;
}

/**
 * A Google service account for one Kubernetes ServiceAccount through GKE Workload Identity: the Google
 * account (created, or adopted by email), `roles/iam.workloadIdentityUser` for exactly
 * `<project>.svc.id.goog[<namespace>/<ksa>]`, the annotated ServiceAccount, and the roles asked for.
 * The component's `dependsOn` is passed to the workload identity binding and the ServiceAccount: make
 * it include the cluster (its pool must exist) and the namespace.
 */
export class GcpWorkloadIdentity extends pulumi.ComponentResource {
    /** The Google service account, when created here. */
    public readonly googleServiceAccount?: serviceaccount.Account;
    public readonly workloadIdentityBinding: serviceaccount.IAMMember;
    public readonly roleBindings: projects.IAMMember[];
    /** The Kubernetes ServiceAccount, when created here. */
    public readonly kubernetesServiceAccount?: k8s.core.v1.ServiceAccount;
    /** Email of the Google service account. */
    public readonly email: pulumi.Output<string>;
    /** The Kubernetes identity's IAM principal, `serviceAccount:<pool>[<ns>/<ksa>]`. */
    public readonly member: pulumi.Output<string>;
    /** Annotations the Kubernetes ServiceAccount must carry (for Helm values when not created here). */
    public readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: GcpWorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateGcpWorkloadIdentityArgs(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(`GcpWorkloadIdentity ${name}: ${problems.join("; ")}`);
        }
        super("trustmesh:index:GcpWorkloadIdentity", name, args, opts);
        const built = buildGcpWorkloadIdentity(name, args, this, opts?.dependsOn);
        this.googleServiceAccount = built.googleServiceAccount;
        this.workloadIdentityBinding = built.workloadIdentityBinding;
        this.roleBindings = built.roleBindings;
        this.kubernetesServiceAccount = built.kubernetesServiceAccount;
        this.email = built.email;
        this.member = pulumi.output(built.member);
        this.serviceAccountAnnotations = built.email.apply((email): Record<string, string> => ({ [gkeServiceAccountAnnotation]: email }));
        this.registerOutputs({ email: this.email, member: this.member, serviceAccountAnnotations: this.serviceAccountAnnotations });
    }
}

export function buildGcpWorkloadIdentity(
    name: string,
    args: GcpWorkloadIdentityArgs,
    parent: pulumi.Resource,
    dependsOn?: DependsOn,
) {
    // Children do not inherit the component's dependsOn (enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const member = workloadIdentityMember(workloadIdentityPool(args.project), args.namespace, args.serviceAccountName);

    const googleServiceAccount = args.existingServiceAccountEmail
        ? undefined
        : new serviceaccount.Account(
              `${name}-gsa`,
              {
                  project: args.project,
                  accountId: args.accountId ?? serviceAccountIdFor(name),
                  displayName: `Workload identity of ${args.namespace}/${args.serviceAccountName} (trustmesh)`,
              },
              opts,
          );
    const email = googleServiceAccount ? googleServiceAccount.email : pulumi.output(args.existingServiceAccountEmail!);
    // An adopted account is named by email; its own project is the one in the email's domain.
    const serviceAccountId = googleServiceAccount
        ? googleServiceAccount.name
        : pulumi.output(`projects/${adoptedProject(args.existingServiceAccountEmail!, args.project)}/serviceAccounts/${args.existingServiceAccountEmail}`);

    // Only this one Kubernetes ServiceAccount may act as the Google account. IAM refuses a member of a
    // pool that does not exist yet, and the pool comes with the cluster: wait for what the caller waits for.
    const workloadIdentityBinding = new serviceaccount.IAMMember(
        `${name}-wi-user`,
        { serviceAccountId, role: "roles/iam.workloadIdentityUser", member },
        { parent, dependsOn },
    );

    const roleBindings = (args.roles ?? []).map(
        (grant) =>
            new projects.IAMMember(
                `${name}-${roleSlug(grant.role)}${grant.project && grant.project !== args.project ? `-${grant.project}` : ""}`,
                { project: grant.project ?? args.project, role: grant.role, member: pulumi.interpolate`serviceAccount:${email}` },
                opts,
            ),
    );

    const kubernetesServiceAccount =
        args.createKubernetesServiceAccount === false
            ? undefined
            : new k8s.core.v1.ServiceAccount(
                  `${name}-ksa`,
                  {
                      metadata: {
                          name: args.serviceAccountName,
                          namespace: args.namespace,
                          labels: { "app.kubernetes.io/managed-by": "trustmesh" },
                          annotations: { [gkeServiceAccountAnnotation]: email },
                      },
                  },
                  // The namespace usually comes from the same program: wait for whatever the caller waits for.
                  { parent, dependsOn },
              );

    return { googleServiceAccount, email, member, workloadIdentityBinding, roleBindings, kubernetesServiceAccount };
}

function roleSlug(role: string): string {
    return role.replace(/^(projects|organizations)\/[^/]+\/roles\//, "custom-").replace(/^roles\//, "").replace(/[._]/g, "-").toLowerCase();
}

/** The project an adopted `<id>@<project>.iam.gserviceaccount.com` belongs to; other domains use the given one. */
function adoptedProject(email: string, fallback: string): string {
    const match = /@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/.exec(email);
    return match ? match[1]! : fallback;
}
