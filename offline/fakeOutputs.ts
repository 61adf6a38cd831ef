import { createHash } from "node:crypto";
import type { MockCallArgs, MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime";

/**
 * Fake but plausible provider outputs for the offline engine. Each cloud area registers the outputs
 * of the resource types it uses (ids, endpoints, OIDC issuer URLs, client ids, ...); a type with no
 * entry echoes its inputs, which is what a provider does for most Kubernetes objects.
 */
export type OutputFaker = (args: MockResourceArgs) => Record<string, unknown>;

/** Answers an invoke (data-source lookup). */
export type CallFaker = (args: MockCallArgs) => Record<string, unknown>;

const outputFakers = new Map<string, OutputFaker>();
const callFakers = new Map<string, CallFaker>();

/**
 * Registers fake outputs for a resource type token, e.g. `gcp:container/cluster:Cluster`. Returns a
 * function that restores what was registered before (for tests that override a faker).
 */
export function fakeOutputs(type: string, faker: OutputFaker): () => void {
    const previous = outputFakers.get(type);
    outputFakers.set(type, faker);
    return () => {
        if (previous) outputFakers.set(type, previous);
        else outputFakers.delete(type);
    };
}

/** True when a faker makes up outputs for this resource type (it does not only echo its inputs). */
export function hasFakeOutputs(type: string): boolean {
    return outputFakers.has(type);
}

/** Registers a fake answer for an invoke token, e.g. `azure-native:authorization:getClientConfig`. */
export function fakeCall(token: string, faker: CallFaker): void {
    callFakers.set(token, faker);
}

/** A stable hex string derived from the given parts: same inputs, same fake value, every run. */
export function stableHex(length: number, ...parts: string[]): string {
    return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, length);
}

/** A stable GUID derived from the given parts. */
export function stableGuid(...parts: string[]): string {
    const h = stableHex(32, ...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable address in 203.0.113.0/24 (TEST-NET-3), so a fake IP can never be mistaken for a real one. */
export function stableTestNetIp(...parts: string[]): string {
    const n = parseInt(stableHex(4, ...parts), 16) % 254;
    return `203.0.113.${n + 1}`;
}

export async function newFakeResource(args: MockResourceArgs): Promise<MockResourceResult> {
    // A component's outputs come from registerOutputs, never from the engine: echoing its args back
    // would only send them through the SDK again.
    if (args.custom === false) return { id: undefined, state: {} };
    const faker = outputFakers.get(args.type);
    const extra = faker ? await faker(args) : {};
    // The mock monitor passes the import id, "" when not importing: "" would make every id unknown.
    // A faker may return an `id` shaped like the provider's (an ARM id, a GCP self link).
    const fakeId = typeof extra.id === "string" && extra.id ? extra.id : undefined;
    const id = args.id || fakeId || `${args.name}-${stableHex(8, args.type, args.name)}`;
    return { id, state: { ...args.inputs, ...extra } };
}

export function fakeCallResult(args: MockCallArgs): Record<string, unknown> {
    const faker = callFakers.get(args.token);
    if (!faker) {
        // A lookup nobody declared is a program reaching for live cloud state: fail loudly offline.
        throw new Error(`offline engine: no fake answer for invoke "${args.token}"; register one with fakeCall()`);
    }
    return faker(args);
}
