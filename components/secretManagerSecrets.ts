import * as secretmanager from "@pulumi/gcp/secretmanager";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { isProjectId } from "./gcpRules";
import { rfc1123Label } from "./names";

/** The CSI driver of GKE's Secret Manager add-on; its SecretProviderClasses use provider `gke`. */
export const gkeSecretManagerCsiDriver = "secrets-store-gke.csi.k8s.io";
/** The one role a reader needs: read secret versions, nothing else. */
export const secretAccessorRole = "roles/secretmanager.secretAccessor";

/** A Secret Manager secret id: letters, digits, '-' and '_', at most 255 characters. */
export const secretManagerIdPattern = /^[A-Za-z0-9_-]{1,255}$/;

export interface SecretManagerSecretsArgs {
    /** Project of the secrets. */
    project: string;
    /** Namespace of the workload that reads them. */
    namespace: string;
    /** SecretProviderClass name. @default "secret-manager" */
    secretProviderClassName?: string;
    /** Secret name (file name in the mount) -> value, each a Pulumi secret. Secret ids are `<namespace>-<name>`. */
    secrets: Record<string, pulumi.Input<string>>;
    /** IAM member that may read them (`serviceAccount:<email>` of the workload's Google service account). */
    readerMember: pulumi.Input<string>;
    /** Region to keep replicas in (user-managed replication). @default - automatic replication */
    replicaLocations?: string[];
    /** Labels for the secrets. @default {} */
    labels?: Record<string, string>;
}

export function validateSecretManagerSecretsArgs(args: SecretManagerSecretsArgs): string[] {
    const problems: string[] = [];
    if (!isProjectId(args.project ?? "")) problems.push(`project "${args.project}" must be a GCP project id`);
    if (!rfc1123Label.test(args.namespace ?? "")) problems.push(`namespace "${args.namespace}" must be a Kubernetes namespace name`);
    if (args.secretProviderClassName !== undefined && !rfc1123Label.test(args.secretProviderClassName)) problems.push(`secretProviderClassName "${args.secretProviderClassName}" must be an RFC 1123 label`);
    const names = Object.keys(args.secrets ?? {});
    if (names.length === 0) problems.push("secrets must list at least one secret");
    for (const name of names) {
        if (!/^[a-zA-Z0-9-]{1,127}$/.test(name)) problems.push(`secrets key "${name}" must be 1-127 letters, digits and hyphens (it is also the file name in the mount)`);
        else if (!secretManagerIdPattern.test(secretManagerId(args.namespace ?? "", name))) problems.push(`secret id "${secretManagerId(args.namespace ?? "", name)}" is too long for Secret Manager (255)`);
    }
    return problems;
}

/** The Secret Manager id of a namespace's secret: unique per namespace in a project shared by both. */
export function secretManagerId(namespace: string, name: string): string {
    return `${namespace}-${name}`;
}

/** The `secrets` parameter of a `gke` SecretProviderClass: each secret's latest version, mounted at its name. */
export function gkeSecretProviderSecrets(project: string, namespace: string, names: string[]): string {
    return names.map((name) => `- resourceName: "projects/${project}/secrets/${secretManagerId(namespace, name)}/versions/latest"\n  path: "${name}"`).join("\n") + "\n";
}

/**
 * An application's secrets on GKE, at parity with Key Vault on AKS: one Secret Manager secret per value
 * (the value a Pulumi secret, stored as a version), `roles/secretmanager.secretAccessor` granted on each
 * secret to the workload's Google service account and on nothing wider, and a SecretProviderClass with
 * provider `gke` so GKE's Secret Manager add-on mounts them into the pod (re-read on its rotation interval).
 * Pass the GKE provider and `dependsOn` the namespace and the workload identity.
 */
export class SecretManagerSecrets extends pulumi.ComponentResource {
    /** Secret name -> Secret Manager resource name (`projects/<p>/secrets/<id>`). */
    public readonly secretIds: pulumi.Output<Record<string, string>>;
    /** The SecretProviderClass pods name in their CSI volume. */
    public readonly secretProviderClassName: pulumi.Output<string>;

    constructor(name: string, args: SecretManagerSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:SecretManagerSecrets", name, args, opts);
        const problems = validateSecretManagerSecretsArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`SecretManagerSecrets ${name}: ${problems.join("; ")}`, this);
        const built = buildSecretManagerSecrets(name, args, this, opts?.dependsOn);
        this.secretIds = pulumi.output(Object.fromEntries(Object.entries(built.secrets).map(([key, secret]) => [key, secret.id])));
        this.secretProviderClassName = built.secretProviderClass.metadata.name;
        this.registerOutputs({ secretIds: this.secretIds, secretProviderClassName: this.secretProviderClassName });
    }
}

export function buildSecretManagerSecrets(name: string, args: SecretManagerSecretsArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const labels = { "managed-by": "trustmesh", namespace: args.namespace, ...(args.labels ?? {}) };
    const replication = args.replicaLocations?.length ? { userManaged: { replicas: args.replicaLocations.map((location) => ({ location })) } } : { auto: {} };
    const secrets: Record<string, secretmanager.Secret> = {};
    const versions: secretmanager.SecretVersion[] = [];
    const readers: secretmanager.SecretIamMember[] = [];
    for (const [key, value] of Object.entries(args.secrets)) {
        const secret = new secretmanager.Secret(`${name}-${key}`, { project: args.project, secretId: secretManagerId(args.namespace, key), replication, labels }, { parent, dependsOn });
        secrets[key] = secret;
        versions.push(
            new secretmanager.SecretVersion(
                `${name}-${key}-version`,
                // Secret whatever the caller passed: the value never reaches the state or a preview in clear.
                { secret: secret.id, secretData: pulumi.secret(value) },
                { parent, additionalSecretOutputs: ["secretData"] },
            ),
        );
        // On the secret, not the project: the reader gets this application's secrets and no other's.
        readers.push(new secretmanager.SecretIamMember(`${name}-${key}-reader`, { project: args.project, secretId: secret.secretId, role: secretAccessorRole, member: args.readerMember }, { parent }));
    }

    const secretProviderClass = new k8s.apiextensions.CustomResource(
        `${name}-secret-provider-class`,
        {
            apiVersion: "secrets-store.csi.x-k8s.io/v1",
            kind: "SecretProviderClass",
            metadata: { name: args.secretProviderClassName ?? "secret-manager", namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: { provider: "gke", parameters: { secrets: gkeSecretProviderSecrets(args.project, args.namespace, Object.keys(args.secrets)) } },
        },
        // A pod mounting the class must find every secret readable: wait for the grants.
        { parent, dependsOn: withDependsOn(dependsOn, ...readers, ...versions) },
    );
    return { secrets, versions, readers, secretProviderClass };
}
