// Reads the engine's event log (`pulumi preview|up --event-log <file>`): one JSON engine event per line.
import { existsSync, readFileSync } from "node:fs";

export interface EngineResource {
    urn: string;
    type: string;
    parent?: string;
    /** Provider URN without its id; undefined for an engine default provider, as the offline engine records it. */
    provider?: string;
    op: string;
}

export interface PolicyFinding {
    policy: string;
    urn: string;
    enforcementLevel: string;
    message: string;
    /**
     * Not a finding: the pack could not run the policy because a value it reads is unknown during preview
     * (`@pulumi/policy` then reports "can't run policy ... during preview" as an advisory violation).
     */
    unknownAtPreview: boolean;
}

const cannotRunDuringPreview = /^can't run policy '[^']+' from policy pack '[^']+' during preview/;

export interface EventLog {
    resources: EngineResource[];
    /** Providers the engine made itself (`pulumi:providers:<pkg>::default_*`), which a program never registers. */
    defaultProviders: string[];
    policies: PolicyFinding[];
    /**
     * Per resource URN, the resource policies the pack ran on it (its summary's passed and failed); a policy
     * missing there was not applicable to that resource (it called notApplicable).
     */
    analyzed: Record<string, string[]>;
    /** The stack policies the pack ran (the stack summary's passed and failed). */
    stackAnalyzed: string[];
    errors: string[];
    summary?: Record<string, number>;
}

const isDefaultProvider = (urn: string) => /::pulumi:providers:[^:]+::default(_|$)/.test(urn);

function providerUrn(reference: string | undefined): string | undefined {
    if (!reference) return undefined;
    const urn = reference.split("::").slice(0, -1).join("::");
    return isDefaultProvider(urn) ? undefined : urn;
}

/**
 * Steps that change something. Reads are not: an object a program reads (`Resource.get`, e.g. a
 * platform's CRD) is read again on every run, and the engine counts each as "read".
 */
export function changes(summary: Record<string, number> | undefined): number {
    return Object.entries(summary ?? {})
        .filter(([op]) => op !== "same" && op !== "read")
        .reduce((sum, [, n]) => sum + n, 0);
}

export function readEventLog(file: string): EventLog {
    const log: EventLog = { resources: [], defaultProviders: [], policies: [], analyzed: {}, stackAnalyzed: [], errors: [] };
    if (!existsSync(file)) return log;
    const seen = new Set<string>();
    for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const event = JSON.parse(line);
        const pre = event.resourcePreEvent?.metadata;
        if (pre && !seen.has(pre.urn)) {
            seen.add(pre.urn);
            const state = pre.new ?? pre.old ?? {};
            if (isDefaultProvider(pre.urn)) log.defaultProviders.push(pre.urn);
            else log.resources.push({ urn: pre.urn, type: pre.type, parent: state.parent || undefined, provider: providerUrn(state.provider ?? pre.provider), op: pre.op });
        }
        const policy = event.policyEvent;
        if (policy) {
            const message = String(policy.message);
            log.policies.push({ policy: policy.policyName, urn: policy.resourceUrn ?? "", enforcementLevel: policy.enforcementLevel, message, unknownAtPreview: cannotRunDuringPreview.test(message) });
        }
        const summary = event.policyAnalyzeSummaryEvent;
        if (summary) log.analyzed[summary.resourceUrn] = [...(log.analyzed[summary.resourceUrn] ?? []), ...(summary.passed ?? []), ...(summary.failed ?? [])];
        const stackSummary = event.policyAnalyzeStackSummaryEvent;
        if (stackSummary) log.stackAnalyzed.push(...(stackSummary.passed ?? []), ...(stackSummary.failed ?? []));
        const diagnostic = event.diagnosticEvent;
        if (diagnostic?.severity === "error") log.errors.push(String(diagnostic.message).trim());
        if (event.summaryEvent) log.summary = event.summaryEvent.resourceChanges;
    }
    log.resources.sort((a, b) => (a.urn < b.urn ? -1 : 1));
    return log;
}
