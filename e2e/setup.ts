// npm run e2e:setup — builds the real Pulumi engine parts from the Go module proxy into the e2e cache and
// installs the stand-ins, once. A second run only checks (stamps match, files exist) and takes seconds.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { binDir, cacheRoot, pulumiHome, repoEnvVar, repoRoot, stampsDir } from "./cache";
import { goBuilds, providerProbes, standIns, type GoBuild, type ProviderProbe, type StandIn } from "./toolchain";

export interface Stamp {
    name: string;
    version: string;
    real: boolean;
    kind: string;
    path: string;
    sizeBytes: number;
    buildMs: number;
    /** Hash of everything the output was made from; a different hash means rebuild. */
    inputs: string;
    note?: string;
}

class SetupError extends Error {}

function findGo(): string {
    for (const candidate of [...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "go")), "/usr/local/go/bin/go"]) {
        if (candidate && existsSync(candidate)) return candidate;
    }
    throw new SetupError("e2e:setup needs Go 1.26 or newer: `go` is not on PATH (nor /usr/local/go/bin/go). Install Go, then run again.");
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const result = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) {
        throw new SetupError(`${path.basename(cmd)} ${args.join(" ")} failed (exit ${result.status ?? result.signal}):\n${(result.stderr || result.stdout).trim()}`);
    }
    return result.stdout;
}

function checkGo(go: string): string {
    const version = run(go, ["version"]).trim();
    const match = /go(\d+)\.(\d+)/.exec(version);
    if (!match || Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 26)) {
        throw new SetupError(`e2e:setup needs Go 1.26 or newer; found "${version}"`);
    }
    const proxy = run(go, ["env", "GOPROXY"]).trim();
    if (!proxy || proxy === "off") throw new SetupError(`e2e:setup fetches Go modules from the module proxy, but GOPROXY is "${proxy || "(empty)"}"`);
    return version;
}

function hashOf(parts: string[]): string {
    const h = createHash("sha256");
    for (const part of parts) h.update(part).update("\0");
    return h.digest("hex").slice(0, 16);
}

function moduleInputs(build: GoBuild, goVersion: string): string {
    const dir = path.join(repoRoot, build.module);
    const files = readdirSync(dir)
        .filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go"))
        .sort();
    return hashOf([goVersion, build.pkg, build.version, ...(build.ldflags ?? []), ...files.flatMap((f) => [f, readFileSync(path.join(dir, f), "utf8")])]);
}

function readStamp(name: string): Stamp | undefined {
    const file = path.join(stampsDir, `${name}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Stamp) : undefined;
}

function writeStamp(stamp: Stamp, fileName = stamp.name): void {
    mkdirSync(stampsDir, { recursive: true });
    writeFileSync(path.join(stampsDir, `${fileName}.json`), `${JSON.stringify(stamp, null, 2)}\n`);
}

function buildGo(go: string, goVersion: string, build: GoBuild): { stamp: Stamp; cached: boolean } {
    const inputs = moduleInputs(build, goVersion);
    const previous = readStamp(build.name);
    if (previous && previous.inputs === inputs && [build.output, ...(build.extraOutputs ?? [])].every((f) => existsSync(f))) return { stamp: previous, cached: true };
    const cwd = path.join(repoRoot, build.module);
    process.stdout.write(`  building ${build.name} ${build.version} (go build ${build.pkg}) ...\n`);
    const started = Date.now();
    build.prepare?.((modulePath) => {
        const info = JSON.parse(run(go, ["mod", "download", "-json", modulePath], { cwd })) as { Dir?: string; Error?: string };
        if (!info.Dir) throw new SetupError(`could not download ${modulePath} from the Go module proxy: ${info.Error ?? "no folder"}`);
        return info.Dir;
    });
    mkdirSync(path.dirname(build.output), { recursive: true });
    const ldflags = ["-s", "-w", ...(build.ldflags ?? [])].join(" ");
    try {
        run(go, ["build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", build.output, build.pkg], { cwd });
    } catch (error) {
        const message = (error as Error).message;
        if (/403|404|not available|dial tcp|no such host|proxyconnect/i.test(message)) {
            throw new SetupError(`building ${build.name} needs the Go module proxy (GOPROXY) to serve its modules:\n${message}`);
        }
        throw error;
    }
    const stamp: Stamp = {
        name: build.name,
        version: build.version,
        real: !build.standInReason,
        kind: build.plugin ? `${build.plugin.kind} plugin${build.standInReason ? " (stand-in)" : ""}` : "tool",
        path: build.output,
        sizeBytes: statSync(build.output).size,
        buildMs: Date.now() - started,
        inputs,
        ...(build.standInReason ? { note: build.standInReason } : {}),
    };
    writeStamp(stamp);
    return { stamp, cached: false };
}

/**
 * A stand-in is a launcher script: Node 22 runs the TypeScript entry point through tsx, from the checkout
 * named by $TRUSTMESH_E2E_REPO (set by `npm run e2e` and `e2e:env`), else the one that ran setup. So two
 * checkouts sharing one cache each run their own stand-in code, and neither rewrites the other's launcher.
 */
export function standInLauncher(standIn: Pick<StandIn, "kind" | "name" | "reason" | "entry" | "args">, node = process.execPath, tsxLoader = require.resolve("tsx")): string {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // Inside the checkout (the pinned `node` package, tsx): relative to it; anything else stays absolute.
    const fromRepo = (file: string) => {
        const relative = path.relative(repoRoot, file);
        return relative.startsWith("..") || path.isAbsolute(relative) ? quote(file) : `"$repo"/${quote(relative)}`;
    };
    return [
        "#!/bin/sh",
        `# trustmesh e2e STAND-IN for the ${standIn.kind} plugin "${standIn.name}" (installed by npm run e2e:setup, never deployed).`,
        `# Why: ${standIn.reason}.`,
        `repo="\${${repoEnvVar}:-${repoRoot.replace(/[\\"$`]/g, "\\$&")}}"`,
        `exec ${fromRepo(node)} --import "file://$repo"/${quote(path.relative(repoRoot, tsxLoader))} "$repo"/${quote(standIn.entry)} ${standIn.args.map(quote).join(" ")} "$@"`,
        "",
    ].join("\n");
}

