import * as automation from "@pulumi/pulumi/automation";
import type { ConfigMap, EngineEvent, InlineProgramArgs, LocalWorkspaceOptions, OutputMap, PulumiCommand } from "@pulumi/pulumi/automation";
import { strict as assert } from "node:assert";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
    ConfigError,
    environmentWorkDir,
    findPulumiBinary,
    policyPackDir,
    PulumiCliMissingError,
    resolvePulumiCommand,
    runEnvironmentOperation,
    stackConfigMap,
    upEnvironment,
    previewEnvironment,
    type AutomationDependencies,
    type EnvironmentStack,
    type EnvironmentStackOptions,
} from "../automation";
import { runOffline } from "../offline/engine";
import { readStackFile } from "../offline/stackFile";
import "../offline/fakes/index";
import type { EnvironmentConfigInput } from "../stacks/config";

// The SDK's own classifier of CLI failures: a lock message in stderr becomes a ConcurrentUpdateError.
const sdk = automation as unknown as {
    createCommandError(result: unknown): automation.CommandError;
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
};
function cliFailure(stderr: string): automation.CommandError {
    return sdk.createCommandError(new sdk.CommandResult("", stderr, 255));
}

const devConfig = readStackFile("dev").trustmesh as EnvironmentConfigInput;

interface Recorder {
    deps: AutomationDependencies;
    created: Array<{ args: InlineProgramArgs; opts: LocalWorkspaceOptions }>;
    configs: ConfigMap[];
    calls: Array<{ op: string; opts: Record<string, unknown> }>;
    resolved: number;
}

/** A fake CLI and stack: records every call; `behave` decides what each operation does. */
function fakeAutomation(behave: (op: string, opts: Record<string, any>) => unknown = () => undefined): Recorder {
    const rec: Recorder = { created: [], configs: [], calls: [], resolved: 0, deps: undefined as unknown as AutomationDependencies };
    const summary = { kind: "update", resourceChanges: { create: 3 } };
    const op = (name: string, result: Record<string, unknown>) => async (opts: Record<string, any> = {}) => {
        rec.calls.push({ op: name, opts });
        const custom = await behave(name, opts);
        return custom ?? { stdout: `${name} done`, stderr: "", ...result };
    };
    const stack = {
        setAllConfig: async (config: ConfigMap) => void rec.configs.push(config),
        preview: op("preview", { changeSummary: { create: 3 } }),
        up: op("up", { summary, outputs: { environment: { value: "dev", secret: false }, kubeconfig: { value: "apiVersion: v1", secret: true } } }),
        refresh: op("refresh", { summary: { ...summary, resourceChanges: { same: 3 } } }),
        destroy: op("destroy", { summary: { ...summary, resourceChanges: { delete: 3 } } }),
        outputs: async (): Promise<OutputMap> => ({ environment: { value: "dev", secret: false } }),
    } as unknown as EnvironmentStack;
    rec.deps = {
        resolvePulumi: async () => {
            rec.resolved++;
            return { command: "pulumi", version: null } as unknown as PulumiCommand;
        },
        createStack: async (args, opts) => {
            rec.created.push({ args, opts });
            return stack;
        },
    };
    return rec;
}

function options(rec: Recorder, overrides: Partial<EnvironmentStackOptions> = {}): EnvironmentStackOptions {
    return { stack: "dev", config: devConfig, workRoot: mkdtempSync(path.join(tmpdir(), "automation-")), dependencies: rec.deps, ...overrides };
}

