import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { KubeObject } from "./kubeClient";

/** The repository root (this file is e2e/kubernetes/plannedManifests.ts). */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** One manifest `npm run plan` wrote, with the object read back from its file. */
export interface PlannedManifest {
    cluster: string;
    /** Path below the plan's output folder, e.g. `gke/istio-system/gateway-mysql-egress.yaml`. */
    path: string;
    object: KubeObject;
}

export interface StackPlan {
    stack: string;
    manifests: PlannedManifest[];
    /** Objects the offline plan found not to match their schema (by kind/name). */
    offlineSchemaErrors: string[];
    /** Files or URLs of manifests the provider applies at deploy time (`yaml/v2:ConfigFile`): not rendered offline. */
    unrenderedFiles: string[];
    /** The offline plan's policy findings (policy and resource; stack-wide findings have an empty URN). */
    violations: Array<{ policy: string; urn: string }>;
}

/**
 * Plans `stack` exactly as a user does (`npm run plan -- --stack <stack> --out <dir> --json <file>`, in a
 * child process on the same Node) and reads back every manifest it wrote. `stacksDir`: where the stack
 * file is, when not the project's stacks/.
 */
export function planStack(stack: string, outDir: string, stacksDir?: string): StackPlan {
    const json = path.join(outDir, `${stack}.json`);
    const manifestsDir = path.join(outDir, stack);
    const tsx = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
    const result = spawnSync(process.execPath, [tsx, "offline/cli/plan.ts", "--stack", stack, "--out", manifestsDir, "--json", json, ...(stacksDir ? ["--stacks-dir", stacksDir] : [])], {
        cwd: repoRoot,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    // Exit 1 (a mandatory violation or schema error) still writes the plan; 2 is bad usage or config.
    if (result.status !== 0 && result.status !== 1) {
        throw new Error(`npm run plan -- --stack ${stack} exited ${result.status}:\n${result.stderr}${result.stdout}`.trim());
    }
    const plan = JSON.parse(readFileSync(json, "utf8")) as {
        manifests: Array<{ cluster: string; path: string }>;
        schemaErrors: Array<{ kind: string; name: string }>;
        resources: Array<{ type: string; inputs: Record<string, unknown> }>;
        violations: Array<{ policy: string; urn: string }>;
    };
    return {
        stack,
        manifests: plan.manifests.map((m) => ({
            cluster: m.cluster,
            path: m.path,
            object: parse(readFileSync(path.join(manifestsDir, m.path), "utf8")) as KubeObject,
        })),
        offlineSchemaErrors: plan.schemaErrors.map((e) => `${e.kind}/${e.name}`),
        unrenderedFiles: plan.resources.filter((r) => r.type === "kubernetes:yaml/v2:ConfigFile").map((r) => String(r.inputs.file)),
        violations: plan.violations.map((v) => ({ policy: v.policy, urn: v.urn })),
    };
}
