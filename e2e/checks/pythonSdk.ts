// The `python` check: what a Python team does with trustmesh, under the real CLI. `pulumi package gen-sdk`
// generates the Python SDK from the component package (packaging/plugin, served by the Node plugin host),
// the SDK is pip-installed into a virtualenv with `pulumi` from PyPI, and `pulumi preview` runs
// e2e/python/__main__.py (NamespaceBaseline and MeshLink on two clusters).
//
// The Python program runs under the REAL Python language host, the last one Pulumi published inside sdk/v3
// (v3.79.0, e2e/toolchain/python-host-v3.79); it has no GeneratePackage, so gen-sdk runs with a stand-in host.
// What stands in, and only here: that gen-sdk host (e2e/toolchain/python-host), the Node language host,
// the gcp/azure-native/tls providers (their schemas list the npm SDK's resource tokens, see
// e2e/standins/standInSchema.ts), and the version of the kubernetes provider build: the proxy serves one
// pseudo-version of it, which this check's own PULUMI_HOME offers under the version the SDKs ask for, with its
// schema's version field set to match. The CLI, the engine, the code generator, the Python SDK and the
// kubernetes provider's code are real.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { binDir, cacheRoot, e2eEnv, repoRoot } from "../cache";
import { runCommand, type CommandResult } from "../proc";
import { standInLauncher } from "../setup";
import { npmPackageVersion, pythonHostDirs, standIns } from "../toolchain";

/** `pulumi` on PyPI: the newest release the index serves here (the CLI is 3.274.1; PyPI has up to 3.272.0). */
export const pythonSdkVersion = "3.272.0";

export interface PythonSdkReport {
    sdkGenerated: boolean;
    previewExitCode: number | null;
    /** Resources the preview plans, by type (the stack and providers included). */
    resourcesByType: Record<string, number>;
    sdkModules: string[];
    /** Which Python language host each step ran under (the CLI names the one it takes from $PATH). */
    languageHosts: { genSdk: string; preview: string };
    standIns: string[];
    timings: { buildMs: number; venvMs: number; genSdkMs: number; installMs: number; previewMs: number };
    failures: string[];
}

const pluginFolder = path.join(repoRoot, "packaging", "plugin");
/** The components the program uses: the check fails when the SDK lacks one or the preview plans none. */
const usedComponents = { "trustmesh:index:NamespaceBaseline": "namespace_baseline.py", "trustmesh:index:MeshLink": "mesh_link.py" };

function newestMtime(target: string): number {
    const stat = statSync(target);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(target).map((entry) => newestMtime(path.join(target, entry))));
}

/** `npm run build` unless dist/ is newer than every source the plugin serves. */
async function ensureBuilt(log: (line: string) => void): Promise<number> {
    const built = path.join(repoRoot, "dist", "components", "index.js");
    const sources = Math.max(newestMtime(path.join(repoRoot, "components")), newestMtime(path.join(repoRoot, "index.ts")), newestMtime(path.join(repoRoot, "package.json")));
    if (existsSync(built) && statSync(built).mtimeMs > sources) return 0;
    log("python: npm run build (the plugin serves the compiled package)");
    const result = await runCommand("npm", ["run", "--silent", "build"], { cwd: repoRoot, env: e2eEnv(), timeoutMs: 10 * 60_000 });
    if (result.code !== 0) throw new Error(`npm run build failed:\n${result.stderr || result.stdout}`);
    return result.ms;
}

