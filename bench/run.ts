// `npm run bench [-- --sizes 10,100,1000] [--json <file>]`: what an offline plan costs at scale, next
// to a floor (the same resources registered by a bare Pulumi program under the same mocks), and what
// the type check costs. Every run is its own child process, so peak RSS is per run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonFile } from "../offline/cli/output";
import type { BenchRow, ChildRuntime, FloorFigures, Spread, TrustmeshFigures } from "./types";

const root = path.resolve(__dirname, "..");

/** Targets from issue 9, checked against the largest N measured. */
const targets = { ratio: 1.25, linearity: 11, policyShare: 0.1, typecheckMs: 60_000, typecheckRssMb: 3 * 1024 };

interface BenchArgs {
    sizes: number[];
    /** Runs per size, each side in fresh processes. */
    runs: number;
    json?: string;
}

export function parseArgs(argv: string[]): BenchArgs {
    const args: BenchArgs = { sizes: [10, 100, 1000], runs: 3 };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--sizes") {
            const sizes = (argv[++i] ?? "").split(",").map((s) => Number(s.trim()));
            if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 0 || n > 9999)) {
                throw new Error(`--sizes takes a comma-separated list of link counts between 0 and 9999, e.g. 10,100; got "${argv[i] ?? ""}"`);
            }
            args.sizes = sizes;
        } else if (arg === "--runs") {
            const runs = Number(argv[++i]);
            if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs takes a whole number of runs per size between 1 and 20; got "${argv[i] ?? ""}"`);
            args.runs = runs;
        } else if (arg === "--json") {
            const file = argv[++i];
            if (!file) throw new Error("--json takes a file name");
            args.json = file;
        } else {
            throw new Error(`unknown argument "${arg}"; usage: npm run bench -- [--sizes 10,100,1000] [--runs 3] [--json <file>]`);
        }
    }
    return args;
}

/**
 * The command line of a bench child. Both sides get exactly this (same Node, same flags, same module
 * loader); each child also runs its measured work under the offline engine's runtime settings.
 */
export function childArgv(script: string, args: string[]): string[] {
    return ["--import", "tsx", path.join(__dirname, script), ...args];
}

/** Runs a bench script in a fresh Node process; it reports through the files it is given. */
function runChild(script: string, args: string[]): void {
    const child = spawnSync(process.execPath, childArgv(script, args), {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        timeout: 8 * 60_000,
    });
    if (child.status !== 0) {
        throw new Error(`bench: ${script} ${args.join(" ")} failed (${child.error?.message ?? `exit ${child.status ?? child.signal}`})`);
    }
}

/** Problems when the floor did not run under the plan's runtime settings (empty when fair). */
export function runtimeDifferences(plan: ChildRuntime, floor: ChildRuntime): string[] {
    const problems: string[] = [];
    if (JSON.stringify(plan.execArgv) !== JSON.stringify(floor.execArgv)) problems.push(`Node flags differ: plan ${JSON.stringify(plan.execArgv)}, floor ${JSON.stringify(floor.execArgv)}`);
    if (plan.stackTraceLimit !== floor.stackTraceLimit) problems.push(`stack trace limit differs: plan ${plan.stackTraceLimit}, floor ${floor.stackTraceLimit}`);
    if (plan.sourceMaps !== floor.sourceMaps) problems.push(`source maps differ: plan ${plan.sourceMaps ? "on" : "off"}, floor ${floor.sourceMaps ? "on" : "off"}`);
    if (plan.nodeVersion !== floor.nodeVersion) problems.push(`Node differs: plan ${plan.nodeVersion}, floor ${floor.nodeVersion}`);
    return problems;
}

export function spreadOf(values: number[]): Spread {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

/** Plans N links and registers the floor `runs` times, alternating the sides; medians and spreads. */
export function measureSize(n: number, work: string, runs = 3): { row: BenchRow; figures: TrustmeshFigures } {
    const planned: TrustmeshFigures[] = [];
    const floored: FloorFigures[] = [];
    for (let run = 0; run < runs; run++) {
        const resources = path.join(work, `resources-${n}-${run}.json`);
        const planFile = path.join(work, `trustmesh-${n}-${run}.json`);
        const floorFile = path.join(work, `floor-${n}-${run}.json`);
        runChild("trustmeshChild.ts", [String(n), planFile, resources]);
        runChild("floorChild.ts", [resources, floorFile]);
        planned.push(JSON.parse(readFileSync(planFile, "utf8")) as TrustmeshFigures);
        floored.push(JSON.parse(readFileSync(floorFile, "utf8")) as FloorFigures);
        const unfair = runtimeDifferences(planned[run]!.runtime, floored[run]!.runtime);
        if (unfair.length > 0) throw new Error(`bench: the floor did not run under the plan's settings: ${unfair.join("; ")}`);
    }
    const t = planned[0]!;
    const spread = {
        cpuMs: spreadOf(planned.map((p) => p.cpuMs)),
        wallMs: spreadOf(planned.map((p) => p.wallMs)),
        rssMb: spreadOf(planned.map((p) => p.rssMb)),
        floorCpuMs: spreadOf(floored.map((f) => f.cpuMs)),
        floorWallMs: spreadOf(floored.map((f) => f.wallMs)),
        floorRssMb: spreadOf(floored.map((f) => f.rssMb)),
    };
    const ratioSpread = (ratios: number[]): Spread => {
        const s = spreadOf(ratios.map((r) => r * 100));
        return { median: s.median / 100, min: s.min / 100, max: s.max / 100 };
    };
    const runRatios = {
        cpu: ratioSpread(planned.map((p, i) => p.cpuMs / floored[i]!.cpuMs)),
        rss: ratioSpread(planned.map((p, i) => p.rssMb / floored[i]!.rssMb)),
    };
    const policyShares = planned.map((p) => (p.cpuTimings.configMs + p.cpuTimings.schemaMs + p.cpuTimings.policyMs) / (p.cpuTimings.configMs + p.cpuTimings.programMs + p.cpuTimings.schemaMs + p.cpuTimings.policyMs));
    const row: BenchRow = {
        n,
        resources: t.resources,
        runs,
        cpuMs: spread.cpuMs.median,
        wallMs: spread.wallMs.median,
        rssMb: spread.rssMb.median,
        floorCpuMs: spread.floorCpuMs.median,
        floorWallMs: spread.floorWallMs.median,
        floorRssMb: spread.floorRssMb.median,
        cpuRatio: round(spread.cpuMs.median / spread.floorCpuMs.median, 2),
        wallRatio: round(spread.wallMs.median / spread.floorWallMs.median, 2),
        rssRatio: round(spread.rssMb.median / spread.floorRssMb.median, 2),
        policyShare: round(spreadOf(policyShares.map((x) => x * 1000)).median / 1000, 3),
        spread,
        runRatios,
        floorSettings: floored[0]!.runtime,
        floorThroughSdkClasses: floored[0]!.throughSdkClasses,
    };
    return { row, figures: t };
}

