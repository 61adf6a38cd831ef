import * as pulumi from "@pulumi/pulumi";
import { isUnknown as isSdkUnknown } from "@pulumi/pulumi/output";

/** How a secret value is written anywhere a person or a file can see it. */
export const SECRET_PLACEHOLDER = "[secret]";

const sigKey = pulumi.runtime.specialSigKey;
const secretSig = pulumi.runtime.specialSecretSig;

export function isSecretWrapper(value: unknown): value is { value: unknown } {
    return value !== null && typeof value === "object" && (value as Record<string, unknown>)[sigKey] === secretSig;
}

function isUnknown(value: unknown): boolean {
    return value === pulumi.runtime.unknownValue || isSdkUnknown(value) || (pulumi.Output.isInstance(value) as boolean);
}

/**
 * Replaces every secret value with "[secret]"; unknown values become "[unknown]". A secret map or
 * list keeps its shape (a Secret's `stringData` keeps its key names, each value "[secret]"), so a
 * written manifest still has the structure an API server accepts.
 */
export function redactSecrets(value: unknown): unknown {
    if (isSecretWrapper(value)) return redactShape(unwrapSecrets(value.value));
    if (isUnknown(value)) return "[unknown]";
    return mapChanged(value, redactSecrets);
}

function redactShape(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redactShape);
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactShape(v)]));
    return SECRET_PLACEHOLDER;
}

/** The same value with secret wrappers removed: for code that must see the cleartext (policies, schemas). */
export function unwrapSecrets(value: unknown): unknown {
    if (isSecretWrapper(value)) return unwrapSecrets(value.value);
    if (isUnknown(value)) return undefined;
    return mapChanged(value, unwrapSecrets);
}

/**
 * A list's items or a plain object's values through `f`, copied only when `f` changed one: a subtree
 * without secrets or unknowns is returned as it is, so the views the engine records of every input
 * (redacted, cleartext) share it instead of each holding a copy. Callers treat the result as read-only.
 */
function mapChanged(value: unknown, f: (v: unknown) => unknown): unknown {
    if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
            const mapped = f(value[i]);
            if (mapped !== value[i] && !out) out = value.slice(0, i);
            if (out) out.push(mapped);
        }
        return out ?? value;
    }
    if (isPlainObject(value)) {
        let out: Record<string, unknown> | undefined;
        const keys = Object.keys(value);
        for (let i = 0; i < keys.length; i++) {
            const key = keys[i]!;
            const mapped = f(value[key]);
            if (mapped !== value[key] && !out) {
                out = {};
                for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!];
            }
            if (out) out[key] = mapped;
        }
        return out ?? value;
    }
    return value;
}

/** Dotted paths of every secret in a value, e.g. `data.tls.key`, `stringData.password`, `args[0]`. */
export function secretPaths(value: unknown, prefix = ""): string[] {
    if (isSecretWrapper(value)) return [prefix || "."];
    if (Array.isArray(value)) return value.flatMap((item, i) => secretPaths(item, `${prefix}[${i}]`));
    if (isPlainObject(value)) {
        return Object.entries(value).flatMap(([k, v]) => secretPaths(v, prefix ? `${prefix}.${k}` : k));
    }
    return [];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}
