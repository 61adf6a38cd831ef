/**
 * `npm run test:package`: trustmesh as a user gets it from npm. `npm pack` (which builds), then the
 * tarball is installed in a temporary project of its own (packaging/consumer/) and used from there:
 * type checked, run under Pulumi mocks with plain node, imported from an ES module, and called by a
 * service that must get a ConfigError.
 *
 * No network: the tarball is unpacked to node_modules/trustmesh as npm lays it out, and only the
 * dependencies its own package.json declares are linked in from this checkout's node_modules, so a
 * dependency the package forgets to declare fails here instead of resolving by accident.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { allPolicies, packName } from "../policy/registry";

const root = path.resolve(__dirname, "..");
const fixture = path.join(__dirname, "consumer");
const tsc = require.resolve("typescript/bin/tsc");

interface PackResult {
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
    return spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 300_000 });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
    assert.equal(result.status, 0, `${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

describe("trustmesh as an installed npm package", function () {
    this.timeout(600_000);

    let work: string;
    let project: string;
    let pack: PackResult;
    const timings: Record<string, number> = {};
    let packProcess: ChildProcess | undefined;

    before(() => {
        work = mkdtempSync(path.join(tmpdir(), "trustmesh-consumer-"));
        project = path.join(work, "consumer");
        let started = Date.now();
        // `npm pack` runs the prepack build, exactly as `npm publish` would.
        const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        // Lifecycle scripts may print too: the JSON report is the last thing npm writes.
        pack = (JSON.parse(packed.slice(packed.search(/^\[/m))) as PackResult[])[0]!;
        timings.packMs = Date.now() - started;

        started = Date.now();
        cpSync(fixture, project, { recursive: true });
        const installed = path.join(project, "node_modules", "trustmesh");
        mkdirSync(installed, { recursive: true });
        execFileSync("tar", ["-xzf", path.join(work, pack.filename), "--strip-components=1", "-C", installed]);
        const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
        // The consumer's own tools: Node's types for its tsconfig. Everything else comes from trustmesh's manifest.
        for (const dependency of [...Object.keys(manifest.dependencies ?? {}), "@types/node"]) {
            const source = path.join(root, "node_modules", dependency);
            assert.ok(existsSync(source), `${dependency} (a dependency of the package) is not installed in this checkout: run npm ci`);
            const target = path.join(project, "node_modules", dependency);
            mkdirSync(path.dirname(target), { recursive: true });
            symlinkSync(source, target, "dir");
        }
        timings.installMs = Date.now() - started;
    });

    after(() => {
        packProcess?.kill();
        if (work) rmSync(work, { recursive: true, force: true });
        console.log(`      package ${pack?.filename}: ${pack?.size} bytes packed, ${pack?.unpackedSize} unpacked, ${pack?.files.length} files; ${JSON.stringify(timings)}`);
    });

    it("ships compiled JavaScript and declarations for both entry points, and no sources, tests or stack files", () => {
        const files = pack.files.map((f) => f.path);
        for (const entry of ["dist/components/index.js", "dist/components/index.d.ts", "dist/automation/index.js", "dist/automation/index.d.ts", "dist/policy/PulumiPolicy.yaml", "dist/policy/index.js"]) {
            assert.ok(files.includes(entry), `${entry} is missing from the tarball`);
        }
        const unexpected = files.filter((f) => !(f === "package.json" || f === "README.md" || f === "LICENSE" || f.startsWith("dist/")) || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || /(^|\/)Pulumi\.[a-z]+\.yaml$/.test(f));
        assert.deepEqual(unexpected, []);
    });

    it("type checks a consumer program using GkeCluster, AksCluster, RootCa and MeshLink with their documented args", () => {
        const started = Date.now();
        ok(run(process.execPath, [tsc, "-p", "tsconfig.json"], project), "tsc in the consumer project");
        timings.typecheckMs = Date.now() - started;
    });

    it("runs the consumer program under Pulumi mocks with plain node (no ts-node)", () => {
        const started = Date.now();
        const out = ok(run(process.execPath, ["bin/runUnderMocks.js"], project), "the consumer program under mocks");
        timings.mocksMs = Date.now() - started;
        const report = JSON.parse(out.trim().split("\n").pop()!) as { types: string[]; resources: number; rootCertificate: string };
        for (const type of [
            "trustmesh:index:GkeCluster",
            "trustmesh:index:AksCluster",
            "trustmesh:index:RootCa",
            "trustmesh:index:MeshLink",
            "gcp:container/cluster:Cluster",
            "azure-native:containerservice:ManagedCluster",
            "tls:index/selfSignedCert:SelfSignedCert",
            "kubernetes:networking.istio.io/v1:Gateway",
        ]) {
            assert.ok(report.types.includes(type), `${type} was not registered: ${report.types.join(", ")}`);
        }
        // The component's output carries its child's certificate through to the consumer's stack.
        assert.match(report.rootCertificate, /^-----BEGIN CERTIFICATE-----/);
    });

    it("loads both entry points from an ES module through package.json exports", () => {
        const out = ok(run(process.execPath, ["esm.mjs"], project), "the ES module consumer");
        assert.deepEqual(JSON.parse(out), { AksCluster: "function", GkeCluster: "function", MeshLink: "function", RootCa: "function", ConfigError: "function", previewEnvironment: "function" });
    });

    it("gives a service a ConfigError from trustmesh/automation for a bad config, before any CLI is needed", () => {
        const out = ok(run(process.execPath, ["bin/service.js"], project, { PATH: path.dirname(process.execPath), WORK_ROOT: path.join(work, "automation") }), "the service");
        const result = JSON.parse(out) as { error: string; problems?: string[] };
        assert.equal(result.error, "ConfigError", out);
        assert.ok(result.problems?.includes("trustmesh:environment"), out);
        assert.ok(result.problems?.some((key) => key.startsWith("trustmesh:namespaces[0]")), out);
    });

    it("fails the type check when an entry point loses an export (here: MeshLink)", () => {
        const index = path.join(project, "node_modules", "trustmesh", "dist", "components", "index.d.ts");
        const original = readFileSync(index, "utf8");
        assert.match(original, /\.\/meshLink/);
        writeFileSync(index, original.replace(/^export \* from "\.\/meshLink(\.js)?";\n/m, ""));
        try {
            const result = run(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit"], project);
            assert.notEqual(result.status, 0, "the consumer still type checks without MeshLink");
            assert.match(result.stdout, /has no exported member named 'MeshLink'|has no exported member 'MeshLink'/);
        } finally {
            writeFileSync(index, original);
        }
    });

    it("serves every policy from the installed, compiled policy pack that trustmesh/automation attaches (plain node, as the CLI starts it)", async () => {
        const packDir = path.join(project, "node_modules", "trustmesh", "dist", "policy");
        const manifest = JSON.parse(readFileSync(path.join(packDir, "package.json"), "utf8")) as { main: string };
        packProcess = spawn(process.execPath, [manifest.main], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
        const child = packProcess;
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            let err = "";
            child.stdout!.on("data", (chunk: Buffer) => {
                out += chunk.toString();
                const match = /^(\d+)\s*$/m.exec(out);
                if (match) resolve(Number(match[1]));
            });
            child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
            child.on("exit", (code) => reject(new Error(`the installed pack exited (${code}) before serving:\n${err}`)));
        });
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        try {
            const info = await new Promise<AnalyzerInfo>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (error, response) => (error ? reject(error) : resolve(response))));
            assert.equal(info.getName(), packName);
            assert.deepEqual(info.getPoliciesList().map((p) => p.getName()).sort(), allPolicies.map((p) => p.name).sort());
        } finally {
            client.close();
            child.kill();
        }
    });
});