/** `tsc --noEmit -p .` in a child that reports its own peak RSS on exit. */
export function measureTypecheck(): { ms: number; rssMb: number } {
    const tsc = require.resolve("typescript/lib/tsc.js", { paths: [root] });
    const report = `process.on("exit",()=>process.stderr.write("\\nbench-maxrss-kb="+process.resourceUsage().maxRSS+"\\n"));require(${JSON.stringify(tsc)})`;
    const started = performance.now();
    const child = spawnSync(process.execPath, ["-e", report, "--", "tsc", "--noEmit", "-p", "."], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - started;
    if (child.status !== 0) process.stderr.write(`bench: the type check exited ${child.status}:\n${child.stdout.slice(0, 2000)}\n`);
    const kb = Number(/bench-maxrss-kb=(\d+)/.exec(child.stderr)?.[1] ?? NaN);
    return { ms: round(ms), rssMb: round(kb / 1024) };
}

function round(value: number, digits = 0): number {
    const f = 10 ** digits;
    return Math.round(value * f) / f;
}

export function tableLines(rows: BenchRow[]): string[] {
    const header = ["N", "resources", "runs", "CPU ms", "wall ms", "RSS MB", "floor CPU", "floor wall", "floor MB", "CPU x", "RSS x", "wall x", "CPU x per run", "policy+schema"];
    const range = (s: Spread) => `${s.median} (${s.min}-${s.max})`;
    const cells = rows.map((r) =>
        [r.n, r.resources, r.runs, range(r.spread.cpuMs), range(r.spread.wallMs), range(r.spread.rssMb), range(r.spread.floorCpuMs), range(r.spread.floorWallMs), range(r.spread.floorRssMb), r.cpuRatio, r.rssRatio, r.wallRatio, range(r.runRatios.cpu), `${(r.policyShare * 100).toFixed(1)}%`].map(String),
    );
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i]!)).join("  ");
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
}

