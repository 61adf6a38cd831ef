// What the up of the Kubernetes layer (up.ts) concludes from the engine's event logs and the objects read
// back from the API servers: pure functions, so the verdicts are tested without an engine (test/e2eKubeUp.test.ts).

/**
 * A refresh's verdict from its event log: the URNs whose state it changed (any step other than "same"
 * or "refresh" on their outputs event, or a non-empty diff), split into the stack's own resources
 * (drift: a perpetual diff on the next up) and the objects it only reads (`get`, e.g. the platform's CRDs,
 * which their owner and the API server keep changing).
 */
export function refreshChanges(eventLogText: string, readUrns: Set<string>): { drifted: string[]; readChanged: string[] } {
    const changed = new Set<string>();
    for (const line of eventLogText.split("\n")) {
        if (!line.trim()) continue;
        const meta = JSON.parse(line).resOutputsEvent?.metadata as { urn: string; op: string; diffs?: string[] } | undefined;
        if (meta && (!["same", "refresh", "read"].includes(meta.op) || (meta.diffs ?? []).length > 0)) changed.add(meta.urn);
    }
    const urns = [...changed].sort();
    return { drifted: urns.filter((u) => !readUrns.has(u)), readChanged: urns.filter((u) => readUrns.has(u)) };
}

/** Every op the engine reported per Kubernetes object's URN, from an event log's text (a replace shows as several). */
export function kubernetesOpsByUrn(eventLogText: string): Map<string, Set<string>> {
    const ops = new Map<string, Set<string>>();
    for (const line of eventLogText.split("\n")) {
        if (!line.trim()) continue;
        const meta = JSON.parse(line).resourcePreEvent?.metadata as { urn: string; type: string; op: string } | undefined;
        if (meta?.type.startsWith("kubernetes:")) ops.set(meta.urn, (ops.get(meta.urn) ?? new Set()).add(meta.op));
    }
    return ops;
}

/** Keys of the objects whose content (not metadata or status) carries `port` as a number or a word. */
export function objectsCarryingPort(port: number, objects: Record<string, Record<string, unknown>>): string[] {
    const pattern = new RegExp(`\\b${port}\\b`);
    return Object.entries(objects)
        .filter(([, o]) => pattern.test(JSON.stringify({ ...o, metadata: undefined, status: undefined })))
        .map(([key]) => key)
        .sort();
}

export interface PortChangeEvidence {
    /** Ops per Kubernetes URN in the up after the change. */
    ops: Map<string, Set<string>>;
    /** uid per object key before and after the up. */
    uidsBefore: Record<string, string>;
    uidsAfter: Record<string, string>;
    /** Objects the plan renders with the old port: each must carry the new one afterwards. */
    expectedWithNewPort: string[];
    withNewPort: string[];
    withOldPort: string[];
}

export interface PortChangeVerdict {
    updateInPlace: boolean;
    updated: string[];
    /** URNs with any op other than same, update or read (a replace, create or delete), with their ops. */
    notInPlace: string[];
    /** Objects deleted and created again (a new uid), which an in-place update never does. */
    uidsChanged: string[];
    problems: string[];
}

/** An in-place update: objects updated, none replaced, created or deleted, same uids, the new port everywhere the old one was. */
export function portChangeVerdict(e: PortChangeEvidence): PortChangeVerdict {
    const entries = [...e.ops];
    const updated = entries.filter(([, ops]) => ops.has("update")).map(([urn]) => urn);
    const notInPlace = entries.filter(([, ops]) => [...ops].some((op) => !["same", "update", "read"].includes(op))).map(([urn, ops]) => `${urn} (${[...ops].join(", ")})`);
    const uidsChanged = Object.keys(e.uidsBefore).filter((key) => e.uidsAfter[key] !== e.uidsBefore[key]);
    const problems: string[] = [];
    if (updated.length === 0) problems.push("no Kubernetes object was updated");
    if (notInPlace.length) problems.push(`not in place: ${notInPlace.join(", ")}`);
    if (uidsChanged.length) problems.push(`deleted and created again (new uid): ${uidsChanged.join(", ")}`);
    if (e.withOldPort.length) problems.push(`still with the old port: ${e.withOldPort.join(", ")}`);
    const missing = e.expectedWithNewPort.filter((key) => !e.withNewPort.includes(key));
    if (missing.length) problems.push(`without the new port: ${missing.join(", ")}`);
    return { updateInPlace: problems.length === 0, updated, notInPlace, uidsChanged, problems };
}
