/**
 * The Automation API entry for services: preview, up, refresh and destroy an environment from a typed
 * config object, with the environment program inline and the policy pack attached.
 *
 *     const result = await upEnvironment({ stack: "dev", config, onOutput: (text) => process.stdout.write(text) });
 *     if (result.status === "locked") retryLater();
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    ConcurrentUpdateError,
    LocalWorkspace,
    type ConfigMap,
    type EngineEvent,
    type InlineProgramArgs,
    type LocalWorkspaceOptions,
    type OpMap,
    type OutputMap,
    type PulumiCommand,
    type Stack,
    type UpdateSummary,
} from "@pulumi/pulumi/automation";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { readPolicyPackConfigFile, stackPackConfig } from "../policy/packConfig";
import { configNamespace, parseEnvironmentConfig, type EnvironmentConfig, type EnvironmentConfigInput } from "../stacks/config";
import { buildEnvironment } from "../stacks/program";
import { resolvePulumiCommand, type PulumiCliLookup } from "./pulumiCli";

export { findPulumiBinary, installHint, PulumiCliMissingError, PulumiCliUnusableError, resolvePulumiCommand } from "./pulumiCli";
export type { PulumiCliLookup } from "./pulumiCli";
export { ConfigError, type ConfigProblem } from "../stacks/config";

/** The Pulumi project every environment stack belongs to (as in Pulumi.yaml). */
export const projectName = "trustmesh";

/** The policy pack folder, attached to every preview and up. */
export const policyPackDir = path.resolve(__dirname, "..", "policy");

/** Config paths whose values are secrets (the schema's secret fields): the section holding one is set as a secret. */
export const defaultSecretPaths = ["azure.keyVault.secrets", "mesh.example.rootPassword"] as const;

export type EnvironmentOperation = "preview" | "up" | "refresh" | "destroy";

/** The stack outputs of the environment program, resolved. */
export type EnvironmentOutputs = pulumi.Unwrap<ReturnType<typeof buildEnvironment>>;

/** A provider config value (`gcp:project`), plain or secret. */
export type ProviderConfigValue = string | { value: string; secret?: boolean };

/** The part of a Stack the entry uses: what a test fake implements. */
export type EnvironmentStack = Pick<Stack, "setAllConfig" | "preview" | "up" | "refresh" | "destroy" | "outputs">;

/** Seams for tests: how the CLI is found and how a stack is created. */
export interface AutomationDependencies {
    resolvePulumi(lookup: PulumiCliLookup): Promise<PulumiCommand>;
    createStack(args: InlineProgramArgs, opts: LocalWorkspaceOptions): Promise<EnvironmentStack>;
}

export const defaultDependencies: AutomationDependencies = {
    resolvePulumi: resolvePulumiCommand,
    createStack: (args, opts) => LocalWorkspace.createOrSelectStack(args, opts),
};

export interface EnvironmentStackOptions {
    /** Stack name: `dev`, or `<org>/<stack>` on Pulumi Cloud. */
    stack: string;
    /** The `trustmesh:` config of the stack, as a stack file holds it; checked by the same schema. */
    config: EnvironmentConfigInput;
    /**
     * Dotted config paths whose values are secrets; the section holding a non-empty one is set as a
     * secret config key. @default - the Key Vault secrets and the example's MySQL root password (defaultSecretPaths)
     */
    secretPaths?: readonly string[];
    /** Provider config such as `gcp:project` or `azure-native:location`. @default {} */
    providerConfig?: Record<string, ProviderConfigValue>;
    /** State backend (`s3://…`, `azblob://…`, `gs://…`, `file://…`, `https://api.pulumi.com`). @default - the CLI's login */
    backendUrl?: string;
    /** Secrets provider used when the stack is created (`passphrase`, `awskms://…`, `azurekeyvault://…`, `gcpkms://…`). @default - the backend's default */
    secretsProvider?: string;
    /** Environment for the CLI (e.g. `PULUMI_CONFIG_PASSPHRASE`, cloud credentials). @default {} */
    envVars?: Record<string, string>;
    /** Parent folder of the per-stack work directories. @default - `<tmpdir>/trustmesh-automation` */
    workRoot?: string;
    /** Folder of a Pulumi installation. @default - `pulumi` on PATH */
    pulumiRoot?: string;
    /** Policy pack folder, or false for none (refresh and destroy never run policies). @default - the project's `policy/` */
    policyPack?: string | false;
    /** Base pack config. @default - `policy/config/<environment>.json` */
    policyPackConfig?: string;
    /** Streams the CLI's output as it is printed. */
    onOutput?: (text: string) => void;
    /** Streams the engine events (resource steps, diagnostics, policy events). */
    onEvent?: (event: EngineEvent) => void;
    /** @default - LocalWorkspace and the CLI on PATH */
    dependencies?: AutomationDependencies;
}