export function installStandIn(standIn: StandIn): { stamp: Stamp; cached: boolean } {
    const script = standInLauncher(standIn);
    const stampName = `standin-${standIn.kind}-${standIn.name}`;
    const inputs = hashOf([script]);
    const previous = readStamp(stampName);
    if (previous && previous.inputs === inputs && existsSync(standIn.output)) return { stamp: previous, cached: true };
    mkdirSync(path.dirname(standIn.output), { recursive: true });
    writeFileSync(standIn.output, script);
    chmodSync(standIn.output, 0o755);
    const stamp: Stamp = {
        name: standIn.name,
        version: standIn.version,
        real: false,
        kind: `${standIn.kind} plugin (stand-in)`,
        path: standIn.output,
        sizeBytes: Buffer.byteLength(script),
        buildMs: 0,
        inputs,
        note: standIn.reason,
    };
    writeStamp(stamp, stampName);
    return { stamp, cached: false };
}

/** Asks the module proxy once for a real provider's module; the answer is kept in its stamp. */
function probeProvider(go: string, probe: ProviderProbe): string {
    const stampName = `probe-${probe.name}`;
    const previous = readStamp(stampName);
    const inputs = hashOf([probe.module, probe.version]);
    if (previous && previous.inputs === inputs && previous.note) return previous.note;
    const started = Date.now();
    const result = spawnSync(go, ["mod", "download", "-json", `${probe.module}@v${probe.version}`], { encoding: "utf8", cwd: path.join(repoRoot, "e2e", "toolchain", "pulumi") });
    const answer = (result.stdout || result.stderr).match(/"Error":\s*"([^"]+)"/)?.[1] ?? (result.status === 0 ? "served: building it is not wired (its stand-in is used)" : result.stderr.trim());
    const note = `${probe.module}@v${probe.version}: ${answer.replace(/reading \S+: /, "").replace(/\\[nt]/g, " ").replace(/\s+/g, " ").slice(0, 300)}`;
    writeStamp({ name: probe.name, version: probe.version, real: false, kind: "probe", path: "", sizeBytes: 0, buildMs: Date.now() - started, inputs, note }, stampName);
    return note;
}

function formatSize(bytes: number): string {
    return bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} B`;
}

/** `--only <checks>`: build only what those checks of `npm run e2e` need (CI builds no more than it runs). */
function onlyChecks(argv: string[]): Set<string> | undefined {
    const at = argv.indexOf("--only");
    if (at < 0) return undefined;
    if (!argv[at + 1]) throw new SetupError("--only takes a comma-separated list of checks: preview, parity, up, automation, istioctl, python, kubernetes (the up of `npm run e2e:kubernetes -- run`)");
    return new Set(argv[at + 1]!.split(","));
}

export async function setup(only = onlyChecks(process.argv.slice(2))): Promise<{ stamps: Stamp[]; setupMs: number }> {
    const started = Date.now();
    const go = findGo();
    const goVersion = checkGo(go);
    mkdirSync(binDir, { recursive: true });
    mkdirSync(pulumiHome, { recursive: true });
    console.log(`e2e cache: ${cacheRoot} (${goVersion})`);
    const stamps: Stamp[] = [];
    for (const build of goBuilds()) {
        if (only && build.checks && !build.checks.some((c) => only.has(c))) {
            console.log(`  ${build.name.padEnd(22)} skipped (only needed by ${build.checks.join(", ")})`);
            continue;
        }
        const { stamp, cached } = buildGo(go, goVersion, build);
        stamps.push(stamp);
        console.log(`  ${stamp.name.padEnd(22)} ${stamp.version.padEnd(38)} ${stamp.real ? "real    " : "STAND-IN"}   ${formatSize(stamp.sizeBytes).padStart(10)}  built in ${(stamp.buildMs / 1000).toFixed(1)} s${cached ? " (cached, checked)" : ""}`);
    }
    for (const standIn of standIns()) {
        const { stamp } = installStandIn(standIn);
        stamps.push(stamp);
        console.log(`  ${`${standIn.kind}-${standIn.name}`.padEnd(22)} ${stamp.version.padEnd(38)} STAND-IN   (${standIn.reason})`);
    }
    for (const probe of providerProbes()) console.log(`  real ${probe.name} provider tried: ${probeProvider(go, probe)}`);
    const pulumi = stamps.find((s) => s.name === "pulumi");
    if (pulumi) console.log(`  pulumi version: ${run(pulumi.path, ["version"]).trim()}`);
    const setupMs = Date.now() - started;
    writeFileSync(path.join(stampsDir, "last-setup.json"), `${JSON.stringify({ setupMs, at: new Date().toISOString() }, null, 2)}\n`);
    console.log(`e2e:setup done in ${(setupMs / 1000).toFixed(1)} s`);
    return { stamps, setupMs };
}

if (require.main === module) {
    setup().catch((error) => {
        console.error(error instanceof SetupError ? `e2e:setup: ${error.message}` : error);
        process.exit(1);
    });
}
