import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { choiceProblems } from "./choices";
import { rfc1123Label } from "./names";

/** Kind of Key Vault object the CSI driver fetches. */
export const KeyVaultObjectType = {
    /** A secret, or a certificate WITH its private key, as PEM. */
    Secret: "secret",
    /** A certificate's public part only. */
    Cert: "cert",
    /** A key's public part. */
    Key: "key",
} as const;
export type KeyVaultObjectType = (typeof KeyVaultObjectType)[keyof typeof KeyVaultObjectType];

/** Type of a Kubernetes Secret the CSI driver syncs. */
export const SyncedSecretType = { Opaque: "Opaque", Tls: "kubernetes.io/tls" } as const;
export type SyncedSecretType = (typeof SyncedSecretType)[keyof typeof SyncedSecretType];

/** A Key Vault object the CSI driver fetches. */
export interface KeyVaultObjectArgs {
    /** Name of the secret, certificate or key in the vault. */
    name: string;
    /**
     * `secret` (also a certificate WITH its private key, as PEM), `cert` (public certificate only) or
     * `key` (public key). @default "secret"
     */
    type?: KeyVaultObjectType;
    /** Pinned version. @default - the latest, re-read on every rotation poll */
    version?: string;
    /** File name in the mount (and the object name secretObjects refer to). @default - the object name */
    alias?: string;
}

export interface SyncedSecretKeyArgs {
    /** The object's alias (or name, when it has no alias). */
    objectName: string;
    /** Key in the Kubernetes Secret. */
    key: string;
}

export interface SyncedSecretArgs {
    /** Name of the Kubernetes Secret the driver creates while a pod mounts the volume. */
    secretName: string;
    /** Secret type: "Opaque", or "kubernetes.io/tls" for a Key Vault certificate. @default "Opaque" */
    type?: SyncedSecretType;
    data: SyncedSecretKeyArgs[];
}

export interface KeyVaultSecretsArgs {
    /** Namespace of the workload. */
    namespace: string;
    /** SecretProviderClass name. @default - the component name */
    secretProviderClassName?: string;
    /** Vault name. */
    vaultName: pulumi.Input<string>;
    /** Entra tenant of the vault. */
    tenantId: pulumi.Input<string>;
    /** Client id of the workload identity that reads the vault (AzureWorkloadIdentity.clientId). */
    clientId: pulumi.Input<string>;
    /** Objects to fetch. */
    objects: KeyVaultObjectArgs[];
    /** Kubernetes Secrets to sync from the fetched objects (for env vars). @default [] */
    syncedSecrets?: SyncedSecretArgs[];
}

/** CSI driver name of the Secrets Store CSI driver (the AKS add-on installs it). */
export const secretsStoreDriver = "secrets-store.csi.k8s.io";

/** The Key Vault objects, as the Azure provider's `objects` parameter (a YAML string holding an array of YAML strings). */
export function keyVaultObjectsParameter(objects: KeyVaultObjectArgs[]): string {
    const entries = objects.map((o) => {
        const lines = [`objectName: ${o.name}`, `objectType: ${o.type ?? "secret"}`, `objectVersion: "${o.version ?? ""}"`];
        if (o.alias) lines.push(`objectAlias: ${o.alias}`);
        return `  - |\n${lines.map((l) => `    ${l}`).join("\n")}`;
    });
    return `array:\n${entries.join("\n")}\n`;
}

/** A certificate with its private key, fetched and synced as a kubernetes.io/tls Secret. */
export function keyVaultTlsCertificate(certificateName: string, secretName: string): { object: KeyVaultObjectArgs; syncedSecret: SyncedSecretArgs } {
    return {
        // objectType secret returns the certificate chain and private key as one PEM; the driver splits it for tls.crt/tls.key.
        object: { name: certificateName, type: "secret", alias: certificateName },
        syncedSecret: {
            secretName,
            type: "kubernetes.io/tls",
            data: [
                { objectName: certificateName, key: "tls.key" },
                { objectName: certificateName, key: "tls.crt" },
            ],
        },
    };
}

const objectNamePattern = /^[a-zA-Z0-9-]{1,127}$/;

export function validateKeyVaultSecretsArgs(name: string, args: KeyVaultSecretsArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.namespace)) problems.push(`namespace "${args.namespace}" must be a lowercase RFC 1123 label`);
    const spcName = args.secretProviderClassName ?? name;
    if (!rfc1123Label.test(spcName)) problems.push(`secretProviderClassName "${spcName}" must be a lowercase RFC 1123 label`);
    if (args.objects.length === 0) problems.push("objects must list at least one Key Vault object");
    const fileNames = new Set<string>();
    for (const object of args.objects) {
        if (!objectNamePattern.test(object.name)) problems.push(`objects name "${object.name}" must be 1-127 letters, digits and hyphens`);
        if (object.alias !== undefined && !/^[a-zA-Z0-9][-._a-zA-Z0-9]{0,252}$/.test(object.alias)) problems.push(`objects alias "${object.alias}" must be a plain file name`);
        if (object.version !== undefined && !/^[0-9a-f]{32}$/i.test(object.version)) problems.push(`objects "${object.name}" version "${object.version}" must be a 32-character Key Vault version id`);
        problems.push(...choiceProblems(`objects "${object.name}" type`, object.type, KeyVaultObjectType));
        const file = object.alias ?? object.name;
        if (fileNames.has(file)) problems.push(`objects file name "${file}" is used twice; give one an alias`);
        fileNames.add(file);
    }
    for (const synced of args.syncedSecrets ?? []) {
        if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(synced.secretName)) problems.push(`syncedSecrets secretName "${synced.secretName}" must be a lowercase RFC 1123 subdomain`);
        if (synced.data.length === 0) problems.push(`syncedSecrets "${synced.secretName}" must map at least one object`);
        for (const item of synced.data) {
            if (!fileNames.has(item.objectName)) {
                problems.push(`syncedSecrets "${synced.secretName}" refers to object "${item.objectName}", which is not in objects (by alias or name): ${[...fileNames].join(", ")}`);
            }
        }
        problems.push(...choiceProblems(`syncedSecrets "${synced.secretName}" type`, synced.type, SyncedSecretType));
        if (synced.type === "kubernetes.io/tls") {
            const keys = synced.data.map((d) => d.key);
            if (!keys.includes("tls.crt") || !keys.includes("tls.key")) problems.push(`syncedSecrets "${synced.secretName}" of type kubernetes.io/tls needs the keys tls.crt and tls.key`);
        }
    }
    return problems;
}

