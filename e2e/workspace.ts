// A throw-away Pulumi workspace for the e2e run: a copy of the project (so `pulumi stack init` and
// `pulumi config set` never touch the committed stack files), a file backend in the same temp folder, and
// stacks created with the passphrase secrets provider from the committed stack files.
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { isMap, isScalar, parseDocument, type Document } from "yaml";
import { offlineSecretPlaceholder, stackFilePath } from "../offline/stackFile";
import { binDir, e2eEnv, repoRoot } from "./cache";
import { runCommand, type CommandResult, type RunOptions } from "./proc";

export interface E2eWorkspace {
    root: string;
    /** The project copy the CLI runs in. */
    projectDir: string;
    backendUrl: string;
    env: Record<string, string>;
    pulumi(args: string[], options?: RunOptions & { cwd?: string }): Promise<CommandResult>;
    dispose(): void;
}

/** What the project needs to run: its manifest, sources and TypeScript settings; node_modules is linked. */
const projectFiles = ["Pulumi.yaml", "package.json", "tsconfig.json", "components", "stacks"];

export function createWorkspace(): E2eWorkspace {
    const root = mkdtempSync(path.join(tmpdir(), "trustmesh-e2e-"));
    const projectDir = path.join(root, "project");
    mkdirSync(projectDir);
    for (const entry of projectFiles) {
        cpSync(path.join(repoRoot, entry), path.join(projectDir, entry), {
            recursive: true,
            // The committed stack files carry another secrets provider's ciphertext: stacks are created anew.
            filter: (source) => !/Pulumi\.[^/]+\.yaml$/.test(path.basename(source)) || path.dirname(source) === repoRoot,
        });
    }
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(projectDir, "node_modules"));
    const backendDir = path.join(root, "state");
    mkdirSync(backendDir);
    const backendUrl = `file://${backendDir}`;
    const env = {
        ...e2eEnv(),
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64"),
        // `npm test` type-checks the program and the policy pack; the engine runs them transpile-only.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        // Enables `--event-log`, the engine's own JSON event stream, which the checks read.
        PULUMI_DEBUG_COMMANDS: "true",
    };
    const pulumiBin = path.join(binDir, "pulumi");
    return {
        root,
        projectDir,
        backendUrl,
        env,
        pulumi: (args, options = {}) => runCommand(pulumiBin, [...args, "--non-interactive"], { cwd: projectDir, env, ...options }),
        dispose: () => rmSync(root, { recursive: true, force: true }),
    };
}

/** `a.b["db-password"][0]`: the property path syntax of `pulumi config set --path`. */
function propertyPath(key: string, segments: (string | number)[]): string {
    return (
        key +
        segments.map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `["${s}"]`)).join("")
    );
}

/** Every `secure:` value in a config tree: its `--path` and the key path the offline engine names it by. */
function securePaths(key: string, value: unknown, segments: (string | number)[] = []): { path: string; offlineKey: string }[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => securePaths(key, v, [...segments, i]));
    if (value && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 1 && entries[0]![0] === "secure") {
            const offlineKey = segments.reduce<string>((acc, s) => (typeof s === "number" ? `${acc}[${s}]` : `${acc}.${s}`), key);
            return [{ path: propertyPath(key, segments), offlineKey }];
        }
        return entries.flatMap(([k, v]) => securePaths(key, v, [...segments, k]));
    }
    return [];
}

function withoutSecure(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withoutSecure);
    if (value && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 1 && entries[0]![0] === "secure") return "(set by pulumi config set --secret)";
        return Object.fromEntries(entries.map(([k, v]) => [k, withoutSecure(v)]));
    }
    return value;
}

/**
 * Creates `stack` in the workspace with the passphrase secrets provider and gives it the committed stack
 * file's config. Each `secure:` value is set again with `pulumi config set --secret` (the committed
 * ciphertext belongs to another secrets provider); its value is the offline engine's placeholder for that
 * key, so the real and the offline run see the same config.
 */
export async function createStack(
    ws: E2eWorkspace,
    stack: string,
    sourceStackFile = stackFilePath(stack),
    project: { dir: string; stackConfigDir: string } = { dir: ws.projectDir, stackConfigDir: path.join(ws.projectDir, "stacks") },
): Promise<void> {
    const init = await ws.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"], { cwd: project.dir });
    if (init.code !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.stderr}${init.stdout}`);
    const target = path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    const created: Document = parseDocument(readFileSync(target, "utf8"));
    const source = parseDocument(readFileSync(sourceStackFile, "utf8")).toJS() as { config?: Record<string, unknown> };
    const config = source.config ?? {};
    const secrets = Object.entries(config).flatMap(([key, value]) => securePaths(key.includes(":") ? key : `trustmesh:${key}`, value));
    created.set("config", Object.fromEntries(Object.entries(config).map(([k, v]) => [k, withoutSecure(v)])));
    if (!isMap(created.contents) && !(isScalar(created.contents) && created.contents.value === null)) {
        throw new Error(`${target}: unexpected content after pulumi stack init`);
    }
    writeFileSync(target, created.toString());
    for (const secret of secrets) {
        const set = await ws.pulumi(["config", "set", "--stack", stack, "--path", "--secret", secret.path, offlineSecretPlaceholder(secret.offlineKey)], { cwd: project.dir });
        if (set.code !== 0) throw new Error(`pulumi config set --secret ${secret.path} failed:\n${set.stderr}`);
    }
}
