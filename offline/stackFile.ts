import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, parseDocument, type Document } from "yaml";

/** The config of one stack file, split into what trustmesh reads and what providers read. */
export interface StackFile {
    stack: string;
    path: string;
    /** Every key, namespaced (`trustmesh:gcp`, `gcp:project`), as Pulumi's runtime config holds them: JSON for objects. */
    config: Record<string, string>;
    /** Keys whose value was (or contained) a `secure:` value. */
    secretKeys: string[];
    /** Keys under `trustmesh:`, without the namespace, as plain values. */
    trustmesh: Record<string, unknown>;
}

/** A stack file that cannot be read or parsed. */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

export const defaultStacksDir = path.resolve(__dirname, "..", "stacks");

export function stackFilePath(stack: string, stacksDir = defaultStacksDir): string {
    return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/**
 * Reads `Pulumi.<stack>.yaml`. A `secure:` value cannot be decrypted offline, so it is replaced by a
 * deterministic placeholder and its key is marked secret, as Pulumi marks it.
 */
export function readStackFile(stack: string, stacksDir = defaultStacksDir): StackFile {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new StackFileError(`stack name "${stack}" may contain only letters, digits, '_', '.' and '-'`);
    }
    const file = stackFilePath(stack, stacksDir);
    if (!existsSync(file)) {
        throw new StackFileError(`no stack file for stack "${stack}": ${file} does not exist`);
    }
    return parseStackFile(stack, readFileSync(file, "utf8"), file);
}

export function parseStackFile(stack: string, text: string, file: string): StackFile {
    const doc: Document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
        const first = doc.errors.map((e) => e.message).join("\n");
        throw new StackFileError(`${file} is not valid YAML:\n${first}`);
    }
    const root = doc.contents;
    if (root !== null && !isMap(root)) {
        throw new StackFileError(`${file}: expected a mapping with a "config:" key at the top`);
    }
    const configNode = root ? doc.get("config", true) : undefined;
    if (configNode !== undefined && configNode !== null && !isMap(configNode) && !(isScalar(configNode) && configNode.value === null)) {
        throw new StackFileError(`${file}: "config:" must be a mapping of keys to values`);
    }
    const raw = (doc.toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const trustmesh: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
        const fullKey = key.includes(":") ? key : `trustmesh:${key}`;
        let hadSecret = false;
        const plain = replaceSecure(value, fullKey, () => (hadSecret = true));
        if (hadSecret) secretKeys.push(fullKey);
        config[fullKey] = typeof plain === "string" ? plain : JSON.stringify(plain);
        if (fullKey.startsWith("trustmesh:")) trustmesh[fullKey.slice("trustmesh:".length)] = plain;
    }
    return { stack, path: file, config, secretKeys, trustmesh };
}

function replaceSecure(value: unknown, keyPath: string, onSecret: () => void): unknown {
    if (Array.isArray(value)) {
        return value.map((item, index) => replaceSecure(item, `${keyPath}[${index}]`, onSecret));
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 1 && entries[0]![0] === "secure") {
            onSecret();
            return offlineSecretPlaceholder(keyPath);
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, replaceSecure(v, `${keyPath}.${k}`, onSecret)]));
    }
    return value;
}

/** What a `secure:` value becomes offline: stable per key, obviously not a real secret. */
export function offlineSecretPlaceholder(keyPath: string): string {
    return `offline-secret-${createHash("sha256").update(keyPath).digest("hex").slice(0, 12)}`;
}
