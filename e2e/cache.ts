// Where the end-to-end toolchain lives: one cache folder per machine, outside the repository, so a
// second `npm run e2e:setup` only checks. $TRUSTMESH_E2E_CACHE overrides the default.
import { homedir } from "node:os";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "..");
/** Names the checkout whose code the stand-in launchers run (see installStandIn in setup.ts). */
export const repoEnvVar = "TRUSTMESH_E2E_REPO";
export const cacheRoot = path.resolve(process.env.TRUSTMESH_E2E_CACHE || path.join(homedir(), ".cache", "trustmesh-e2e"));
/** Binaries: the Pulumi CLI, the language host, plugins used from $PATH, and other parts' tools (kube-apiserver, etcd). */
export const binDir = path.join(cacheRoot, "bin");
/** PULUMI_HOME: the CLI looks for plugins in pulumi-home/plugins/<kind>-<name>-v<version>/. */
export const pulumiHome = path.join(cacheRoot, "pulumi-home");
export const pluginsDir = path.join(pulumiHome, "plugins");
/** One JSON file per installed part: what was built from what, its size and build time. */
export const stampsDir = path.join(cacheRoot, "stamps");

export function pluginDir(kind: "resource" | "language" | "analyzer", name: string, version: string): string {
    return path.join(pluginsDir, `${kind}-${name}-v${version.replace(/^v/, "")}`);
}

/**
 * The environment that makes the cached CLI the one that runs: its bin first on PATH, its own
 * PULUMI_HOME (so no plugin from elsewhere is picked up and none is downloaded), no update check.
 */
export function e2eEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
    return {
        ...env,
        PATH: [binDir, path.dirname(process.execPath), env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: pulumiHome,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        [repoEnvVar]: repoRoot,
    };
}
