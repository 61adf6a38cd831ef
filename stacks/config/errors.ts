import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { configNamespace } from "./schema";

/** One problem in a stack's config, with the key path it belongs to. */
export interface ConfigProblem {
    /** Full key, e.g. `trustmesh:gcp.network.podsCidr`. */
    key: string;
    message: string;
}

/**
 * A stack config that does not match the schema. It carries every problem at once so a user fixes
 * the file in one pass; its message lists them one per line.
 */
export class ConfigError extends Error {
    constructor(
        readonly problems: ConfigProblem[],
        readonly source?: string,
    ) {
        const where = source ? ` in ${source}` : "";
        const lines = problems.map((p) => `  - ${p.key}: ${p.message}`);
        super(`invalid trustmesh config${where} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
        this.name = "ConfigError";
    }
}

export function formatKey(path: readonly PropertyKey[]): string {
    const [head, ...rest] = path;
    let key = `${configNamespace}:${String(head ?? "")}`;
    for (const part of rest) {
        key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
    }
    return key;
}

/** Turns zod issues into problems that name the key, what was wrong and what is allowed. */
export function problemsFromZod(schema: z.ZodType, error: z.ZodError): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const issue of error.issues) {
        if (issue.code === "unrecognized_keys") {
            const allowed = objectKeysAt(schema, issue.path);
            for (const key of issue.keys) {
                const suggestion = allowed.length > 0 ? closest(key, allowed) : undefined;
                const hint = suggestion && distance(key, suggestion) <= 3 ? ` (did you mean "${suggestion}"?)` : "";
                problems.push({
                    key: formatKey([...issue.path, key]),
                    message: `unknown key${hint}; allowed keys here: ${allowed.join(", ")}`,
                });
            }
            continue;
        }
        problems.push({ key: formatKey(issue.path), message: describeIssue(issue) });
    }
    return problems;
}

function describeIssue(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.input === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${describeValue(issue.input)}`;
        case "invalid_value":
            return `got ${describeValue(issue.input)}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_format":
        case "custom":
        case "too_small":
        case "too_big":
        default: {
            const got = "input" in issue && issue.input !== undefined && typeof issue.input !== "object" ? ` (got ${describeValue(issue.input)})` : "";
            return `${issue.message}${got}`;
        }
    }
}

function describeValue(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "object") return "an object";
    return `${typeof value} ${JSON.stringify(value)}`;
}

/** The keys an object schema accepts at a path, looking through optional, default, pipe and array wrappers. */
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let current: z.ZodType | undefined = unwrap(schema);
    for (const part of path) {
        if (!current) return [];
        if (current instanceof z.ZodArray) {
            current = unwrap(current.element as z.ZodType);
            continue;
        }
        if (current instanceof z.ZodRecord) {
            current = unwrap(current.valueType as z.ZodType);
            continue;
        }
        if (current instanceof z.ZodObject) {
            const next: z.ZodType | undefined = (current.shape as Record<string, z.ZodType>)[String(part)];
            current = next ? unwrap(next) : undefined;
            continue;
        }
        return [];
    }
    return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
    let current: z.ZodType = schema;
    for (;;) {
        if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
            current = current.unwrap() as z.ZodType;
        } else if (current instanceof z.ZodPipe) {
            current = current.in as z.ZodType;
        } else {
            return current;
        }
    }
}
