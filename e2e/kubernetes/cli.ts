import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { run, type KubernetesReport } from "../checks/kubernetes";
import { ensureKubernetesBinaries } from "./toolchain";

/**
 * `npm run e2e:kubernetes -- setup`            builds kube-apiserver, kube-controller-manager and etcd into the e2e cache
 * `npm run e2e:kubernetes -- run [--report f]` the Kubernetes part of the e2e run, its report under the key `kubernetes`
 * (merged into the file if it already holds other parts' keys).
 */
function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

/** The up's checks: each a line of the run's output; a left-out up (--no-up) is no check, a missing toolchain fails. */
function upChecks(up: KubernetesReport["up"]): Array<[string, boolean]> {
    if ("notRun" in up) return up.notRun.startsWith("left out") ? [] : [[`pulumi up of dev: ${up.notRun}`, false]];
    if (!("objectsByCluster" in up)) return up.failures.map((f): [string, boolean] => [`pulumi up of dev: ${f}`, false]);
    const checks: Array<[string, boolean]> = [
        [`up ${up.stack}: objects by cluster ${JSON.stringify(up.objectsByCluster)} = plan ${JSON.stringify(up.plannedByCluster)}`, sameCounts(up.objectsByCluster, up.plannedByCluster)],
        [`up ${up.stack}: second up changes ${up.secondUpChanges}`, up.secondUpChanges === 0],
        [`up ${up.stack}: refresh finds drift in ${up.refresh.drifted.length} of the stack's resources (${up.refresh.readChanged.length} read-only objects changed)`, up.refresh.drifted.length === 0],
        [
            `up ${up.stack}: policy findings ${up.upPolicyParity.engineFindings} in the engine, ${up.upPolicyParity.offlineFindings} offline, ${up.upPolicyParity.engineOnly.length} only in the engine, ${up.upPolicyParity.offlineOnly.length} only offline`,
            up.upPolicyParity.engineOnly.length === 0 && up.upPolicyParity.offlineOnly.length === 0,
        ],
        [`up ${up.stack}: link port ${up.portChange.from} -> ${up.portChange.to} updated ${up.portChange.updated.length} objects in place`, up.updateInPlace],
        [`up ${up.stack}: destroyed to ${up.destroyedTo} resources, objects left ${JSON.stringify(up.objectsLeftByCluster)}`, up.destroyedTo === 0 && Object.values(up.objectsLeftByCluster).every((n) => n === 0)],
    ];
    return [...checks, ...up.failures.map((f): [string, boolean] => [`up ${up.stack}: ${f}`, false])];
}

async function main(argv: string[]): Promise<number> {
    const program = new Command("e2e:kubernetes").exitOverride();
    program.command("setup").description("build the Kubernetes binaries (once; later runs only check)").action(() => {
        const { stamps } = ensureKubernetesBinaries();
        for (const s of stamps) console.log(`${s.name} ${s.version}: ${(s.sizeBytes / 1048576).toFixed(1)} MiB, built in ${(s.buildMs / 1000).toFixed(0)} s`);
    });
    program
        .command("run")
        .description("two local API servers: CRDs, server-side dry run of every stack's manifests, Pod Security, pulumi up of dev")
        .option("--report <file>", "write (merge) the report's `kubernetes` key into this JSON file")
        .option("--stacks <names>", "comma-separated stacks to dry-run", "dev,staging,prod")
        .option("--no-up", "leave out `pulumi up` of dev (it needs the real CLI and kubernetes plugin from `npm run e2e:setup`)")
        .action(async (options: { report?: string; stacks: string; up: boolean }) => {
            const result = await run({ stacks: options.stacks.split(",").map((s) => s.trim()).filter(Boolean), up: options.up });
            if (options.report) {
                const existing = existsSync(options.report) ? (JSON.parse(readFileSync(options.report, "utf8")) as Record<string, unknown>) : {};
                writeFileSync(options.report, `${JSON.stringify({ ...existing, ...result }, null, 2)}\n`);
                console.log(`report written to ${options.report}`);
            } else {
                console.log(JSON.stringify(result, null, 2));
            }
            const k = result.kubernetes;
            const checks: Array<[string, boolean]> = [
                ...k.dryRun.map((d): [string, boolean] => [`dry run ${d.stack}: ${d.accepted}/${d.manifests} accepted`, d.rejected.length === 0]),
                ...k.dryRunControls.map((c): [string, boolean] => [`dry run refuses ${c.what}`, c.refused]),
                [`pod security: privileged fixture refused in ${k.podSecurity.refusedIn}`, k.podSecurity.refused],
                [`pod security: the program's pods admitted (${k.podSecurity.admittedPods.length})`, k.podSecurity.admitted],
                ...upChecks(k.up),
                ["no process of the run left", k.processesLeft === 0],
            ];
            for (const [name, ok] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
            const failed = checks.filter(([, ok]) => !ok).length;
            console.log(`kubernetes: ${checks.length - failed} passed, ${failed} failed`);
            if (failed > 0) process.exitCode = 1;
        });
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? 0);
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(`e2e:kubernetes failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    },
);
