// Every stack previewed by the real CLI with the policy pack, and compared with the offline plan: the
// same resources (URN, type, parent, provider), and on the deliberately insecure fixture stack the same
// policy findings.
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOffline } from "../../offline/engine";
import { planStack, policySubjects } from "../../offline/plan";
import { packConfigDir } from "../../offline/packConfig";
import { runPolicies } from "../../offline/policyRunner";
import { allPolicies } from "../../policy/registry";
import { isStackPolicy } from "../../policy/types";
import { insecureProgram } from "../../test/fixtures/insecure/program";
import { repoRoot } from "../cache";
import { readEventLog, type EngineResource, type EventLog, type PolicyFinding } from "../events";
import { createStack, type E2eWorkspace } from "../workspace";

export interface StackReport {
    stack: string;
    previewExitCode: number;
    engineResources: number;
    offlineResources: number;
    onlyInEngine: string[];
    onlyOffline: string[];
    /** Same URN, different type, parent or provider. */
    differing: { urn: string; field: string; engine: unknown; offline: unknown }[];
    defaultProviders: string[];
    mandatoryViolations: number;
    advisoryViolations: number;
    /**
     * Findings (policy, URN) of the CLI-run pack and of the offline plan. Not required to be equal on a
     * first preview: values that are outputs of resources not yet created are unknown, so the pack cannot
     * run some policies (`unknownAtPreviewByPolicy`, reported by the pack as advisory "can't run policy"),
     * and the engine gives stack policies no properties of the objects whose Kubernetes provider is not
     * configured yet (they judge those in `up`). The offline plan judges all of them with the fakes' values.
     */
    policyFindings: { engine: number; offline: number; unknownAtPreviewByPolicy: Record<string, number>; offlineOnlyByPolicy: Record<string, number> };
    errors: string[];
}

export const policyPackDir = path.join(repoRoot, "policy");

/** The CLI flags that run the pack with an environment's pack config. */
export function policyArgs(environment: string): string[] {
    return ["--policy-pack", policyPackDir, "--policy-pack-config", path.join(packConfigDir, `${environment}.json`)];
}

interface Comparable {
    urn: string;
    type: string;
    parent?: string;
    provider?: string;
}

export function compareResources(engine: Comparable[], offline: Comparable[]) {
    const offlineByUrn = new Map(offline.map((r) => [r.urn, r]));
    const engineByUrn = new Map(engine.map((r) => [r.urn, r]));
    const differing: StackReport["differing"] = [];
    for (const r of engine) {
        const o = offlineByUrn.get(r.urn);
        if (!o) continue;
        for (const field of ["type", "parent", "provider"] as const) {
            if ((r[field] ?? null) !== (o[field] ?? null)) differing.push({ urn: r.urn, field, engine: r[field] ?? null, offline: o[field] ?? null });
        }
    }
    return {
        onlyInEngine: engine.filter((r) => !offlineByUrn.has(r.urn)).map((r) => r.urn),
        onlyOffline: offline.filter((r) => !engineByUrn.has(r.urn)).map((r) => r.urn),
        differing,
    };
}

export async function previewStack(ws: E2eWorkspace, stack: string, log: (line: string) => void): Promise<{ report: StackReport; previewMs: number; offlinePlanMs: number }> {
    await createStack(ws, stack);
    const offlineStarted = performance.now();
    const plan = await planStack({ stack });
    const offlinePlanMs = Math.round(performance.now() - offlineStarted);
    const eventLog = path.join(ws.root, `preview-${stack}.events.jsonl`);
    log(`preview ${stack}: pulumi preview --policy-pack policy --policy-pack-config policy/config/${plan.config.environment}.json`);
    const result = await ws.pulumi(["preview", "--stack", stack, "--event-log", eventLog, ...policyArgs(plan.config.environment)]);
    writeFileSync(path.join(ws.root, `preview-${stack}.out.txt`), `${result.stdout}\n${result.stderr}`);
    const events = readEventLog(eventLog);
    const { onlyInEngine, onlyOffline, differing } = compareResources(events.resources, plan.run.resources);
    const report: StackReport = {
        stack,
        previewExitCode: result.code,
        engineResources: events.resources.length,
        offlineResources: plan.run.resources.length,
        onlyInEngine,
        onlyOffline,
        differing,
        defaultProviders: events.defaultProviders,
        mandatoryViolations: events.policies.filter((p) => p.enforcementLevel === "mandatory").length,
        advisoryViolations: events.policies.filter((p) => p.enforcementLevel === "advisory" && !p.unknownAtPreview).length,
        policyFindings: findingCounts(events.policies, plan.violations),
        errors: result.code === 0 ? [] : [...events.errors, result.stderr.trim().split("\n").slice(-15).join("\n")],
    };
    log(`preview ${stack}: exit ${result.code} in ${(result.ms / 1000).toFixed(1)} s, ${report.engineResources} resources (offline ${report.offlineResources}), ${report.mandatoryViolations} mandatory / ${report.advisoryViolations} advisory violations, ${Object.values(report.policyFindings.unknownAtPreviewByPolicy).reduce((a, b) => a + b, 0)} policy runs skipped on values unknown at preview (offline: ${report.policyFindings.offline} findings)`);
    return { report, previewMs: result.ms, offlinePlanMs };
}

const findingKey = (f: { policy: string; urn: string }) => `${f.policy} ${f.urn}`;