interface ResultBase<Op extends EnvironmentOperation> {
    operation: Op;
    stack: string;
    workDir: string;
}

/** The operation ran to completion. */
export interface SucceededResult<Op extends EnvironmentOperation = EnvironmentOperation> extends ResultBase<Op> {
    status: "succeeded";
    /** Resource changes by kind (`create`, `update`, `same`, …). */
    changes: OpMap;
    /** The update record; absent for a preview. */
    summary?: UpdateSummary;
    /** Stack outputs after `up` and `refresh` (secrets included, see secretOutputs); absent otherwise. */
    outputs?: EnvironmentOutputs;
    /** Names of the outputs that are secrets. */
    secretOutputs: string[];
    stdout: string;
    stderr: string;
}

/** Another update holds the stack's lock: nothing was changed; retry later. */
export interface LockedResult<Op extends EnvironmentOperation = EnvironmentOperation> extends ResultBase<Op> {
    status: "locked";
    message: string;
}

export type OperationResult<Op extends EnvironmentOperation = EnvironmentOperation> = SucceededResult<Op> | LockedResult<Op>;

const stackNamePattern = /^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;

/**
 * One work directory per stack, so calls for different stacks never share Pulumi.yaml or stack
 * settings: `<workRoot>/<readable name>-<hash of the exact name>`. The same stack always gets the same one.
 */
export function environmentWorkDir(stack: string, workRoot = path.join(tmpdir(), "trustmesh-automation")): string {
    const readable = stack.replace(/[^A-Za-z0-9_.-]/g, "_");
    const hash = createHash("sha256").update(stack).digest("hex").slice(0, 8);
    return path.join(path.resolve(workRoot), `${readable}-${hash}`);
}

/**
 * The stack config: each `trustmesh:` section as one key (objects as JSON, as the program reads them),
 * a section secret when it holds a secret value, and the provider config as given.
 */
