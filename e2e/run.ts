// npm run e2e [-- --report <file>] [--keep] [--only <checks>]: runs trustmesh under the real Pulumi engine built by
// `npm run e2e:setup`. Each check fills its own key of the report; the run fails when any check does.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { binDir, repoRoot, stampsDir } from "./cache";
import { automationE2e, type AutomationReport } from "./checks/automation";
import { pkiUp, type UpReport } from "./checks/pkiUp";
import { pythonSdkCheck } from "./checks/pythonSdk";
import { insecureParity, previewStack, type PolicyParity, type StackReport } from "./checks/preview";
import { istioctlPart } from "./istioctlAnalyze";
import { runCommand } from "./proc";
import type { Stamp } from "./setup";
import { createWorkspace } from "./workspace";

export interface E2eReport {
    cli: { version: string };
    plugins: { name: string; version: string; real: boolean; kind: string; note?: string }[];
    stacks: StackReport[];
    policyParity?: PolicyParity;
    up?: UpReport;
    automation?: AutomationReport;
    timings: { setupMs?: number; previewMs: Record<string, number>; offlinePlanMs: Record<string, number>; totalMs?: number };
    /** Checks that ran (`--only` narrows them); a check not listed did not run. */
    checks: string[];
    failures: string[];
    [part: string]: unknown;
}

const stacks = ["dev", "staging", "prod"];

function readStamps(): Stamp[] {
    if (!existsSync(stampsDir)) return [];
    return readdirSync(stampsDir)
        .filter((f) => f.endsWith(".json") && f !== "last-setup.json")
        .map((f) => JSON.parse(readFileSync(path.join(stampsDir, f), "utf8")) as Stamp);
}

const allChecks = ["preview", "parity", "up", "automation", "istioctl", "python"] as const;
type Check = (typeof allChecks)[number];

function parseArgs(argv: string[]): { report?: string; keep: boolean; only: Set<Check> } {
    const options: { report?: string; keep: boolean; only: Set<Check> } = { keep: false, only: new Set(allChecks) };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--report") options.report = argv[++i];
        else if (argv[i] === "--keep") options.keep = true;
        else if (argv[i] === "--only") {
            const wanted = (argv[++i] ?? "").split(",");
            const unknown = wanted.filter((c) => !(allChecks as readonly string[]).includes(c));
            if (unknown.length) throw new Error(`e2e: --only takes ${allChecks.join(", ")}; not ${unknown.join(", ")}`);
            options.only = new Set(wanted as Check[]);
        } else throw new Error(`e2e: unknown argument "${argv[i]}" (allowed: --report <file>, --keep, --only <${allChecks.join(",")}>)`);
    }
    return options;
}

