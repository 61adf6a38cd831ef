// `istioctl analyze` (offline: --use-kube=false) over what trustmesh renders and over the project's
// plain-manifest fixtures, next to the trustmesh pack. The binary is built by `npm run e2e:setup`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { checkCli } from "../offline/cli/check";
import { clusterOf } from "../offline/manifests";
import { planStack, writeManifests, type PlanResult } from "../offline/plan";
import { compareFindings, parseIstioctlJson, type FixtureComparison, type IstioctlMessage, type TrustmeshFinding } from "./istioctlCompare";

export interface IstioctlReport {
    version: string;
    stacks: { stack: string; cluster: string; messages: IstioctlMessage[] }[];
    fixtures: FixtureComparison[];
}

const repoRoot = path.resolve(__dirname, "..");
export const istioctlFixtures = path.join(repoRoot, "test", "fixtures", "istioctl");

/** Runs `istioctl analyze --use-kube=false --all-namespaces -o json` over files or folders. */
export function analyze(istioctl: string, inputs: string[], meshConfigFile?: string): IstioctlMessage[] {
    const args = ["analyze", "--use-kube=false", "--all-namespaces", "-o", "json", ...(meshConfigFile ? ["--meshConfigFile", meshConfigFile] : []), ...inputs];
    const run = spawnSync(istioctl, args, { encoding: "utf8", timeout: 5 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw new Error(`istioctl analyze could not run: ${run.error.message}`);
    // istioctl exits non-zero when it finds errors; the JSON on stdout is the answer either way.
    try {
        return parseIstioctlJson(run.stdout);
    } catch {
        throw new Error(`istioctl analyze ${inputs.join(" ")} exited ${run.status}: ${run.stderr.slice(0, 2000)}`);
    }
}

/**
 * The mesh config the stack's istiod release sets on a cluster, as istioctl reads it. istiod's own
 * address auto-allocation (`pilot.env.PILOT_ENABLE_IP_AUTOALLOCATE`) is not part of the mesh config;
 * the ServiceEntry analyzer looks for it in `defaultConfig.proxyMetadata`, so it is passed there.
 */
export function meshConfigOn(result: PlanResult, cluster: string): Record<string, any> | undefined {
    const byUrn = new Map(result.run.resources.map((r) => [r.urn, r]));
    const istiod = result.run.resources.find((r) => /^kubernetes:helm\.sh\/v\d+:Release$/.test(r.type) && r.inputs.chart === "istiod" && clusterOf(r, byUrn) === cluster);
    const values = istiod?.inputs.values as { meshConfig?: Record<string, any>; pilot?: { env?: Record<string, string> } } | undefined;
    if (!values?.meshConfig) return undefined;
    const autoAllocate = values.pilot?.env?.PILOT_ENABLE_IP_AUTOALLOCATE;
    if (autoAllocate === undefined) return values.meshConfig;
    const defaultConfig = values.meshConfig.defaultConfig ?? {};
    return { ...values.meshConfig, defaultConfig: { ...defaultConfig, proxyMetadata: { ...(defaultConfig.proxyMetadata ?? {}), PILOT_ENABLE_IP_AUTOALLOCATE: autoAllocate } } };
}

/** The version istioctl reports of itself, without its "client version:" label (e.g. `1.31-dev+eed52ebb66ad`). */
export function istioctlVersion(istioctl: string): string {
    const run = spawnSync(istioctl, ["version", "--remote=false", "--short"], { encoding: "utf8" });
    return run.stdout.trim().replace(/^client version:\s*/i, "") || "unknown";
}

/** Every stack's rendered manifests per cluster, analysed with that cluster's mesh config. */
export async function analyzeStacks(istioctl: string, stacks: string[], log: (line: string) => void): Promise<IstioctlReport["stacks"]> {
    const out: IstioctlReport["stacks"] = [];
    const work = mkdtempSync(path.join(tmpdir(), "trustmesh-istioctl-"));
    try {
        for (const stack of stacks) {
            const result = await planStack({ stack });
            const dir = path.join(work, stack);
            writeManifests(result, dir);
            for (const cluster of readdirSync(dir).sort()) {
                const meshConfig = meshConfigOn(result, cluster);
                const meshConfigFile = meshConfig ? path.join(work, `${stack}-${cluster}-mesh.yaml`) : undefined;
                if (meshConfigFile) writeFileSync(meshConfigFile, stringify(meshConfig));
                const messages = analyze(istioctl, [path.join(dir, cluster)], meshConfigFile);
                log(`istioctl analyze ${stack}/${cluster}: ${messages.length} messages${messages.map((m) => `\n  ${m.level} ${m.code} ${m.origin}: ${m.message}`).join("")}`);
                out.push({ stack, cluster, messages });
            }
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return out;
}

/** Each fixture through istioctl and through `check` (prod rules), compared object by object. */
export async function compareFixtures(istioctl: string, log: (line: string) => void): Promise<FixtureComparison[]> {
    const work = mkdtempSync(path.join(tmpdir(), "trustmesh-istioctl-fixtures-"));
    try {
        const comparisons: FixtureComparison[] = [];
        for (const name of readdirSync(istioctlFixtures).filter((f) => f.endsWith(".yaml")).sort()) {
            const file = path.join(istioctlFixtures, name);
            const json = path.join(work, `${name}.json`);
            await checkCli(["--json", json, file], () => undefined, () => undefined);
            const findings = (JSON.parse(readFileSync(json, "utf8")).violations as TrustmeshFinding[]) ?? [];
            const comparison = compareFindings(name, analyze(istioctl, [file]), findings);
            log(`fixture ${name}: istioctl [${comparison.istioctl.join(", ")}] trustmesh [${comparison.trustmesh.join(", ")}]${comparison.unmatched.length ? ` UNMATCHED ${comparison.unmatched.join("; ")}` : ""}`);
            comparisons.push(comparison);
        }
        return comparisons;
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

/** The `istioctl` part of the e2e report, and its failures (a message on a stack, an unmatched message on a fixture). */
export async function istioctlPart(istioctl: string, stacks: string[], log: (line: string) => void): Promise<{ report: IstioctlReport; failures: string[] }> {
    const report: IstioctlReport = { version: istioctlVersion(istioctl), stacks: await analyzeStacks(istioctl, stacks, log), fixtures: await compareFixtures(istioctl, log) };
    const failures = [
        ...report.stacks.filter((s) => s.messages.length > 0).map((s) => `istioctl analyze reports ${s.messages.length} messages on ${s.stack}/${s.cluster}`),
        ...report.fixtures.filter((f) => f.unmatched.length > 0).map((f) => `istioctl messages on fixture ${f.file} that no trustmesh policy matches: ${f.unmatched.join("; ")}`),
    ];
    return { report, failures };
}
