// `pulumi up` of the dev environment with the real engine and the real kubernetes provider against the two
// local API servers; the cloud providers are the STAND-INS (e2e/standins/), whose cluster answers point at
// the local API servers (e2e/standins/localClusters.ts). Up (its policy findings against the offline plan's),
// a second up, a refresh, a link port change, destroy; each checked on the API servers themselves.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { stackFilePath } from "../../offline/stackFile";
import { binDir, repoRoot } from "../cache";
import { compareFindings, policyArgs } from "../checks/preview";
import { changes, readEventLog } from "../events";
import { localClustersEnv } from "../standins/localClusters";
import { createStack, createWorkspace, type E2eWorkspace } from "../workspace";
import { clientCertificate, type E2eCa } from "./clusterPki";
import { clusterEndpoints, writeExecCredentialPlugins } from "./execPlugins";
import { statusMessage } from "./kubeClient";
import type { LocalCluster } from "./localCluster";
import { planStack } from "./plannedManifests";
import { kubernetesOpsByUrn, objectsCarryingPort, portChangeVerdict, refreshChanges } from "./upVerdicts";
import { findObjects, objectKey, stackObjects, type StackObject } from "./stackObjects";

/** The `kubernetes.up` key of the e2e report. */
export interface KubernetesUpReport {
    stack: string;
    /** The stack's Kubernetes objects found on their own cluster's API server after the first up. */
    objectsByCluster: Record<string, number>;
    /** The offline plan's manifests per cluster for the same config (what objectsByCluster must equal). */
    plannedByCluster: Record<string, number>;
    /** Steps other than "same" in the second up. */
    secondUpChanges: number;
    /**
     * A refresh after the second up: the stack's own resources whose state it changed (what the API servers
     * hold that the state does not: must be none), and the read-only objects (`get`) it changed.
     */
    refresh: { drifted: string[]; readChanged: string[] };
    /**
     * The policy pack the CLI ran during the first up (every value known) against the offline plan of the
     * same stack file, pair for pair: `engineOnly` and `offlineOnly` must be empty.
     */
    upPolicyParity: { engineFindings: number; offlineFindings: number; engineOnly: { policy: string; urn: string }[]; offlineOnly: { policy: string; urn: string }[]; notApplicableInEngine: { policy: string; urn: string }[] };
    /** The link port change updated objects and replaced, created or deleted none (same uids on the API servers). */
    updateInPlace: boolean;
    portChange: { configKey: string; from: number; to: number; updated: string[]; notInPlace: string[]; uidsChanged: string[]; objectsWithNewPort: string[]; objectsWithOldPort: string[] };
    /** Resources left in the state after destroy. */
    destroyedTo: number;
    /** The stack's objects still on each API server after destroy. */
    objectsLeftByCluster: Record<string, number>;
    seconds: { up: number; secondUp: number; refresh: number; portChangeUp: number; destroy: number };
    /** The engine's step summary of each run. */
    steps: Record<"up" | "secondUp" | "refresh" | "portChangeUp" | "destroy", Record<string, number> | undefined>;
    /** How readiness is awaited without kubelets (see e2e/kubernetes/program.ts). */
    awaiting: string;
    failures: string[];
}

/** Platform components the e2e stack leaves to an installation outside it (their CRDs are installed by the harness). */
export const platformInstalledOutside = ["cert-manager", "trust-manager", "reloader", "istio"];
/** The namespaces such an installation creates and the stack's objects go into. */
export const platformNamespaces = ["cert-manager", "istio-system"];

const stack = "dev";
const operationTimeoutMs = 30 * 60_000;

/** dev's stack file with the platform components installed outside the stack: charts cannot be fetched here. */
function writeE2eStackFile(dir: string): string {
    const doc = parseDocument(readFileSync(stackFilePath(stack), "utf8"));
    doc.setIn(["config", "trustmesh:platform"], { installedOutside: platformInstalledOutside });
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    writeFileSync(file, doc.toString());
    return file;
}

