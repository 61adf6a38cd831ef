// `npm run bench [-- --sizes 10,100,1000] [--json <file>]`: what an offline plan costs at scale, next
// to a floor (the same resources registered by a bare Pulumi program under the same mocks), and what
// the type check costs. Every run is its own child process, so peak RSS is per run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonFile } from "../offline/cli/output";
import type { BenchRow, FloorFigures, TrustmeshFigures } from "./types";

const root = path.resolve(__dirname, "..");

/** Targets from issue 9, checked against the largest N measured. */
const targets = { ratio: 1.25, linearity: 11, policyShare: 0.1, typecheckMs: 60_000, typecheckRssMb: 3 * 1024 };

interface BenchArgs {
    sizes: number[];
    json?: string;
}

export function parseArgs(argv: string[]): BenchArgs {
    const args: BenchArgs = { sizes: [10, 100, 1000] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--sizes") {
            const sizes = (argv[++i] ?? "").split(",").map((s) => Number(s.trim()));
            if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 0 || n > 9999)) {
                throw new Error(`--sizes takes a comma-separated list of link counts between 0 and 9999, e.g. 10,100; got "${argv[i] ?? ""}"`);
            }
            args.sizes = sizes;
        } else if (arg === "--json") {
            const file = argv[++i];
            if (!file) throw new Error("--json takes a file name");
            args.json = file;
        } else {
            throw new Error(`unknown argument "${arg}"; usage: npm run bench -- [--sizes 10,100,1000] [--json <file>]`);
        }
    }
    return args;
}

/** Runs a bench script with tsx in a fresh Node process; it reports through the files it is given. */
function runChild(script: string, args: string[]): void {
    const child = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, script), ...args], {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        timeout: 8 * 60_000,
    });
    if (child.status !== 0) {
        throw new Error(`bench: ${script} ${args.join(" ")} failed (${child.error?.message ?? `exit ${child.status ?? child.signal}`})`);
    }
}

export function measureSize(n: number, work: string): { row: BenchRow; figures: TrustmeshFigures } {
    const resources = path.join(work, `resources-${n}.json`);
    const planned = path.join(work, `trustmesh-${n}.json`);
    const floored = path.join(work, `floor-${n}.json`);
    runChild("trustmeshChild.ts", [String(n), planned, resources]);
    runChild("floorChild.ts", [resources, floored]);
    const t = JSON.parse(readFileSync(planned, "utf8")) as TrustmeshFigures;
    const f = JSON.parse(readFileSync(floored, "utf8")) as FloorFigures;
    const checked = t.timings.configMs + t.timings.schemaMs + t.timings.policyMs;
    const row: BenchRow = {
        n,
        resources: t.resources,
        wallMs: round(t.wallMs),
        rssMb: round(t.rssMb),
        floorWallMs: round(f.wallMs),
        floorRssMb: round(f.rssMb),
        wallRatio: round(t.wallMs / f.wallMs, 2),
        rssRatio: round(t.rssMb / f.rssMb, 2),
        policyShare: round(checked / t.wallMs, 3),
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
    const header = ["N", "resources", "wall ms", "RSS MB", "floor ms", "floor MB", "wall x", "RSS x", "policy+schema"];
    const cells = rows.map((r) => [r.n, r.resources, r.wallMs, r.rssMb, r.floorWallMs, r.floorRssMb, r.wallRatio, r.rssRatio, `${(r.policyShare * 100).toFixed(1)}%`].map(String));
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i]!)).join("  ");
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
}

export function targetLines(rows: BenchRow[], typecheck: { ms: number; rssMb: number }): string[] {
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    const lines: string[] = [];
    const largest = rows.reduce<BenchRow | undefined>((a, r) => (!a || r.n > a.n ? r : a), undefined);
    if (largest) {
        lines.push(`wall <= ${targets.ratio}x floor at N=${largest.n}: ${largest.wallRatio}x ${verdict(largest.wallRatio <= targets.ratio)}`);
        lines.push(`RSS <= ${targets.ratio}x floor at N=${largest.n}: ${largest.rssRatio}x ${verdict(largest.rssRatio <= targets.ratio)}`);
        lines.push(`policies + schema validation <= ${targets.policyShare * 100}% of wall at N=${largest.n}: ${(largest.policyShare * 100).toFixed(1)}% ${verdict(largest.policyShare <= targets.policyShare)}`);
        const tenth = rows.find((r) => r.n * 10 === largest.n);
        if (tenth) {
            const growth = round(largest.wallMs / tenth.wallMs, 2);
            lines.push(`time linear in N (N=${largest.n} <= ${targets.linearity}x N=${tenth.n}): ${growth}x ${verdict(growth <= targets.linearity)}`);
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
                measured = measureSize(n, work);
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
