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
    return inputViews(value).redacted;
}

function redactShape(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redactShape);
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactShape(v)]));
    return SECRET_PLACEHOLDER;
}

/** The same value with secret wrappers removed (unknowns undefined): for code that must see the cleartext (policies, schemas). */
export function unwrapSecrets(value: unknown): unknown {
    return inputViews(value).clear;
}

/** The three views the engine records of a resource's inputs. */
export interface InputViews {
    /** Every secret "[secret]" (keeping a secret map's or list's shape), every unknown "[unknown]". */
    redacted: unknown;
    /** Secret wrappers removed, unknowns undefined. */
    clear: unknown;
    /** Dotted paths of the secrets. */
    secretPaths: string[];
}

/**
 * The redacted view, the cleartext view and the secret paths of a value in one walk: what the engine
 * records of every input of every resource (`redactSecrets`, `unwrapSecrets` and `secretPaths` each
 * take one of them). Paths are written out only for secrets, and a subtree with neither secrets nor
 * unknowns is shared by both views rather than copied: callers treat the views as read-only.
 */
export function inputViews(value: unknown): InputViews {
    const walker = new ViewWalker();
    const redacted = walker.walk(value);
    return { redacted, clear: walker.clear, secretPaths: walker.secretPaths };
}

class ViewWalker {
    readonly secretPaths: string[] = [];
    /** The cleartext view of the value `walk` last returned the redacted view of. */
    clear: unknown;
    private readonly path: (string | number)[] = [];

    walk(value: unknown): unknown {
        if (value === null || typeof value !== "object") {
            if (value === pulumi.runtime.unknownValue) return this.unknown();
            this.clear = value;
            return value;
        }
        if (isSecretWrapper(value)) {
            this.secretPaths.push(this.pathText());
            this.clear = unwrapSecrets(value.value);
            return redactShape(this.clear);
        }
        if (isUnknown(value)) return this.unknown();
        if (Array.isArray(value)) {
            let redacted: unknown[] | undefined;
            let clear: unknown[] | undefined;
            for (let i = 0; i < value.length; i++) {
                this.path.push(i);
                const r = this.walk(value[i]);
                const c = this.clear;
                this.path.pop();
                if (r !== value[i] && !redacted) redacted = value.slice(0, i);
                if (redacted) redacted.push(r);
                if (c !== value[i] && !clear) clear = value.slice(0, i);
                if (clear) clear.push(c);
            }
            this.clear = clear ?? value;
            return redacted ?? value;
        }
        if (!isPlainObject(value)) {
            this.clear = value;
            return value;
        }
        let redacted: Record<string, unknown> | undefined;
        let clear: Record<string, unknown> | undefined;
        const keys = Object.keys(value);
        for (let i = 0; i < keys.length; i++) {
            const key = keys[i]!;
            this.path.push(key);
            const r = this.walk(value[key]);
            const c = this.clear;
            this.path.pop();
            if (r !== value[key] && !redacted) redacted = copyKeys(value, keys, i);
            if (redacted) redacted[key] = r;
            if (c !== value[key] && !clear) clear = copyKeys(value, keys, i);
            if (clear) clear[key] = c;
        }
        this.clear = clear ?? value;
        return redacted ?? value;
    }

    private unknown(): string {
        this.clear = undefined;
        return "[unknown]";
    }

    /** The current path as `secretPaths` writes it (`a.b`, `list[0]`, `.` for the value itself). */
    private pathText(): string {
        let text = "";
        for (const part of this.path) text = typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part;
        return text || ".";
    }
}

/** The first `count` of `keys` of an object, copied into a new one. */
function copyKeys(value: Record<string, unknown>, keys: string[], count: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let j = 0; j < count; j++) out[keys[j]!] = value[keys[j]!];
    return out;
}

/** Dotted paths of every secret in a value, e.g. `data.tls.key`, `stringData.password`, `args[0]`; `.` for the value itself. */
export function secretPaths(value: unknown): string[] {
    return inputViews(value).secretPaths;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}
