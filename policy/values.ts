import type { TrustmeshPackConfig } from "./types";

/**
 * Reading resource inputs safely. Two kinds of "no value" must be told apart:
 * - a field that is absent: the provider (or Kubernetes) applies its default, which a policy judges;
 * - a field that is present but undefined: the offline engine's rendering of a value unknown during
 *   preview (an Output of another resource). Under the Pulumi CLI, reading such a value throws
 *   `UnknownValueError` and the engine reports "can't run during preview" as advisory.
 * A policy never reports a violation on an unknown value.
 */
export function isUnknownField(object: unknown, key: string): boolean {
    return !!object && typeof object === "object" && Object.prototype.hasOwnProperty.call(object, key) && (object as Record<string, unknown>)[key] === undefined;
}

/** A field that is absent or null: what a policy judges as "not set". An unknown value is not missing. */
export function isMissingField(object: Record<string, unknown>, key: string): boolean {
    return object[key] === null || (object[key] === undefined && !isUnknownField(object, key));
}

/** An object field, or {} when absent or null. */
export function obj(value: unknown): Record<string, any> {
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, any>) : {};
}

/** An array field, or [] when absent or null; null items dropped. */
export function arr(value: unknown): any[] {
    return Array.isArray(value) ? value.filter((item) => item !== null && item !== undefined) : [];
}

/** The pack config with its defaults: the strictest environment when none is given. */
export function packConfig(getConfig: <T extends object>() => T): Required<Pick<TrustmeshPackConfig, "environment">> & TrustmeshPackConfig {
    let config: TrustmeshPackConfig = {};
    try {
        config = getConfig<TrustmeshPackConfig>() ?? {};
    } catch {
        config = {};
    }
    return { ...config, environment: config.environment ?? "prod" };
}

/** JSON schema of the pack config, for policies that read it (the Pulumi CLI validates it per policy). */
export const packConfigSchema = {
    properties: {
        environment: { type: "string" as const, enum: ["dev", "staging", "prod"], default: "prod" },
        allowedRegistries: { type: "array" as const, items: { type: "string" as const } },
    },
};

/** A CIDR that admits every address (`0.0.0.0/0`, `::/0`, or any `/0`). */
export function isOpenCidr(cidr: unknown): boolean {
    return typeof cidr === "string" && (/\/0$/.test(cidr.trim()) || cidr.trim() === "*" || cidr.trim() === "0.0.0.0");
}

/** Parses a Go duration as cert-manager writes it (`2160h`, `720h30m`, `90m`, `45s`) into seconds; undefined if unreadable. */
export function durationSeconds(value: unknown): number | undefined {
    if (typeof value !== "string" || value.trim() === "") return undefined;
    const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
    let total = 0;
    let consumed = 0;
    for (const match of value.trim().matchAll(re)) {
        const n = Number(match[1]);
        const unit = match[2]!;
        total += unit === "h" ? n * 3600 : unit === "m" ? n * 60 : unit === "s" ? n : 0;
        consumed += match[0].length;
    }
    return consumed === value.trim().length ? total : undefined;
}

/** Shallow-safe deep clone of plain data, for remediations that must not mutate the input. */
export function cloneData<T>(value: T): T {
    return JSON.parse(JSON.stringify(value ?? null)) as T;
}

/**
 * True when any field along a dotted path is unknown (present but undefined), e.g.
 * `isUnknownPath(props, "securityProfile.workloadIdentity.enabled")` is true when securityProfile as a
 * whole is an unknown Output. An absent or null step ends the walk: that is "missing", not unknown.
 */
export function isUnknownPath(root: unknown, path: string): boolean {
    let current: unknown = root;
    for (const key of path.split(".")) {
        if (isUnknownField(current, key)) return true;
        if (!current || typeof current !== "object") return false;
        current = (current as Record<string, unknown>)[key];
        if (current === null || current === undefined) return false;
    }
    return false;
}