/** A virtualenv in the e2e cache with the Pulumi Python SDK and the provider SDKs at the npm lock's versions. */
async function ensureVirtualenv(log: (line: string) => void): Promise<{ venv: string; ms: number }> {
    const requirements = [
        `pulumi==${pythonSdkVersion}`,
        `pulumi-kubernetes==${npmPackageVersion("@pulumi/kubernetes")}`,
        `pulumi-gcp==${npmPackageVersion("@pulumi/gcp")}`,
        `pulumi-tls==${npmPackageVersion("@pulumi/tls")}`,
    ];
    const venv = path.join(cacheRoot, "python", "venv");
    const stamp = path.join(venv, "trustmesh-requirements.txt");
    if (existsSync(stamp) && readFileSync(stamp, "utf8") === requirements.join("\n")) return { venv, ms: 0 };
    log(`python: virtualenv ${venv} with ${requirements.join(", ")} (from PyPI)`);
    const started = Date.now();
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(path.dirname(venv), { recursive: true });
    for (const [cmd, args] of [
        ["python3", ["-m", "venv", venv]],
        [path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...requirements]],
    ] as const) {
        const result = await runCommand(cmd, [...args], { timeoutMs: 20 * 60_000 });
        if (result.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed:\n${result.stderr || result.stdout}`);
    }
    writeFileSync(stamp, requirements.join("\n"));
    return { venv, ms: Date.now() - started };
}

/** A port on 127.0.0.1 that nothing listens on (taken from the kernel, then released). */
function closedPort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/**
 * This check's PULUMI_HOME: launchers for the stand-in providers of this checkout, and the kubernetes build
 * under the version @pulumi/kubernetes asks for, with its schema cached under that version.
 */
async function pulumiHomeFor(root: string, env: Record<string, string>): Promise<{ home: string; notes: string[] }> {
    const home = path.join(root, "pulumi-home");
    const notes: string[] = [];
    for (const standIn of standIns().filter((s) => s.kind === "resource")) {
        const dir = path.join(home, "plugins", `resource-${standIn.name}-v${standIn.version}`);
        mkdirSync(dir, { recursive: true });
        const launcher = path.join(dir, `pulumi-resource-${standIn.name}`);
        writeFileSync(launcher, standInLauncher(standIn));
        chmodSync(launcher, 0o755);
        notes.push(`resource plugin ${standIn.name} ${standIn.version}: STAND-IN, its schema lists the npm SDK's resource tokens without properties`);
    }
    const kubernetesBuild = path.join(binDir, "pulumi-resource-kubernetes");
    const kubernetesVersion = npmPackageVersion("@pulumi/kubernetes");
    const kubernetesDir = path.join(home, "plugins", `resource-kubernetes-v${kubernetesVersion}`);
    mkdirSync(kubernetesDir, { recursive: true });
    symlinkSync(kubernetesBuild, path.join(kubernetesDir, "pulumi-resource-kubernetes"));
    const schema = await runCommand(path.join(binDir, "pulumi"), ["package", "get-schema", kubernetesBuild], { env: { ...env, PULUMI_HOME: home }, timeoutMs: 5 * 60_000 });
    if (schema.code !== 0) throw new Error(`pulumi package get-schema ${kubernetesBuild} failed:\n${schema.stderr}`);
    const parsed = JSON.parse(schema.stdout) as { version: string };
    notes.push(`resource plugin kubernetes: the real provider built at ${parsed.version}, offered as ${kubernetesVersion} (the version the npm and PyPI SDKs ask for; the proxy serves no other build)`);
    parsed.version = kubernetesVersion;
    mkdirSync(path.join(home, "schemas"), { recursive: true });
    writeFileSync(path.join(home, "schemas", `kubernetes-${kubernetesVersion}.json`), JSON.stringify(parsed));
    return { home, notes };
}

function failed(step: string, result: CommandResult): string {
    return `${step} exited ${result.code}: ${(result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n")}`;
}

