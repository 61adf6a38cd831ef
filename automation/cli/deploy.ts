import { LocalWorkspace, type ConfigMap } from "@pulumi/pulumi/automation";
import { Command, CommanderError } from "commander";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, parseEnvironmentConfig, type EnvironmentConfigInput } from "../../stacks/config";
import { ExitCode } from "../../offline/cli/output";
import { defaultStacksDir, offlineSecretPlaceholder, readStackFile, StackFileError, type StackFile } from "../../offline/stackFile";
import {
    defaultSecretPaths,
    PulumiCliMissingError,
    PulumiCliUnusableError,
    resolvePulumiCommand,
    runEnvironmentOperation,
    type AutomationDependencies,
    type OperationResult,
    type ProviderConfigValue,
} from "../index";

/** `deploy` exit codes: the shared ones, plus 3 when another update holds the stack (retry later). */
export const DeployExitCode = { ...ExitCode, locked: 3 } as const;

interface DeployCliOptions {
    stack: string;
    preview?: boolean;
    backendUrl?: string;
    secretsProvider?: string;
    stacksDir: string;
    projectDir?: string;
    workRoot?: string;
    pulumiRoot?: string;
}

export interface DeployCliIo {
    log?: (line: string) => void;
    err?: (line: string) => void;
    /** Streams the CLI's output. @default - process.stdout */
    write?: (text: string) => void;
    env?: NodeJS.ProcessEnv;
    /** Test seam. @default - LocalWorkspace and the CLI on PATH */
    dependencies?: AutomationDependencies;
    /** Test seam: the stack's config with its secrets in clear. @default - decryptStackConfig */
    decryptStackConfig?: (request: DecryptRequest) => Promise<ConfigMap>;
}

export interface DecryptRequest {
    /** The folder of the project's Pulumi.yaml, whose stack config folder holds the stack file. */
    projectDir: string;
    stack: string;
    pulumiRoot?: string;
    backendUrl?: string;
    env: NodeJS.ProcessEnv;
}

/**
 * The stack's config with its `secure:` values decrypted by the stack's own secrets provider, as the CLI
 * reads them (`pulumi config --show-secrets` in the project folder, through a LocalWorkspace). The stack must
 * exist in the backend and the provider's key must be at hand (PULUMI_CONFIG_PASSPHRASE, cloud KMS login).
 */
export async function decryptStackConfig(request: DecryptRequest): Promise<ConfigMap> {
    const pulumiCommand = await resolvePulumiCommand({ pulumiRoot: request.pulumiRoot });
    const envVars: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.env)) if (v !== undefined) envVars[k] = v;
    if (request.backendUrl) envVars.PULUMI_BACKEND_URL = request.backendUrl;
    const workspace = await LocalWorkspace.create({ workDir: request.projectDir, pulumiCommand, envVars });
    return workspace.getAllConfig(request.stack);
}

/** A `secure:` value of the stack file: where it is and the environment variable that must hold it. */
export interface SecureValue {
    /** Full config path, e.g. `trustmesh:azure.keyVault.secrets.db-password`. */
    path: string;
    envVar: string;
}

/**
 * `npm run deploy -- --stack <name> [--preview]`: runs the stack through the Automation API entry, the
 * environment program inline and the policy pack attached. Returns the exit code.
 */
