import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allCrds } from "../kubernetes/crds";
import { dryRunControls, dryRunStack, removeDryRunNamespaces, type DryRunResult } from "../kubernetes/dryRun";
import { installCrds } from "../kubernetes/installCrds";
import { withLocalClusters } from "../kubernetes/localCluster";
import { checkPodSecurity, type PodSecurityResult } from "../kubernetes/podSecurity";
import { planStack, type StackPlan } from "../kubernetes/plannedManifests";
import { runningProcesses } from "../kubernetes/processes";
import { builtKubernetesBinaries, kubernetesBuildSteps, currentStamp, type BuildStamp } from "../kubernetes/toolchain";
import { kubernetesUp, upToolchainMissing, type KubernetesUpReport } from "../kubernetes/up";

/** The `kubernetes` key of the e2e report (issue #13). */
export interface KubernetesReport {
    apiServers: Array<{ cluster: string; version: string; startSeconds: number }>;
    crds: Array<{ group: string; kind: string; source: string }>;
    /** `pulumi up` of dev's Kubernetes layer; `notRun` says why when it did not run, `failures` what went wrong. */
    up: KubernetesUpReport | { notRun: string } | { stack: string; failures: string[] };
    dryRun: DryRunResult[];
    /** Deliberately broken copies of planned objects the API server must refuse (the dry run can fail). */
    dryRunControls: Array<{ what: string; refused: boolean; message: string }>;
    podSecurity: PodSecurityResult;
    builds: BuildStamp[];
    /** After the run: processes of ours still alive (must be 0). */
    processesLeft: number;
    seconds: number;
}

export interface KubernetesCheckContext {
    /** Stacks whose plans are dry-run. @default ["dev", "staging", "prod"] */
    stacks?: string[];
    log?: (line: string) => void;
    /** Runs `pulumi up` of dev against the local clusters with the real CLI and kubernetes provider. @default true */
    up?: boolean;
}

/** The up, or why it did not run; an error inside it becomes its failure (the clusters still stop afterwards). */
async function upPart(wanted: boolean, up: () => Promise<KubernetesUpReport>): Promise<KubernetesReport["up"]> {
    if (!wanted) return { notRun: "left out with --no-up" };
    const missing = upToolchainMissing();
    if (missing) return { notRun: missing };
    try {
        return await up();
    } catch (error) {
        return { stack: "dev", failures: [error instanceof Error ? error.message : String(error)] };
    }
}

/** The clusters the environment program targets, each stood for by one local API server. */
export const clusterNames = ["gke", "aks"];

/**
 * Starts the two local clusters, installs the CRDs, dry-runs every manifest of every stack's plan on
 * the API server of its cluster, proves Pod Security admission, runs `pulumi up` of dev, and stops
 * everything again, also on failure.
 */
export async function run(ctx: KubernetesCheckContext = {}): Promise<{ kubernetes: KubernetesReport }> {
    const log = ctx.log ?? ((line: string) => console.log(`[kubernetes] ${line}`));
    const binaries = builtKubernetesBinaries();
    if (!binaries) throw new Error("the Kubernetes binaries are not built: run `npm run e2e:setup` first");
    const started = Date.now();
    const workDir = mkdtempSync(path.join(os.tmpdir(), "trustmesh-e2e-kube-"));
    try {
        const plans: StackPlan[] = (ctx.stacks ?? ["dev", "staging", "prod"]).map((stack) => {
            log(`planning ${stack} offline`);
            return planStack(stack, path.join(workDir, "plans"));
        });
        const crds = allCrds();
        const report = await withLocalClusters(clusterNames, binaries, workDir, async (clusters, clientCa) => {
            for (const cluster of Object.values(clusters)) {
                log(`${cluster.name}: ${cluster.version} at ${cluster.server}, ready in ${cluster.startSeconds.toFixed(1)} s`);
                await installCrds(cluster, crds);
            }
            const dryRun: DryRunResult[] = [];
            for (const plan of plans) {
                const result = await dryRunStack(plan, clusters);
                log(`dry run ${plan.stack}: ${result.accepted}/${result.manifests} accepted, ${result.rejected.length} rejected`);
                for (const r of result.rejected) log(`  rejected ${r.path}: ${r.message}`);
                dryRun.push(result);
            }
            const controls = await dryRunControls(plans[0], clusters);
            for (const c of controls) log(`control ${c.what}: ${c.refused ? "refused" : "ACCEPTED"} (${c.message})`);
            for (const cluster of Object.values(clusters)) await removeDryRunNamespaces(cluster);
            const podSecurity = await checkPodSecurity(plans[0], clusters);
            log(`pod security: privileged fixture refused=${podSecurity.refused}, program's pods admitted=${podSecurity.admitted} (${podSecurity.admittedPods.join(", ")})`);
            for (const problem of podSecurity.problems) log(`  ${problem}`);
            for (const cluster of Object.values(clusters)) await removeDryRunNamespaces(cluster);
            const up = await upPart(ctx.up ?? true, () => kubernetesUp(clusters, clientCa, workDir, log));
            return {
                apiServers: Object.values(clusters).map((c) => ({ cluster: c.name, version: c.version, startSeconds: Number(c.startSeconds.toFixed(2)) })),
                crds: crds.map(({ group, kind, source }) => ({ group, kind, source })),
                up,
                dryRun,
                dryRunControls: controls,
                podSecurity,
            };
        });
        return {
            kubernetes: {
                ...report,
                builds: kubernetesBuildSteps.map((step) => currentStamp(step)).filter((s): s is BuildStamp => !!s),
                processesLeft: runningProcesses(),
                seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
            },
        };
    } finally {
        rmSync(workDir, { recursive: true, force: true });
    }
}