export async function pythonSdkCheck(log: (line: string) => void, keep = false): Promise<PythonSdkReport> {
    const report: PythonSdkReport = {
        sdkGenerated: false,
        previewExitCode: null,
        resourcesByType: {},
        sdkModules: [],
        languageHosts: { genSdk: "", preview: "" },
        standIns: ["language plugin python for gen-sdk: STAND-IN (e2e/toolchain/python-host)", "language plugin nodejs: STAND-IN"],
        timings: { buildMs: 0, venvMs: 0, genSdkMs: 0, installMs: 0, previewMs: 0 },
        failures: [],
    };
    const missingHosts = Object.values(pythonHostDirs).filter((dir) => !existsSync(path.join(dir, "pulumi-language-python")));
    if (missingHosts.length) {
        report.failures.push(`no Python language host in ${missingHosts.join(", ")}: run \`npm run e2e:setup -- --only python\``);
        return report;
    }
    const root = mkdtempSync(path.join(tmpdir(), "trustmesh-e2e-python-"));
    try {
        report.timings.buildMs = await ensureBuilt(log);
        const { venv, ms: venvMs } = await ensureVirtualenv(log);
        report.timings.venvMs = venvMs;
        const baseEnv: Record<string, string> = { ...e2eEnv(), PULUMI_CONFIG_PASSPHRASE: "python-check", PULUMI_BACKEND_URL: `file://${path.join(root, "state")}` };
        mkdirSync(path.join(root, "state"));
        const { home, notes } = await pulumiHomeFor(root, baseEnv);
        report.standIns.push(...notes);
        const env: Record<string, string> = { ...baseEnv, PULUMI_HOME: home };
        // The CLI takes the first pulumi-language-python on $PATH: the stand-in to generate, the real host to run
        // the program, with the virtualenv's python first (as after `source venv/bin/activate`; v3.79.0 predates
        // the runtime options the CLI sends now).
        const genEnv = { ...env, PATH: [pythonHostDirs.standIn, env.PATH].join(path.delimiter) };
        const runEnv = { ...env, PATH: [path.join(venv, "bin"), pythonHostDirs.real, env.PATH].join(path.delimiter) };
        const pulumi = (args: string[], cwd: string, stepEnv = runEnv) => runCommand(path.join(binDir, "pulumi"), args, { cwd, env: stepEnv, timeoutMs: 15 * 60_000 });
        const hostUsed = (result: CommandResult) => /using pulumi-language-python from \$PATH at ([^\s"\\]+)/.exec(result.stdout + result.stderr)?.[1] ?? "(not named by the CLI)";

        // 1. The SDK, as `pulumi package gen-sdk` writes it.
        const sdkDir = path.join(root, "sdk");
        const gen = await pulumi(["package", "gen-sdk", pluginFolder, "--language", "python", "--out", sdkDir], root, genEnv);
        report.timings.genSdkMs = gen.ms;
        report.languageHosts.genSdk = `STAND-IN ${hostUsed(gen)}`;
        const moduleDir = path.join(sdkDir, "python", "pulumi_trustmesh");
        report.sdkModules = existsSync(moduleDir) ? readdirSync(moduleDir).filter((f) => f.endsWith(".py")).sort() : [];
        const missing = Object.values(usedComponents).filter((m) => !report.sdkModules.includes(m));
        report.sdkGenerated = gen.code === 0 && missing.length === 0;
        log(`python: gen-sdk exited ${gen.code} in ${(gen.ms / 1000).toFixed(1)} s, ${report.sdkModules.length} modules`);
        if (gen.code !== 0) report.failures.push(failed("pulumi package gen-sdk", gen));
        if (gen.code === 0 && missing.length) report.failures.push(`the generated SDK lacks ${missing.join(", ")}`);
        if (!report.sdkGenerated) return report;

        // 2. Installed as a Python team installs it (its dependencies are in the virtualenv already).
        const install = await runCommand(path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "--no-deps", "--force-reinstall", path.join(sdkDir, "python")], { timeoutMs: 10 * 60_000 });
        report.timings.installMs = install.ms;
        if (install.code !== 0) {
            report.failures.push(failed("pip install of the generated SDK", install));
            return report;
        }

        // 3. The program, previewed.
        const programDir = path.join(root, "program");
        mkdirSync(programDir);
        cpSync(path.join(repoRoot, "e2e", "python", "__main__.py"), path.join(programDir, "__main__.py"));
        writeFileSync(
            path.join(programDir, "Pulumi.yaml"),
            ["name: trustmesh-python", "runtime:", "  name: python", "  options:", `    virtualenv: ${venv}`, "packages:", `  trustmesh: ${pluginFolder}`, ""].join("\n"),
        );
        for (const args of [
            ["stack", "init", "dev", "--non-interactive"],
            ["config", "set", "unreachableApiServer", `https://127.0.0.1:${await closedPort()}`],
        ]) {
            const result = await pulumi(args, programDir);
            if (result.code !== 0) {
                report.failures.push(failed(`pulumi ${args.join(" ")}`, result));
                return report;
            }
        }
        const preview = await pulumi(["preview", "--non-interactive", "--json"], programDir);
        report.previewExitCode = preview.code;
        report.timings.previewMs = preview.ms;
        const previewHost = hostUsed(preview);
        report.languageHosts.preview = `real pulumi-language-python v3.79.0 ${previewHost}`;
        if (previewHost !== path.join(pythonHostDirs.real, "pulumi-language-python") || /pulumi-language-python is a STAND-IN/.test(preview.stdout + preview.stderr)) {
            report.failures.push(`the preview did not run under the real Python language host (${previewHost})`);
        }
        log(`python: preview exited ${preview.code} in ${(preview.ms / 1000).toFixed(1)} s`);
        if (preview.code !== 0) {
            report.failures.push(failed("pulumi preview of e2e/python", preview));
            return report;
        }
        const steps = (JSON.parse(preview.stdout) as { steps?: { op: string; urn: string }[] }).steps ?? [];
        for (const step of steps) {
            const type = step.urn.split("::")[2]?.split("$").pop() ?? "";
            report.resourcesByType[type] = (report.resourcesByType[type] ?? 0) + 1;
        }
        for (const type of Object.keys(usedComponents)) {
            if (!report.resourcesByType[type]) report.failures.push(`the preview planned no ${type}`);
        }
        if (!Object.keys(report.resourcesByType).some((t) => t.startsWith("kubernetes:"))) report.failures.push("the preview planned no Kubernetes object: the components' Construct did not run");
        return report;
    } catch (error) {
        report.failures.push(`python check stopped: ${error instanceof Error ? error.message : String(error)}`);
        return report;
    } finally {
        if (keep) log(`python: kept ${root}`);
        else rmSync(root, { recursive: true, force: true });
    }
}