export function stackConfigMap(
    config: EnvironmentConfigInput,
    secretPaths: readonly string[] = defaultSecretPaths,
    providerConfig: Record<string, ProviderConfigValue> = {},
): ConfigMap {
    const map: ConfigMap = {};
    for (const [key, value] of Object.entries(providerConfig)) {
        map[key] = typeof value === "string" ? { value, secret: false } : { value: value.value, secret: value.secret === true };
    }
    const secretSections = new Set(secretPaths.filter((p) => hasValue(valueAt(config, p))).map((p) => p.split(/[.[]/)[0]));
    for (const [section, value] of Object.entries(config)) {
        if (value === undefined) continue;
        map[`${configNamespace}:${section}`] = {
            value: typeof value === "string" ? value : JSON.stringify(value),
            secret: secretSections.has(section),
        };
    }
    return map;
}

/**
 * The pack config the CLI is given: the tier's file with the stack's own enforcement and each policy's
 * `environment` and `allowedRegistries` from the config (policy/packConfig.ts, the same the offline plan
 * uses), written into the stack's work directory.
 */
export function writePolicyPackConfig(config: EnvironmentConfig, workDir: string, baseFile?: string): string {
    const base = baseFile ?? path.join(policyPackDir, "config", `${config.environment}.json`);
    const values = stackPackConfig(existsSync(base) ? readPolicyPackConfigFile(base) : {}, {
        environment: config.environment,
        enforcement: config.policy.enforcement,
        allowedRegistries: config.policy.allowedRegistries,
    });
    const file = path.join(workDir, "policy-pack-config.json");
    writeFileSync(file, `${JSON.stringify(values, null, 2)}\n`);
    return file;
}

/** Previews the environment: what `up` would change, with the policy pack run on it. */
export function previewEnvironment(options: EnvironmentStackOptions): Promise<OperationResult<"preview">> {
    return runEnvironmentOperation("preview", options);
}

/** Deploys the environment, the policy pack attached; returns the stack outputs. */
export function upEnvironment(options: EnvironmentStackOptions): Promise<OperationResult<"up">> {
    return runEnvironmentOperation("up", options);
}

/** Reads the real state of the environment's resources into the stack. */
export function refreshEnvironment(options: EnvironmentStackOptions): Promise<OperationResult<"refresh">> {
    return runEnvironmentOperation("refresh", options);
}

/** Deletes the environment's resources (protected ones make it fail, as they should). */
export function destroyEnvironment(options: EnvironmentStackOptions): Promise<OperationResult<"destroy">> {
    return runEnvironmentOperation("destroy", options);
}

/**
 * Runs one operation. In order: the config is checked by the stack schema (ConfigError listing every
 * problem, before anything else), the CLI is found (PulumiCliMissingError saying how to install it),
 * then the stack is created or selected in its own work directory, configured and run. A stack locked
 * by another update gives `{ status: "locked" }`; any other failure is thrown.
 */
export async function runEnvironmentOperation<Op extends EnvironmentOperation>(operation: Op, options: EnvironmentStackOptions): Promise<OperationResult<Op>> {
    if (!stackNamePattern.test(options.stack)) {
        throw new Error(`stack name "${options.stack}" must be <stack>, <org>/<stack> or <org>/<project>/<stack>, using letters, digits, '_', '.' and '-'`);
    }
    const config = parseEnvironmentConfig(options.config as Record<string, unknown>, `the config for stack "${options.stack}"`);
    const deps = options.dependencies ?? defaultDependencies;
    const pulumiCommand = await deps.resolvePulumi({ pulumiRoot: options.pulumiRoot });

    const workDir = environmentWorkDir(options.stack, options.workRoot);
    mkdirSync(workDir, { recursive: true });
    const base = { operation, stack: options.stack, workDir };
    const stream = { onOutput: options.onOutput, onEvent: options.onEvent };
    const policy =
        options.policyPack === false
            ? {}
            : { policyPacks: [path.resolve(options.policyPack ?? policyPackDir)], policyPackConfigs: [writePolicyPackConfig(config, workDir, options.policyPackConfig)] };

    try {
        const stack = await deps.createStack(
            { stackName: options.stack, projectName, program: async () => buildEnvironment(config) },
            {
                workDir,
                pulumiCommand,
                projectSettings: { name: projectName, runtime: "nodejs", ...(options.backendUrl ? { backend: { url: options.backendUrl } } : {}) },
                ...(options.secretsProvider ? { secretsProvider: options.secretsProvider } : {}),
                envVars: { PULUMI_SKIP_UPDATE_CHECK: "true", ...(options.envVars ?? {}) },
            },
        );
        await stack.setAllConfig(stackConfigMap(options.config, options.secretPaths, options.providerConfig));
        return { ...base, status: "succeeded", ...(await runOn(stack, operation, { ...stream, ...policy })) } as SucceededResult<Op>;
    } catch (error) {
        if (error instanceof ConcurrentUpdateError) {
            return { ...base, status: "locked", message: `stack "${options.stack}" is locked by another update; nothing was changed, retry when it finishes (${lockDetail(error.message)})` };
        }
        throw error;
    }
}

type StreamOptions = { onOutput?: (text: string) => void; onEvent?: (event: EngineEvent) => void; policyPacks?: string[]; policyPackConfigs?: string[] };
type OperationFields = Pick<SucceededResult, "changes" | "summary" | "outputs" | "secretOutputs" | "stdout" | "stderr">;

async function runOn(stack: EnvironmentStack, operation: EnvironmentOperation, options: StreamOptions): Promise<OperationFields> {
    const { policyPacks, policyPackConfigs, ...stream } = options;
    switch (operation) {
        case "preview": {
            const r = await stack.preview({ ...stream, policyPacks, policyPackConfigs });
            return { changes: r.changeSummary, secretOutputs: [], stdout: r.stdout, stderr: r.stderr };
        }
        case "up": {
            const r = await stack.up({ ...stream, policyPacks, policyPackConfigs });
            return { changes: r.summary.resourceChanges ?? {}, summary: r.summary, ...typedOutputs(r.outputs), stdout: r.stdout, stderr: r.stderr };
        }
        case "refresh": {
            const r = await stack.refresh(stream);
            return { changes: r.summary.resourceChanges ?? {}, summary: r.summary, ...typedOutputs(await stack.outputs()), stdout: r.stdout, stderr: r.stderr };
        }
        case "destroy": {
            const r = await stack.destroy(stream);
            return { changes: r.summary.resourceChanges ?? {}, summary: r.summary, secretOutputs: [], stdout: r.stdout, stderr: r.stderr };
        }
    }
}

/** The stack outputs as the program's return type, plus which of them are secrets. */
export function typedOutputs(outputs: OutputMap): { outputs: EnvironmentOutputs; secretOutputs: string[] } {
    const values: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [key, output] of Object.entries(outputs)) {
        values[key] = output.value;
        if (output.secret) secretOutputs.push(key);
    }
    return { outputs: values as EnvironmentOutputs, secretOutputs: secretOutputs.sort() };
}

function valueAt(root: unknown, dotted: string): unknown {
    let current: unknown = root;
    for (const part of dotted.split(/\.|\[(\d+)\]\.?/).filter((p) => p !== undefined && p !== "")) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<string, unknown>)[part];
    }
    return current;
}

function hasValue(value: unknown): boolean {
    if (value === undefined || value === null || value === "") return false;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === "object") return Object.keys(value).length > 0;
    return true;
}

/** The CLI's own words about the lock (a CommandError's message is the whole command result). */
function lockDetail(message: string): string {
    const lines = message.split("\n").map((line) => line.replace(/^\s*(stderr|stdout|err\?):\s*/, "").trim());
    return lines.find((line) => /locked|conflict|in progress/i.test(line)) ?? lines.find((line) => line.length > 0) ?? message;
}
