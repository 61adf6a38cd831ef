import type { ResourceValidationArgs } from "@pulumi/policy";
import { isKind } from "./kubernetes";
import type { TrustmeshResourcePolicy } from "./types";
import { obj } from "./values";

/**
 * Secrets (build part of seed 002): secret values must be Pulumi secrets, so they are encrypted in the
 * state and masked in every output.
 *
 * How secretness reaches a policy:
 * - Under the Pulumi CLI (`pulumi preview --policy-pack policy`), the analyzer hands validation
 *   policies plain values: `@pulumi/policy` deserializes resource inputs with secrets unwrapped and
 *   no marker left (only remediations get a secret-preserving proxy). A policy cannot tell a secret
 *   from a literal there, so these checks call `notApplicable` and say so; the offline plan is where
 *   they run.
 * - The offline runner (`offline/policyRunner.ts`) knows the secret paths the engine recorded
 *   (`secretPaths`, e.g. `data.password`, `properties.value`) and attaches them to the props under the
 *   non-enumerable symbol `secretPathsKey`; `secretPathsOf` reads them.
 * - `check` on plain YAML has no secretness at all: the checks are not applicable there.
 */
export const secretPathsKey = Symbol.for("trustmesh.secretPaths");

/** The secret paths of a resource's inputs, or undefined when the caller cannot know them. */
export function secretPathsOf(props: unknown): string[] | undefined {
    if (!props || typeof props !== "object") return undefined;
    const paths = (props as Record<symbol, unknown>)[secretPathsKey];
    return Array.isArray(paths) ? (paths as string[]) : undefined;
}

/** Whether the value at `path` is a secret: the path itself or any ancestor of it is a secret path. */
export function isSecretPath(paths: string[], path: string): boolean {
    return paths.some((p) => p === "." || p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

const notVisible = "secretness is not visible to policies here (the Pulumi CLI unwraps secrets before policies run; plain YAML has none); the offline plan checks it";

function requireSecretPaths(args: ResourceValidationArgs): string[] {
    const paths = secretPathsOf(args.props);
    if (!paths) args.notApplicable(notVisible);
    return paths as string[];
}

export const kubernetesSecretData: TrustmeshResourcePolicy = {
    name: "secrets-kubernetes-secret-data",
    domain: "secrets",
    severity: "critical",
    description: "Checks that every value of a Kubernetes Secret's data and stringData is a Pulumi secret, so it is encrypted in the state.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "core", "Secret")) return;
        const props = obj(args.props);
        if (Object.keys(obj(props.data)).length === 0 && Object.keys(obj(props.stringData)).length === 0) return;
        const paths = requireSecretPaths(args);
        for (const field of ["data", "stringData"]) {
            for (const [key, value] of Object.entries(obj(props[field]))) {
                if (value === undefined || value === null) continue;
                if (!isSecretPath(paths, `${field}.${key}`)) {
                    reportViolation(`${field}.${key} is not a Pulumi secret; wrap it with pulumi.secret() (or read it from secret config) so it is encrypted in the state.`);
                }
            }
        }
    },
};

export const keyVaultSecretValue: TrustmeshResourcePolicy = {
    name: "secrets-key-vault-secret-value",
    domain: "secrets",
    severity: "critical",
    description: "Checks that a Key Vault secret's value (properties.value) is a Pulumi secret.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== "azure-native:keyvault:Secret") return;
        const value = obj(obj(args.props).properties).value;
        if (value === undefined || value === null) return;
        const paths = requireSecretPaths(args);
        if (!isSecretPath(paths, "properties.value")) {
            reportViolation("properties.value is not a Pulumi secret; set it from `pulumi config set --secret` or wrap it with pulumi.secret().");
        }
    },
};

const credentialPattern = /(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|\.key$|\.p12$|\.jks$)/i;
/** Keys that name or point at a credential rather than hold one (`secretName`, `tokenFile`, `passwordRef`...). */
const referencePattern = /(name|names|ref|file|path|enabled|mount|audience|ttl|duration|expiry|expiration|rotation|provider|class|type)$/i;
const credentialKey = { test: (key: string) => credentialPattern.test(key) && !referencePattern.test(key) };

export const configMapCredentials: TrustmeshResourcePolicy = {
    name: "secrets-no-credentials-in-config-maps",
    domain: "secrets",
    severity: "high",
    description: "Checks that no ConfigMap carries a credential-looking key (password, token, private key...): credentials belong in Secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "core", "ConfigMap")) return;
        const props = obj(args.props);
        for (const field of ["data", "binaryData"]) {
            for (const [key, value] of Object.entries(obj(props[field]))) {
                if (typeof value === "string" && value !== "" && credentialKey.test(key)) {
                    reportViolation(`${field}.${key} looks like a credential; move it to a Secret (or Key Vault) and mount it from there.`);
                }
            }
        }
    },
};

export const helmValuesSecrets: TrustmeshResourcePolicy = {
    name: "secrets-helm-values",
    domain: "secrets",
    severity: "high",
    description: "Checks that credential-looking Helm release values (password, token, key...) are Pulumi secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!/^kubernetes:helm\.sh\/v\d+:Release$/.test(args.type)) return;
        const values = obj(obj(args.props).values);
        const found: string[] = [];
        const walk = (value: unknown, path: string, key: string) => {
            if (typeof value === "string" && value !== "" && credentialKey.test(key)) found.push(path);
            else if (value && typeof value === "object" && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, k);
        };
        for (const [k, v] of Object.entries(values)) walk(v, `values.${k}`, k);
        if (found.length === 0) return;
        const paths = requireSecretPaths(args);
        for (const path of found) {
            if (!isSecretPath(paths, path)) reportViolation(`${path} looks like a credential but is not a Pulumi secret; wrap it with pulumi.secret() or read it from a Secret.`);
        }
    },
};

export const secretsPolicies = [kubernetesSecretData, keyVaultSecretValue, configMapCredentials, helmValuesSecrets];