/**
 * A SecretProviderClass (`secrets-store.csi.x-k8s.io/v1`) that mounts Key Vault objects into pods with
 * the workload identity's token, and optionally syncs them into Kubernetes Secrets. Pods use it through
 * `withKeyVaultSecrets`. Pass the cluster's Kubernetes provider in `opts.providers`.
 */
export class KeyVaultSecrets extends pulumi.ComponentResource {
    public readonly secretProviderClassName: pulumi.Output<string>;

    constructor(name: string, args: KeyVaultSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:KeyVaultSecrets", name, args, opts);
        const problems = validateKeyVaultSecretsArgs(name, args);
        if (problems.length > 0) throw new pulumi.ResourceError(`KeyVaultSecrets ${name}: ${problems.join("; ")}`, this);
        buildKeyVaultSecrets(name, args, this, opts?.dependsOn);
        this.secretProviderClassName = pulumi.output(args.secretProviderClassName ?? name);
        this.registerOutputs({ secretProviderClassName: this.secretProviderClassName });
    }
}

export function buildKeyVaultSecrets(name: string, args: KeyVaultSecretsArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (CRDs installed, namespace created): pass it on.
    const secretProviderClass = new k8s.apiextensions.CustomResource(
        `${name}-spc`,
        {
            apiVersion: "secrets-store.csi.x-k8s.io/v1",
            kind: "SecretProviderClass",
            metadata: { name: args.secretProviderClassName ?? name, namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: {
                provider: "azure",
                parameters: {
                    // Workload identity: the driver exchanges the pod's ServiceAccount token for an Entra
                    // token of this client id. aad-pod-identity (seed 003) is archived; the VM identity would
                    // let every pod on the node read the vault.
                    usePodIdentity: "false",
                    useVMManagedIdentity: "false",
                    clientID: args.clientId,
                    keyvaultName: args.vaultName,
                    tenantId: args.tenantId,
                    objects: keyVaultObjectsParameter(args.objects),
                },
                secretObjects: (args.syncedSecrets ?? []).map((s) => ({
                    secretName: s.secretName,
                    type: s.type ?? "Opaque",
                    data: s.data.map((d) => ({ objectName: d.objectName, key: d.key })),
                })),
            },
        },
        { parent, dependsOn },
    );
    return { secretProviderClass };
}

/** An environment variable read from a Secret the driver syncs. */
export interface KeyVaultEnvArgs {
    /** Variable name. */
    name: string;
    /** Synced Secret name (a `syncedSecrets[].secretName`). */
    secretName: string;
    /** Key in that Secret. */
    key: string;
}

export interface WithKeyVaultSecretsOptions {
    secretProviderClassName: pulumi.Input<string>;
    /** Volume name. @default "secrets-store" */
    volumeName?: string;
    /** Where the objects appear in the containers. @default "/mnt/secrets-store" */
    mountPath?: string;
    /** Containers that get the mount and env vars. @default - every container */
    containers?: string[];
    /** Env vars from synced Secrets. @default [] */
    env?: KeyVaultEnvArgs[];
}

/** Minimal pod spec shape the helper works on (a plain object, as written in a Deployment). */
export interface PodSpecWithContainers {
    containers: Array<{ name: string; env?: unknown[]; volumeMounts?: unknown[]; [key: string]: unknown }>;
    volumes?: unknown[];
    [key: string]: unknown;
}

/** The read-only CSI volume for a SecretProviderClass. */
export function secretsStoreVolume(volumeName: string, secretProviderClassName: pulumi.Input<string>): k8s.types.input.core.v1.Volume {
    return { name: volumeName, csi: { driver: secretsStoreDriver, readOnly: true, volumeAttributes: { secretProviderClass: secretProviderClassName } } };
}

/**
 * Returns the pod spec with the Key Vault CSI volume, a read-only mount in the chosen containers, and
 * env vars from the synced Secrets. The volume must be mounted for the driver to create those Secrets,
 * which is why env and mount come together.
 */
export function withKeyVaultSecrets<T extends PodSpecWithContainers>(spec: T, options: WithKeyVaultSecretsOptions): T {
    const volumeName = options.volumeName ?? "secrets-store";
    const mountPath = options.mountPath ?? "/mnt/secrets-store";
    const wanted = options.containers;
    const unknown = (wanted ?? []).filter((n) => !spec.containers.some((c) => c.name === n));
    if (unknown.length > 0) throw new Error(`withKeyVaultSecrets: no container named ${unknown.join(", ")} in the pod spec`);
    const env = (options.env ?? []).map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.key } } }));
    return {
        ...spec,
        volumes: [...(spec.volumes ?? []), secretsStoreVolume(volumeName, options.secretProviderClassName)],
        containers: spec.containers.map((c) =>
            wanted && !wanted.includes(c.name)
                ? c
                : { ...c, volumeMounts: [...(c.volumeMounts ?? []), { name: volumeName, mountPath, readOnly: true }], env: [...(c.env ?? []), ...env] },
        ),
    };
}