function findingCounts(engine: PolicyFinding[], offline: { policy: string; urn: string }[]): StackReport["policyFindings"] {
    const byPolicy = (findings: { policy: string }[]) => {
        const counts: Record<string, number> = {};
        for (const f of findings) counts[f.policy] = (counts[f.policy] ?? 0) + 1;
        return counts;
    };
    const engineKeys = new Set(engine.filter((f) => !f.unknownAtPreview).map(findingKey));
    return {
        engine: engineKeys.size,
        offline: new Set(offline.map(findingKey)).size,
        unknownAtPreviewByPolicy: byPolicy(engine.filter((f) => f.unknownAtPreview)),
        offlineOnlyByPolicy: byPolicy(offline.filter((f) => !engineKeys.has(findingKey(f)))),
    };
}

export interface PolicyParity {
    stack: string;
    previewExitCode: number;
    engineFindings: number;
    offlineFindings: number;
    engineOnly: { policy: string; urn: string }[];
    offlineOnly: { policy: string; urn: string }[];
    /**
     * Offline findings of policies the CLI-run pack did not run on that resource: absent from the engine's
     * own summary (neither passed nor failed), because the policy called notApplicable there (the secrets
     * checks: the CLI unwraps secrets before policies see them, policy/secrets.ts).
     */
    notApplicableInEngine: { policy: string; urn: string }[];
    /** Policies the pack could not run on the fixture because a value was unknown at preview: must be none, or parity is partial. */
    unknownAtPreview: { policy: string; urn: string }[];
}

type Finding = { policy: string; urn: string };

/**
 * The CLI-run pack's findings against the offline plan's, pair for pair. An offline finding the engine lacks
 * counts as a difference only when the engine ran that policy there (its summary lists it as passed or
 * failed); otherwise the policy was not applicable under the CLI, and it is listed as such.
 */
export function compareFindings(engine: Finding[], offline: Finding[], events: Pick<EventLog, "analyzed" | "stackAnalyzed">, stackPolicies = new Set(allPolicies.filter(isStackPolicy).map((p) => p.name))) {
    const ranInEngine = (f: Finding) => (stackPolicies.has(f.policy) ? events.stackAnalyzed : (events.analyzed[f.urn] ?? [])).includes(f.policy);
    const engineKeys = new Set(engine.map(findingKey));
    const offlineKeys = new Set(offline.map(findingKey));
    const split = (k: string): Finding => ({ policy: k.split(" ")[0]!, urn: k.split(" ").slice(1).join(" ") });
    const missingInEngine = [...offlineKeys].filter((k) => !engineKeys.has(k)).sort().map(split);
    return {
        engineFindings: engineKeys.size,
        offlineFindings: offlineKeys.size,
        engineOnly: [...engineKeys].filter((k) => !offlineKeys.has(k)).sort().map(split),
        offlineOnly: missingInEngine.filter(ranInEngine),
        notApplicableInEngine: missingInEngine.filter((f) => !ranInEngine(f)),
    };
}

/**
 * The deliberately insecure fixture (test/fixtures/insecure) as a project of its own, previewed with the
 * prod pack config: the pack must find what the offline plan finds, pair for pair.
 */
export async function insecureParity(ws: E2eWorkspace, log: (line: string) => void): Promise<PolicyParity> {
    const dir = path.join(ws.root, "insecure");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: trustmesh\nruntime:\n  name: nodejs\n  options:\n    typescript: true\ndescription: trustmesh e2e - the deliberately insecure fixture stack (never deployed)\n");
    copyFileSync(path.join(repoRoot, "test", "fixtures", "insecure", "program.ts"), path.join(dir, "program.ts"));
    writeFileSync(path.join(dir, "index.ts"), 'import { insecureProgram } from "./program";\n\nexport = insecureProgram();\n');
    copyFileSync(path.join(repoRoot, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "trustmesh-e2e-insecure", private: true, main: "index.ts" }));
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const init = await ws.pulumi(["stack", "init", "insecure", "--secrets-provider", "passphrase"], { cwd: dir });
    if (init.code !== 0) throw new Error(`pulumi stack init insecure failed:\n${init.stderr}`);
    const eventLog = path.join(ws.root, "preview-insecure.events.jsonl");
    const result = await ws.pulumi(["preview", "--stack", "insecure", "--event-log", eventLog, ...policyArgs("prod")], { cwd: dir });
    writeFileSync(path.join(ws.root, "preview-insecure.out.txt"), `${result.stdout}\n${result.stderr}`);
    const events = readEventLog(eventLog);
    const engine = events.policies.filter((p) => !p.unknownAtPreview).map((p) => ({ policy: p.policy, urn: p.urn }));
    const run = await runOffline(insecureProgram, { stack: "insecure" });
    const offline = runPolicies(policySubjects(run.resources), { config: { environment: "prod" } }).map((v) => ({ policy: v.policy, urn: v.urn }));
    const unknownAtPreview = events.policies.filter((p) => p.unknownAtPreview).map((p) => ({ policy: p.policy, urn: p.urn }));
    const parity: PolicyParity = { stack: "insecure", previewExitCode: result.code, ...compareFindings(engine, offline, events), unknownAtPreview };
    log(`policy parity (insecure fixture): preview exit ${result.code}, ${parity.engineFindings} findings from the CLI-run pack, ${parity.offlineFindings} offline; ${parity.engineOnly.length} only in the engine, ${parity.offlineOnly.length} only offline, ${parity.notApplicableInEngine.length} not applicable under the CLI (${parity.notApplicableInEngine.map((f) => f.policy).join(", ") || "none"})`);
    return parity;
}

export type { EngineResource };