async function main(): Promise<number> {
    const started = Date.now();
    const options = parseArgs(process.argv.slice(2));
    const log = (line: string) => console.log(`e2e: ${line}`);
    const pulumiBin = path.join(binDir, "pulumi");
    if (!existsSync(pulumiBin)) {
        console.error(`e2e: no Pulumi CLI at ${pulumiBin}; run \`npm run e2e:setup\` first`);
        return 2;
    }
    const lastSetup = path.join(stampsDir, "last-setup.json");
    const report: E2eReport = {
        cli: { version: (await runCommand(pulumiBin, ["version"])).stdout.trim() },
        plugins: readStamps()
            .filter((s) => typeof s.kind === "string" && s.kind.includes("plugin"))
            .map((s) => ({ name: s.name, version: s.version, real: s.real, kind: s.kind, ...(s.note ? { note: s.note } : {}) })),
        tools: readStamps()
            .filter((s) => !(typeof s.kind === "string" && (s.kind.includes("plugin") || s.kind === "probe")))
            .map((s) => ({ name: s.name, version: s.version, sizeBytes: s.sizeBytes, buildMs: s.buildMs })),
        realProviderBuildAttempts: readStamps()
            .filter((s) => s.kind === "probe")
            .map((s) => s.note ?? s.name),
        stacks: [],
        timings: { setupMs: existsSync(lastSetup) ? JSON.parse(readFileSync(lastSetup, "utf8")).setupMs : undefined, previewMs: {}, offlinePlanMs: {} },
        checks: [...options.only],
        failures: [],
    };
    for (const p of report.plugins) log(`plugin ${p.name} ${p.version}: ${p.real ? "real" : `STAND-IN (${p.note})`}`);
    const ws = createWorkspace();
    log(`workspace ${ws.root} (file backend ${ws.backendUrl})`);
    try {
        // The PKI layer and the Automation API need only the tls provider; the previews need every provider.
        if (options.only.has("up")) {
            const tls = report.plugins.find((p) => p.name === "tls");
            report.up = await pkiUp(ws, log, tls ? `tls ${tls.version} (${tls.real ? "real" : "STAND-IN"})` : "tls (not installed)");
            report.failures.push(...report.up.failures.map((f) => `pki up: ${f}`));
        }
        if (options.only.has("automation")) {
            report.automation = await automationE2e(ws, log);
            report.failures.push(...report.automation.failures.map((f) => `automation: ${f}`));
        }
        for (const stack of options.only.has("preview") ? stacks : []) {
            const { report: stackReport, previewMs, offlinePlanMs } = await previewStack(ws, stack, log);
            report.stacks.push(stackReport);
            report.timings.previewMs[stack] = previewMs;
            report.timings.offlinePlanMs[stack] = offlinePlanMs;
            if (stackReport.previewExitCode !== 0) report.failures.push(`preview ${stack} exited ${stackReport.previewExitCode}: ${stackReport.errors.join("\n")}`);
            if (stackReport.mandatoryViolations > 0) report.failures.push(`preview ${stack}: ${stackReport.mandatoryViolations} mandatory policy violations`);
            if (stackReport.onlyInEngine.length || stackReport.onlyOffline.length || stackReport.differing.length) {
                report.failures.push(`stack ${stack}: the engine and the offline plan differ (${stackReport.onlyInEngine.length} only in the engine, ${stackReport.onlyOffline.length} only offline, ${stackReport.differing.length} differing)`);
            }
        }
        if (options.only.has("parity")) {
            report.policyParity = await insecureParity(ws, log);
            if (report.policyParity.engineOnly.length || report.policyParity.offlineOnly.length) report.failures.push("policy findings on the insecure fixture differ between the CLI-run pack and the offline plan");
            if (report.policyParity.engineFindings === 0) report.failures.push("the CLI-run policy pack reported nothing on the insecure fixture");
            if (report.policyParity.unknownAtPreview.length) report.failures.push(`the CLI-run pack could not run ${report.policyParity.unknownAtPreview.map((f) => f.policy).join(", ")} on the insecure fixture (values unknown at preview): parity is partial`);
        }
        if (options.only.has("istioctl")) {
            const { report: part, failures } = await istioctlPart(path.join(binDir, "istioctl"), stacks, log);
            report.istioctl = part;
            report.failures.push(...failures);
        }
        if (options.only.has("python")) {
            // The Python SDK generated from the component package and a Python program previewed with it.
            const python = await pythonSdkCheck(log, options.keep);
            report.package = { python };
            report.failures.push(...python.failures.map((f) => `python: ${f}`));
        }
    } catch (error) {
        report.failures.push(`e2e run stopped: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
        report.timings.totalMs = Date.now() - started;
        if (options.report) writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
        if (options.keep) {
            // The stacks stay usable by hand: their passphrase (a throwaway one, for these test stacks only) in a 0600 file.
            const passphraseFile = path.join(ws.root, "passphrase");
            writeFileSync(passphraseFile, ws.env.PULUMI_CONFIG_PASSPHRASE!, { mode: 0o600 });
            log(`kept ${ws.root}; to use its stacks by hand:`);
            log(`  eval "$(npm run --silent e2e:env)"; export PULUMI_BACKEND_URL=${ws.backendUrl} PULUMI_CONFIG_PASSPHRASE_FILE=${passphraseFile}`);
            log(`  cd ${ws.projectDir} && pulumi preview -s dev --policy-pack ${path.join(repoRoot, "policy")} --policy-pack-config ${path.join(repoRoot, "policy", "config", "dev.json")}`);
        } else ws.dispose();
    }
    for (const failure of report.failures) console.error(`e2e FAILED: ${failure}`);
    log(`${report.failures.length === 0 ? "passed" : "failed"} in ${(report.timings.totalMs / 1000).toFixed(1)} s${options.report ? `; report: ${options.report}` : ""}`);
    return report.failures.length === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (error) => {
        console.error(error);
        process.exit(1);
    },
);