export async function deployCli(argv: string[], io: DeployCliIo = {}): Promise<number> {
    const log = io.log ?? console.log;
    const err = io.err ?? console.error;
    const env = io.env ?? process.env;
    const program = new Command("deploy")
        .description("Deploy (or preview) a trustmesh stack with the Pulumi Automation API: the stack file's config, the environment program inline, the policy pack attached.")
        .requiredOption("-s, --stack <name>", "stack to deploy (stacks/Pulumi.<name>.yaml)")
        .option("--preview", "preview only: show what would change and run the policy pack, change nothing")
        .option("--backend-url <url>", "state backend (default: $PULUMI_BACKEND_URL or the CLI's login)")
        .option("--secrets-provider <provider>", "secrets provider for a new stack (passphrase, awskms://…, azurekeyvault://…, gcpkms://…)")
        .option("--stacks-dir <dir>", "folder of the stack files", defaultStacksDir)
        .option("--project-dir <dir>", "folder of the project's Pulumi.yaml, where the stack's secure values are decrypted (default: the stacks folder's parent)")
        .option("--pulumi-root <dir>", "folder of a Pulumi CLI installation (default: `pulumi` on PATH)")
        .option("--work-root <dir>", "parent folder of the per-stack work directories (default: <tmpdir>/trustmesh-automation)")
        .exitOverride()
        .configureOutput({ writeOut: (s) => log(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
    let options: DeployCliOptions;
    try {
        options = program.parse(argv, { from: "user" }).opts<DeployCliOptions>();
    } catch (error) {
        if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.clean : ExitCode.usage;
        throw error;
    }

    let file: StackFile;
    try {
        file = readStackFile(options.stack, options.stacksDir);
        parseEnvironmentConfig(file.trustmesh, file.path);
    } catch (error) {
        if (error instanceof ConfigError || error instanceof StackFileError) {
            err(error.message);
            return ExitCode.usage;
        }
        throw error;
    }

    // Each `secure:` value comes from the stack's own secrets provider, as the CLI would read it; an
    // environment variable per value is an explicit override (CI without access to the provider's key).
    const secure = secureValues(file);
    const values = new Map<string, string>();
    for (const s of secure) if (env[s.envVar] !== undefined) values.set(s.path, env[s.envVar]!);
    const missing = secure.filter((s) => !values.has(s.path));
    if (missing.length > 0) {
        const projectDir = path.resolve(options.projectDir ?? path.dirname(path.resolve(options.stacksDir)));
        try {
            if (!existsSync(path.join(projectDir, "Pulumi.yaml"))) throw new Error(`${projectDir} has no Pulumi.yaml (give --project-dir)`);
            const decrypt = io.decryptStackConfig ?? decryptStackConfig;
            const config = await decrypt({ projectDir, stack: options.stack, pulumiRoot: options.pulumiRoot, backendUrl: options.backendUrl ?? env.PULUMI_BACKEND_URL, env });
            for (const s of missing) {
                const value = configValueAt(config, s.path);
                if (value === undefined) throw new Error(`the stack's config has no value at ${s.path}`);
                values.set(s.path, value);
            }
        } catch (error) {
            err(
                `${file.path} holds ${secure.length} encrypted value(s); they could not be decrypted with stack "${options.stack}"'s secrets provider ` +
                    `(${error instanceof Error ? error.message.split("\n")[0] : String(error)}). Select the stack's backend and give its key ` +
                    `(e.g. PULUMI_CONFIG_PASSPHRASE), or give each value in an environment variable (never in a file):\n` +
                    missing.map((s) => `  - ${s.envVar} for ${s.path}`).join("\n"),
            );
            return ExitCode.usage;
        }
    }
    const { trustmesh, providerConfig } = withSecrets(file, secure, values);

    const operation = options.preview ? "preview" : "up";
    err(`deploy: ${operation} of stack "${options.stack}" (${file.path})`);
    let result: OperationResult;
    try {
        result = await runEnvironmentOperation(operation, {
            stack: options.stack,
            config: trustmesh as EnvironmentConfigInput,
            secretPaths: [...defaultSecretPaths, ...secure.filter((s) => s.path.startsWith("trustmesh:")).map((s) => s.path.slice("trustmesh:".length))],
            providerConfig,
            backendUrl: options.backendUrl ?? env.PULUMI_BACKEND_URL,
            secretsProvider: options.secretsProvider,
            workRoot: options.workRoot,
            pulumiRoot: options.pulumiRoot,
            onOutput: io.write ?? ((text) => process.stdout.write(text)),
            dependencies: io.dependencies,
        });
    } catch (error) {
        if (error instanceof PulumiCliMissingError || error instanceof PulumiCliUnusableError || error instanceof ConfigError) {
            err(error.message);
            return error instanceof ConfigError ? ExitCode.usage : ExitCode.failed;
        }
        err(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
        return ExitCode.failed;
    }
    for (const line of resultLines(result)) log(line);
    return result.status === "locked" ? DeployExitCode.locked : ExitCode.clean;
}

/** The stack file's `secure:` values (offline they are placeholders) and the variables that carry them. */
export function secureValues(file: StackFile): SecureValue[] {
    const found: SecureValue[] = [];
    const walk = (value: unknown, keyPath: string): void => {
        if (typeof value === "string") {
            if (value === offlineSecretPlaceholder(keyPath)) found.push({ path: keyPath, envVar: secretEnvVar(keyPath) });
        } else if (Array.isArray(value)) {
            value.forEach((item, index) => walk(item, `${keyPath}[${index}]`));
        } else if (value !== null && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) walk(v, `${keyPath}.${k}`);
        }
    };
    for (const key of file.secretKeys) {
        const value = key.startsWith("trustmesh:") ? file.trustmesh[key.slice("trustmesh:".length)] : file.config[key];
        walk(value, key);
    }
    return found;
}

/** `trustmesh:azure.keyVault.secrets.db-password` -> `TRUSTMESH_SECRET_AZURE_KEYVAULT_SECRETS_DB_PASSWORD`. */
export function secretEnvVar(keyPath: string): string {
    const local = keyPath.startsWith("trustmesh:") ? keyPath.slice("trustmesh:".length) : keyPath;
    return `TRUSTMESH_SECRET_${local.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_|_$/g, "")}`;
}

/** The value at a full config path (`trustmesh:azure.keyVault.secrets.db-password`) of a decrypted config. */
export function configValueAt(config: ConfigMap, keyPath: string): string | undefined {
    const key = /^[^.[]+/.exec(keyPath)?.[0] ?? keyPath;
    const entry = config[key];
    if (!entry) return undefined;
    const rest = keyPath.slice(key.length);
    if (!rest) return entry.value;
    let current: unknown = JSON.parse(entry.value);
    for (const [, dotted, index] of rest.matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<string, unknown>)[dotted ?? index!];
    }
    return typeof current === "string" ? current : current === undefined ? undefined : JSON.stringify(current);
}

function withSecrets(file: StackFile, secure: SecureValue[], values: Map<string, string>) {
    const byPlaceholder = new Map(secure.map((s) => [offlineSecretPlaceholder(s.path), values.get(s.path) ?? ""]));
    const replace = (value: unknown): unknown => {
        if (typeof value === "string") return byPlaceholder.get(value) ?? value;
        if (Array.isArray(value)) return value.map(replace);
        if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
        return value;
    };
    const trustmesh = replace(file.trustmesh) as Record<string, unknown>;
    const providerConfig: Record<string, ProviderConfigValue> = {};
    for (const [key, value] of Object.entries(file.config)) {
        if (key.startsWith("trustmesh:")) continue;
        providerConfig[key] = { value: replace(value) as string, secret: file.secretKeys.includes(key) };
    }
    return { trustmesh, providerConfig };
}

export function resultLines(result: OperationResult): string[] {
    if (result.status === "locked") return [`deploy: ${result.message}`];
    const changes = Object.entries(result.changes)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ");
    const lines = [`deploy: ${result.operation} of stack "${result.stack}" succeeded (${changes || "no changes"}); work directory ${result.workDir}`];
    if (result.outputs) {
        lines.push("outputs:");
        for (const [key, value] of Object.entries(result.outputs as Record<string, unknown>)) {
            lines.push(`  ${key}: ${result.secretOutputs.includes(key) ? "[secret]" : JSON.stringify(value)}`);
        }
    }
    return lines;
}

if (require.main === module) {
    deployCli(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(ExitCode.failed);
        },
    );
}