/** The e2e entry (program.ts) as the workspace's `main`, next to the copied stacks/ it loads. */
function useE2eProgram(ws: E2eWorkspace): void {
    const target = path.join(ws.projectDir, "e2e", "kubernetes");
    mkdirSync(target, { recursive: true });
    copyFileSync(path.join(repoRoot, "e2e", "kubernetes", "program.ts"), path.join(target, "program.ts"));
    const manifest = parseDocument(readFileSync(path.join(ws.projectDir, "Pulumi.yaml"), "utf8"));
    manifest.set("main", "e2e/kubernetes/program.ts");
    writeFileSync(path.join(ws.projectDir, "Pulumi.yaml"), manifest.toString());
}

/** What an installation of cert-manager and Istio outside the stack leaves behind besides CRDs: their namespaces. */
async function installPlatformNamespaces(cluster: LocalCluster): Promise<void> {
    for (const name of platformNamespaces) {
        const answer = await cluster.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "trustmesh.io/e2e-installed-outside": "true" } } });
        if (answer.status >= 300) throw new Error(`${cluster.name}: creating namespace ${name}: ${statusMessage(answer)}`);
    }
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));

export async function kubernetesUp(clusters: Record<string, LocalCluster>, clientCa: E2eCa, workDir: string, log: (line: string) => void): Promise<KubernetesUpReport> {
    const failures: string[] = [];
    const stacksDir = path.join(workDir, "up-stacks");
    const stackFile = writeE2eStackFile(stacksDir);
    const plan = planStack(stack, path.join(workDir, "up-plan"), stacksDir);
    const planned = new Set(plan.manifests.map((m) => objectKey(m.cluster, m.object)));
    const plannedByCluster: Record<string, number> = {};
    for (const m of plan.manifests) plannedByCluster[m.cluster] = (plannedByCluster[m.cluster] ?? 0) + 1;

    for (const cluster of Object.values(clusters)) await installPlatformNamespaces(cluster);
    const ws = createWorkspace();
    try {
        useE2eProgram(ws);
        await createStack(ws, stack, stackFile);
        const endpointsFile = path.join(ws.root, "local-clusters.json");
        writeFileSync(endpointsFile, JSON.stringify(clusterEndpoints(clusters), null, 2));
        const caBundle = path.join(ws.root, "local-cluster-cas.pem");
        writeFileSync(caBundle, Object.values(clusters).map((c) => `${c.caCertPem.trim()}\n`).join(""));
        const deployer = await clientCertificate(clientCa, "CN=trustmesh-e2e-deployer, O=system:masters");
        const execPlugins = writeExecCredentialPlugins(path.join(ws.root, "exec-plugins"), deployer);
        // Mutating ws.env changes what every later `ws.pulumi` call (and the plugins it starts) sees.
        Object.assign(ws.env, {
            [localClustersEnv]: endpointsFile,
            PATH: [execPlugins, ws.env.PATH].join(path.delimiter),
            // The GKE DNS endpoint's kubeconfig carries no CA (a public CA signs it on GKE): the provider
            // (Go, crypto/x509) trusts the system roots, which here are the local cluster CAs.
            SSL_CERT_FILE: caBundle,
        });
        const events = (name: string) => path.join(ws.root, `kube-${name}.events.jsonl`);
        const policy = policyArgs(stack);
        const pulumi = async (what: string, args: string[]) => {
            log(`pulumi ${args[0]} (${what}) ...`);
            const result = await ws.pulumi([...args, "--stack", stack], { timeoutMs: operationTimeoutMs });
            writeFileSync(path.join(ws.root, `kube-${what}.out.txt`), `${result.stdout}\n${result.stderr}`);
            if (result.code !== 0) throw new Error(`pulumi ${args[0]} (${what}) exited ${result.code} after ${seconds(result.ms)} s:\n${result.stderr.slice(-2500)}${result.stdout.slice(-4000)}`);
            return result;
        };
        const exportState = async () => JSON.parse((await pulumi("export", ["stack", "export"])).stdout).deployment as { resources?: Array<{ urn: string; type: string; external?: boolean }> };

        const up = await pulumi("up", ["up", "--yes", "--skip-preview", "--event-log", events("up"), ...policy]);
        const upEvents = readEventLog(events("up"));
        log(`up: ${JSON.stringify(upEvents.summary)} in ${seconds(up.ms)} s`);
        const upPolicyParity = compareFindings(
            upEvents.policies.map((p) => ({ policy: p.policy, urn: p.urn })),
            plan.violations,
            upEvents,
        );
        const { engineOnly, offlineOnly } = upPolicyParity;
        if (engineOnly.length || offlineOnly.length) failures.push(`the up's policy findings differ from the offline plan's: only in the engine ${JSON.stringify(engineOnly)}, only offline ${JSON.stringify(offlineOnly)}`);
        log(`up policy parity: ${upPolicyParity.engineFindings} findings from the CLI-run pack, ${upPolicyParity.offlineFindings} offline; ${engineOnly.length} only in the engine, ${offlineOnly.length} only offline, ${upPolicyParity.notApplicableInEngine.length} not applicable under the CLI`);
        const stateAfterUp = await exportState();
        const objects: StackObject[] = stackObjects(stateAfterUp);
        const inState = new Set(objects.map((o) => objectKey(o.cluster, o.object)));
        const notInState = [...planned].filter((k) => !inState.has(k));
        const notInPlan = [...inState].filter((k) => !planned.has(k));
        if (notInState.length || notInPlan.length) failures.push(`the state's objects differ from the offline plan's manifests: not in the state ${JSON.stringify(notInState)}, not in the plan ${JSON.stringify(notInPlan)}`);
        const afterUp = await findObjects(objects, clusters);
        if (afterUp.missing.length) failures.push(`objects missing from their cluster after up: ${afterUp.missing.join(", ")}`);
        if (afterUp.onWrongCluster.length) failures.push(`objects on a cluster they do not belong to: ${afterUp.onWrongCluster.join(", ")}`);
        for (const [cluster, n] of Object.entries(afterUp.presentByCluster)) {
            if (n !== (plannedByCluster[cluster] ?? 0)) failures.push(`${cluster}: ${n} objects on the API server, the plan has ${plannedByCluster[cluster] ?? 0}`);
        }
        log(`objects on the API servers: ${JSON.stringify(afterUp.presentByCluster)} (plan ${JSON.stringify(plannedByCluster)})`);

        const second = await pulumi("second-up", ["up", "--yes", "--skip-preview", "--event-log", events("second-up"), ...policy]);
        const secondUpEvents = readEventLog(events("second-up"));
        const secondUpChanges = changes(secondUpEvents.summary);
        if (secondUpChanges !== 0) failures.push(`the second up changed ${secondUpChanges} resources: ${JSON.stringify(secondUpEvents.summary)}`);
        log(`second up: ${secondUpChanges} changes in ${seconds(second.ms)} s`);

        // Refresh reads every object back from the API servers: drift is what they changed or filled in
        // that the state does not hold (a perpetual diff on the next up).
        const refresh = await pulumi("refresh", ["refresh", "--yes", "--skip-preview", "--event-log", events("refresh")]);
        // The objects the stack only reads: a refresh adds or removes none, so the state after the first up names them.
        const readUrns = new Set((stateAfterUp.resources ?? []).filter((r) => r.external).map((r) => r.urn));
        const refreshed = refreshChanges(readFileSync(events("refresh"), "utf8"), readUrns);
        const refreshEvents = readEventLog(events("refresh"));
        const refreshSummaryChanges = changes(refreshEvents.summary);
        if (refreshed.drifted.length + refreshed.readChanged.length !== refreshSummaryChanges) {
            failures.push(`the refresh's summary counts ${refreshSummaryChanges} changes, its events name ${refreshed.drifted.length + refreshed.readChanged.length} resources: the event log's shape is not the one read here`);
        }
        if (refreshed.drifted.length) failures.push(`refresh changed the state of ${refreshed.drifted.length} of the stack's resources (drift): ${refreshed.drifted.join(", ")}`);
        log(`refresh in ${seconds(refresh.ms)} s: ${JSON.stringify(refreshEvents.summary)}; drift in ${refreshed.drifted.length} of the stack's resources, ${refreshed.readChanged.length} read-only objects changed (${refreshed.readChanged.map((u) => u.split("::").pop()).join(", ")})`);

        // A link's port: the mesh link's own port (gateway servers, ServiceEntry, DestinationRule, NetworkPolicy).
        const workspaceStackFile = path.join(ws.projectDir, "stacks", `Pulumi.${stack}.yaml`);
        const doc = parseDocument(readFileSync(workspaceStackFile, "utf8"));
        const portPath = ["config", "trustmesh:mesh", "links", 0, "linkPort"];
        const from = Number(doc.getIn(portPath));
        const to = from + 1;
        doc.setIn(portPath, to);
        writeFileSync(workspaceStackFile, doc.toString());
        const portUp = await pulumi("port-change-up", ["up", "--yes", "--skip-preview", "--event-log", events("port-change-up"), ...policy]);
        const afterPort = await findObjects(objects, clusters);
        const plannedObjects = Object.fromEntries(plan.manifests.map((m) => [objectKey(m.cluster, m.object), m.object]));
        const withNewPort = objectsCarryingPort(to, afterPort.live);
        const withOldPort = objectsCarryingPort(from, afterPort.live);
        const verdict = portChangeVerdict({
            ops: kubernetesOpsByUrn(readFileSync(events("port-change-up"), "utf8")),
            uidsBefore: afterUp.uids,
            uidsAfter: afterPort.uids,
            expectedWithNewPort: objectsCarryingPort(from, plannedObjects),
            withNewPort,
            withOldPort,
        });
        const { updateInPlace, updated, notInPlace, uidsChanged } = verdict;
        if (!updateInPlace) failures.push(`the link port change (${from} -> ${to}) was not a complete in-place update: ${verdict.problems.join("; ")}`);
        log(`port change ${from} -> ${to}: ${updated.length} Kubernetes objects updated in place, ${notInPlace.length} not, ${withNewPort.length} carry the new port, in ${seconds(portUp.ms)} s`);

        const destroy = await pulumi("destroy", ["destroy", "--yes", "--skip-preview", "--event-log", events("destroy")]);
        const destroyedTo = ((await exportState()).resources ?? []).length;
        if (destroyedTo !== 0) failures.push(`destroy left ${destroyedTo} resources in the state`);
        const afterDestroy = await findObjects(objects, clusters);
        if (Object.values(afterDestroy.presentByCluster).some((n) => n > 0)) failures.push(`objects left on the API servers after destroy: ${Object.keys(afterDestroy.uids).join(", ")}`);
        log(`destroy in ${seconds(destroy.ms)} s: ${destroyedTo} resources left in the state, objects left ${JSON.stringify(afterDestroy.presentByCluster)}`);

        return {
            stack,
            objectsByCluster: afterUp.presentByCluster,
            plannedByCluster,
            secondUpChanges,
            refresh: refreshed,
            upPolicyParity,
            updateInPlace,
            portChange: { configKey: "trustmesh:mesh.links[0].linkPort", from, to, updated, notInPlace, uidsChanged, objectsWithNewPort: withNewPort, objectsWithOldPort: withOldPort },
            destroyedTo,
            objectsLeftByCluster: afterDestroy.presentByCluster,
            steps: {
                up: upEvents.summary,
                secondUp: secondUpEvents.summary,
                refresh: refreshEvents.summary,
                portChangeUp: readEventLog(events("port-change-up")).summary,
                destroy: readEventLog(events("destroy")).summary,
            },
            seconds: { up: seconds(up.ms), secondUp: seconds(second.ms), refresh: seconds(refresh.ms), portChangeUp: seconds(portUp.ms), destroy: seconds(destroy.ms) },
            awaiting:
                "pulumi.com/skipAwait on Deployment, StatefulSet, DaemonSet and Service only (no kubelet runs their pods); every other object and every delete keeps the provider's await",
            failures,
        };
    } finally {
        ws.dispose();
    }
}

/** Why the up cannot run (the real CLI or the kubernetes plugin not built), or undefined. */
export function upToolchainMissing(): string | undefined {
    const missing = ["pulumi", "pulumi-resource-kubernetes"].map((name) => path.join(binDir, name)).filter((file) => !existsSync(file));
    return missing.length ? `not built: ${missing.join(", ")} (run \`npm run e2e:setup -- --only up,kubernetes\`)` : undefined;
}