describe("Automation API entry", function () {
    this.timeout(120_000);

    describe("config validation", () => {
        it("rejects a bad config with the schema's problems before the CLI is looked for or a workspace is created", async () => {
            const rec = fakeAutomation();
            const workRoot = path.join(mkdtempSync(path.join(tmpdir(), "automation-")), "never-created");
            const bad = { ...devConfig, environment: "qa", gcp: { ...(devConfig.gcp as object), region: 42 } } as unknown as EnvironmentConfigInput;
            await assert.rejects(upEnvironment(options(rec, { config: bad, workRoot })), (error: unknown) => {
                assert.ok(error instanceof ConfigError, String(error));
                const keys = error.problems.map((p) => p.key);
                assert.ok(keys.includes("trustmesh:environment"), keys.join(", "));
                assert.ok(keys.includes("trustmesh:gcp.region"), keys.join(", "));
                assert.match(error.message, /for stack "dev"/);
                return true;
            });
            assert.equal(rec.resolved, 0);
            assert.equal(rec.created.length, 0);
            assert.equal(existsSync(workRoot), false);
        });

        it("refuses advisory enforcement in prod (the schema's own cross-field rule)", async () => {
            const rec = fakeAutomation();
            const prod = { ...readStackFile("prod").trustmesh, policy: { enforcement: "advisory" } } as EnvironmentConfigInput;
            await assert.rejects(previewEnvironment(options(rec, { stack: "prod", config: prod })), /advisory enforcement is refused in prod/);
            assert.equal(rec.created.length, 0);
        });

        it("rejects a stack name the CLI would not accept", async () => {
            const rec = fakeAutomation();
            await assert.rejects(upEnvironment(options(rec, { stack: "dev stack" })), /stack name "dev stack" must be/);
            assert.equal(rec.created.length, 0);
        });
    });

    describe("missing Pulumi CLI", () => {
        it("finds an executable pulumi on PATH, and nothing where there is none", () => {
            const bin = mkdtempSync(path.join(tmpdir(), "bin-"));
            const empty = mkdtempSync(path.join(tmpdir(), "empty-"));
            assert.equal(findPulumiBinary({ env: { PATH: empty } }).binary, undefined);
            writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\necho v3.200.0\n");
            chmodSync(path.join(bin, "pulumi"), 0o755);
            assert.equal(findPulumiBinary({ env: { PATH: [empty, bin].join(path.delimiter) } }).binary, path.join(bin, "pulumi"));
            assert.equal(findPulumiBinary({ pulumiRoot: path.dirname(bin), env: { PATH: bin } }).binary, undefined);
        });

        it("says how to install the CLI instead of failing inside LocalWorkspace", async () => {
            const empty = mkdtempSync(path.join(tmpdir(), "empty-"));
            await assert.rejects(resolvePulumiCommand({ env: { PATH: empty } }), (error: unknown) => {
                assert.ok(error instanceof PulumiCliMissingError);
                assert.match(error.message, /Pulumi CLI was not found/);
                assert.match(error.message, /curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
                assert.deepEqual(error.searched, [empty]);
                return true;
            });
            await assert.rejects(resolvePulumiCommand({ pulumiRoot: empty }), /looked for `pulumi` in .*empty-.*\/bin\)/);
        });

        it("stops an operation with that error before any workspace is created", async () => {
            const rec = fakeAutomation();
            const empty = mkdtempSync(path.join(tmpdir(), "empty-"));
            const workRoot = path.join(empty, "work");
            const deps = { ...rec.deps, resolvePulumi: () => resolvePulumiCommand({ env: { PATH: empty } }) };
            await assert.rejects(upEnvironment(options(rec, { dependencies: deps, workRoot })), PulumiCliMissingError);
            assert.equal(rec.created.length, 0);
            assert.equal(existsSync(workRoot), false);
        });
    });

    describe("a concurrent update", () => {
        for (const [backend, stderr] of [
            ["Pulumi Cloud", "error: [409] Conflict: Another update is currently in progress."],
            ["a self-managed backend", "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`."],
        ] as const) {
            it(`is a typed locked result, not a raw error (${backend})`, async () => {
                const rec = fakeAutomation((op) => {
                    if (op === "up") throw cliFailure(stderr);
                });
                const result = await upEnvironment(options(rec));
                assert.equal(result.status, "locked");
                assert.equal(result.operation, "up");
                assert.equal(result.stack, "dev");
                if (result.status !== "locked") return;
                assert.match(result.message, /stack "dev" is locked by another update; nothing was changed, retry/);
                assert.ok(result.message.includes(stderr.slice(7, 40)), result.message);
            });
        }

        it("maps a lock for every operation, while any other CLI failure is thrown as is", async () => {
            for (const op of ["preview", "refresh", "destroy"] as const) {
                const rec = fakeAutomation((called) => {
                    if (called === op) throw cliFailure("error: [409] Conflict: Another update is currently in progress.");
                });
                const result = await runEnvironmentOperation(op, options(rec));
                assert.deepEqual([result.status, result.operation], ["locked", op]);
            }
            const rec = fakeAutomation(() => {
                throw cliFailure("error: gcp:container:Cluster gke: googleapi: Error 403: permission denied");
            });
            await assert.rejects(upEnvironment(options(rec)), (error: unknown) => error instanceof automation.CommandError && !(error instanceof automation.ConcurrentUpdateError));
        });
    });

    describe("work directories", () => {
        it("gives each stack its own directory and the same stack the same one", () => {
            const root = "/var/tmp/tm";
            assert.notEqual(environmentWorkDir("dev", root), environmentWorkDir("prod", root));
            assert.equal(environmentWorkDir("dev", root), environmentWorkDir("dev", root));
            // Names that sanitize alike still get different directories.
            assert.notEqual(environmentWorkDir("acme/dev", root), environmentWorkDir("acme_dev", root));
            assert.equal(path.dirname(environmentWorkDir("acme/trustmesh/dev", root)), root);
        });

        it("runs parallel calls for two stacks in two directories, each with its own pack config", async () => {
            const rec = fakeAutomation();
            const workRoot = mkdtempSync(path.join(tmpdir(), "automation-"));
            const prod = readStackFile("prod").trustmesh as EnvironmentConfigInput;
            const [dev, prd, devAgain] = await Promise.all([
                previewEnvironment(options(rec, { workRoot })),
                previewEnvironment(options(rec, { workRoot, stack: "prod", config: prod })),
                previewEnvironment(options(rec, { workRoot })),
            ]);
            assert.notEqual(dev.workDir, prd.workDir);
            assert.equal(dev.workDir, devAgain.workDir);
            const dirs = rec.created.map((c) => c.opts.workDir);
            assert.deepEqual(new Set(dirs), new Set([dev.workDir, prd.workDir]));
            for (const dir of dirs) assert.ok(existsSync(dir!), `${dir} exists`);
            const packConfigs = rec.calls.map((c) => JSON.parse(readFileSync((c.opts.policyPackConfigs as string[])[0]!, "utf8")) as { all?: string });
            // prod leaves `all` out: each policy at its own level (the CLI's `"all": "mandatory"` would make advisory ones block).
            assert.deepEqual(packConfigs.map((c) => c.all ?? "own levels").sort(), ["advisory", "advisory", "own levels"]);
        });
    });

    describe("the stack it runs", () => {
        it("is the environment program inline, on the trustmesh project, with backend, secrets provider and env from options", async () => {
            const rec = fakeAutomation();
            await upEnvironment(options(rec, { backendUrl: "gs://acme-pulumi-state", secretsProvider: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", envVars: { PULUMI_CONFIG_PASSPHRASE: "x" } }));
            const [{ args, opts }] = rec.created as [{ args: InlineProgramArgs; opts: LocalWorkspaceOptions }];
            assert.equal(args.stackName, "dev");
            assert.equal(args.projectName, "trustmesh");
            assert.deepEqual(opts.projectSettings, { name: "trustmesh", runtime: "nodejs", backend: { url: "gs://acme-pulumi-state" } });
            assert.equal(opts.secretsProvider, "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k");
            assert.equal(opts.envVars?.PULUMI_CONFIG_PASSPHRASE, "x");
            assert.ok(opts.pulumiCommand, "the CLI found up front is handed to the workspace");

            // The inline program is buildEnvironment(config): run it under the offline engine.
            const file = readStackFile("dev");
            const run = await runOffline(args.program, { stack: "dev", config: file.config, secretKeys: file.secretKeys });
            const types = run.resources.map((r) => r.type);
            assert.ok(types.includes("trustmesh:index:NamespaceBaseline"), types.join(", "));
            assert.equal(run.outputs.environment, "dev");
        });

        it("attaches the policy pack by absolute path with the stack's pack config, and streams output and events", async () => {
            const event = { sequence: 1, timestamp: 0, diagnosticEvent: { message: "hello", color: "never", severity: "info" } } as EngineEvent;
            const rec = fakeAutomation((_op, opts) => {
                opts.onOutput?.("Previewing update (dev)\n");
                opts.onEvent?.(event);
            });
            const output: string[] = [];
            const events: EngineEvent[] = [];
            const result = await previewEnvironment(options(rec, { onOutput: (t) => output.push(t), onEvent: (e) => events.push(e) }));
            const opts = rec.calls[0]!.opts as { policyPacks: string[]; policyPackConfigs: string[] };
            assert.deepEqual(opts.policyPacks, [policyPackDir]);
            assert.ok(path.isAbsolute(opts.policyPacks[0]!) && existsSync(path.join(opts.policyPacks[0]!, "PulumiPolicy.yaml")));
            assert.equal((JSON.parse(readFileSync(opts.policyPackConfigs[0]!, "utf8")) as { all: string }).all, "advisory");
            assert.deepEqual(output, ["Previewing update (dev)\n"]);
            assert.deepEqual(events, [event]);
            assert.equal(result.status, "succeeded");
            if (result.status === "succeeded") assert.deepEqual(result.changes, { create: 3 });
        });

        it("sets the stack's own enforcement (mandatory: `all` left out, so each policy keeps its level), environment and registries in the pack config, and none at all when the pack is off", async () => {
            const rec = fakeAutomation();
            const base = path.join(mkdtempSync(path.join(tmpdir(), "pack-")), "dev.json");
            writeFileSync(base, JSON.stringify({ all: "advisory", "workload-image-registry": { environment: "prod", allowedRegistries: ["docker.io/"] }, other: { threshold: 3 } }));
            const config = { ...devConfig, policy: { enforcement: "mandatory" as const, allowedRegistries: ["registry.example.com/"] } };
            await previewEnvironment(options(rec, { config, policyPackConfig: base }));
            const packConfig = (rec.calls[0]!.opts.policyPackConfigs as string[])[0]!;
            assert.deepEqual(JSON.parse(readFileSync(packConfig, "utf8")), {
                "workload-image-registry": { environment: "dev", allowedRegistries: ["registry.example.com/"] },
                other: { threshold: 3 },
            });
            await previewEnvironment(options(rec, { policyPack: false }));
            assert.equal(rec.calls[1]!.opts.policyPacks, undefined);
        });

        it("returns typed outputs and which of them are secret after up and refresh", async () => {
            const rec = fakeAutomation();
            const up = await upEnvironment(options(rec));
            assert.equal(up.status, "succeeded");
            if (up.status !== "succeeded") return;
            assert.equal(up.outputs?.environment, "dev");
            assert.deepEqual(up.secretOutputs, ["kubeconfig"]);
            assert.deepEqual(up.changes, { create: 3 });
            const refreshed = await runEnvironmentOperation("refresh", options(rec));
            assert.deepEqual(refreshed.status === "succeeded" && refreshed.outputs, { environment: "dev" });
            const destroyed = await runEnvironmentOperation("destroy", options(rec));
            assert.deepEqual(destroyed.status === "succeeded" && [destroyed.changes, destroyed.outputs], [{ delete: 3 }, undefined]);
        });
    });

    describe("stack config", () => {
        it("writes each section as a trustmesh:<section> key, objects as JSON, and marks the section with Key Vault secrets secret", () => {
            const config = {
                ...devConfig,
                azure: { ...devConfig.azure!, keyVault: { name: "kv", secrets: { "db-password": "hunter2" } } },
            } as EnvironmentConfigInput;
            const map = stackConfigMap(config, undefined, { "gcp:project": "trustmesh-dev", "azure-native:clientSecret": { value: "s", secret: true } });
            assert.deepEqual(map["trustmesh:environment"], { value: "dev", secret: false });
            assert.equal(map["trustmesh:azure"]!.secret, true);
            assert.deepEqual(JSON.parse(map["trustmesh:azure"]!.value).keyVault.secrets, { "db-password": "hunter2" });
            assert.equal(map["trustmesh:gcp"]!.secret, false);
            assert.deepEqual(JSON.parse(map["trustmesh:namespaces"]!.value), devConfig.namespaces);
            assert.deepEqual(map["gcp:project"], { value: "trustmesh-dev", secret: false });
            assert.deepEqual(map["azure-native:clientSecret"], { value: "s", secret: true });
        });

        it("leaves a section plain when its secrets are empty, and follows extra secret paths", () => {
            const config = { ...devConfig, azure: { ...devConfig.azure!, keyVault: { name: "kv", secrets: {} } } } as EnvironmentConfigInput;
            assert.equal(stackConfigMap(config)["trustmesh:azure"]!.secret, false);
            assert.equal(stackConfigMap(config, ["namespaces[1].name"])["trustmesh:namespaces"]!.secret, true);
            assert.equal(stackConfigMap(config, ["namespaces[7].name"])["trustmesh:namespaces"]!.secret, false);
        });

        it("hands the config map to the stack before the operation runs", async () => {
            const rec = fakeAutomation();
            await upEnvironment(options(rec));
            assert.equal(rec.configs.length, 1);
            assert.deepEqual(Object.keys(rec.configs[0]!).sort(), Object.keys(devConfig).map((k) => `trustmesh:${k}`).sort());
        });
    });
});

describe("package entry points", () => {
    it("exports the components at the root and the Automation API at trustmesh/automation, compiled from their sources", () => {
        // What a consumer resolves is tested on the packed tarball (npm run test:package); here: the
        // exports map names the files the build compiles from components/index.ts and automation/index.ts.
        const manifest = JSON.parse(readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8")) as { exports: Record<string, { types: string; default: string }> };
        const build = JSON.parse(readFileSync(path.resolve(__dirname, "..", "tsconfig.build.json"), "utf8")) as { files: string[] };
        for (const [subpath, source] of [[".", "components/index.ts"], ["./automation", "automation/index.ts"]] as const) {
            const entry = manifest.exports[subpath]!;
            assert.equal(entry.default, `./dist/${source.replace(/\.ts$/, ".js")}`);
            assert.equal(entry.types, `./dist/${source.replace(/\.ts$/, ".d.ts")}`);
            assert.ok(build.files.includes(source), `${source} is not compiled by tsconfig.build.json`);
        }
    });
});
