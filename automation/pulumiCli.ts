import { PulumiCommand } from "@pulumi/pulumi/automation";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";

/** How to get the Pulumi CLI, for every error that needs it. */
export const installHint =
    "install it with `curl -fsSL https://get.pulumi.com | sh` (Linux/macOS), `brew install pulumi/tap/pulumi` " +
    "or `winget install pulumi` (Windows), see https://www.pulumi.com/docs/iac/download-install/; " +
    "or give the folder of an existing installation (`pulumiRoot`, `--pulumi-root`). Without the CLI, `npm run plan` still plans the stack offline";

/** The Pulumi CLI is not installed (or not where it was said to be): nothing was deployed. */
export class PulumiCliMissingError extends Error {
    constructor(
        /** The folders looked in. */
        readonly searched: string[],
        pulumiRoot?: string,
    ) {
        const where = pulumiRoot ? `in ${searched.join(", ")}` : `on PATH (${searched.length} folder${searched.length === 1 ? "" : "s"})`;
        super(`the Pulumi CLI was not found (looked for \`pulumi\` ${where}): ${installHint}`);
        this.name = "PulumiCliMissingError";
    }
}

/** The Pulumi CLI is there but cannot be used (too old, does not start). */
export class PulumiCliUnusableError extends Error {
    constructor(command: string, cause: unknown) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        super(`the Pulumi CLI at ${command} cannot be used: ${reason.trim()}; ${installHint}`);
        this.name = "PulumiCliUnusableError";
    }
}

export interface PulumiCliLookup {
    /** Folder of a Pulumi installation (its binary is `<root>/bin/pulumi`). @default - search PATH */
    pulumiRoot?: string;
    /** The environment whose PATH is searched. @default process.env */
    env?: NodeJS.ProcessEnv;
}

/** Where `pulumi` would be run from, or undefined, with the places looked at (a `which pulumi`). */
export function findPulumiBinary(lookup: PulumiCliLookup = {}): { binary?: string; searched: string[] } {
    const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd", "pulumi"] : ["pulumi"];
    const dirs = lookup.pulumiRoot
        ? [path.join(path.resolve(lookup.pulumiRoot), "bin")]
        : (lookup.env ?? process.env).PATH?.split(path.delimiter).filter((dir) => dir.length > 0) ?? [];
    for (const dir of dirs) {
        for (const name of names) {
            const candidate = path.join(dir, name);
            try {
                accessSync(candidate, constants.X_OK);
                return { binary: candidate, searched: dirs };
            } catch {
                // not here; keep looking
            }
        }
    }
    return { searched: dirs };
}

/**
 * Finds the Pulumi CLI before any workspace is created, so a missing CLI is one clear error rather
 * than a spawn failure deep inside LocalWorkspace. Also checks its version against the SDK's minimum.
 */
export async function resolvePulumiCommand(lookup: PulumiCliLookup = {}): Promise<PulumiCommand> {
    const found = findPulumiBinary(lookup);
    if (!found.binary) throw new PulumiCliMissingError(found.searched, lookup.pulumiRoot);
    try {
        return await PulumiCommand.get(lookup.pulumiRoot ? { root: path.resolve(lookup.pulumiRoot) } : undefined);
    } catch (error) {
        throw new PulumiCliUnusableError(found.binary, error);
    }
}