/** Targets judged on CPU time and RSS (wall is kept for reference: it varies on shared machines). */
export function targetLines(rows: BenchRow[], typecheck: { ms: number; rssMb: number }): string[] {
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    const lines: string[] = [];
    const largest = rows.reduce<BenchRow | undefined>((a, r) => (!a || r.n > a.n ? r : a), undefined);
    if (largest) {
        lines.push(`CPU <= ${targets.ratio}x floor at N=${largest.n}: ${largest.cpuRatio}x ${verdict(largest.cpuRatio <= targets.ratio)}`);
        lines.push(`RSS <= ${targets.ratio}x floor at N=${largest.n}: ${largest.rssRatio}x ${verdict(largest.rssRatio <= targets.ratio)}`);
        lines.push(`policies + schema validation <= ${targets.policyShare * 100}% of the plan at N=${largest.n}: ${(largest.policyShare * 100).toFixed(1)}% ${verdict(largest.policyShare <= targets.policyShare)}`);
        const tenth = rows.find((r) => r.n * 10 === largest.n);
        if (tenth) {
            const growth = round(largest.cpuMs / tenth.cpuMs, 2);
            lines.push(`CPU linear in N (N=${largest.n} <= ${targets.linearity}x N=${tenth.n}): ${growth}x ${verdict(growth <= targets.linearity)}`);
        }
    }
    lines.push(`type check < 60 s and < 3 GB: ${typecheck.ms} ms, ${typecheck.rssMb} MB ${verdict(typecheck.ms < targets.typecheckMs && typecheck.rssMb < targets.typecheckRssMb)}`);
    return lines;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const work = mkdtempSync(path.join(tmpdir(), "trustmesh-bench-"));
    try {
        const rows: BenchRow[] = [];
        const failures: string[] = [];
        for (const n of args.sizes) {
            process.stderr.write(`bench: N=${n} links ...\n`);
            let measured: ReturnType<typeof measureSize>;
            try {
                measured = measureSize(n, work, args.runs);
            } catch (error) {
                // A size that times out or runs out of memory is reported, and the smaller ones still count.
                failures.push(`N=${n}: ${error instanceof Error ? error.message : String(error)}`);
                continue;
            }
            const { row, figures } = measured;
            if (figures.schemaErrors > 0 || figures.violations > 0) {
                process.stderr.write(`bench: N=${n}: the plan reports ${figures.schemaErrors} schema errors and ${figures.violations} policy violations\n`);
            }
            rows.push(row);
        }
        process.stderr.write("bench: type check ...\n");
        const typecheck = measureTypecheck();
        console.log(["", ...tableLines(rows), "", `type check (tsc --noEmit -p .): ${typecheck.ms} ms, peak RSS ${typecheck.rssMb} MB`, "", "targets:", ...targetLines(rows, typecheck).map((l) => `  ${l}`)].join("\n"));
        if (failures.length > 0) console.log(["", "not measured:", ...failures.map((f) => `  ${f}`)].join("\n"));
        if (args.json) {
            writeJsonFile(args.json, { rows, typecheck });
            console.log(`\nbench JSON written to ${args.json}`);
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    });
}
