// `up` for real where the providers allow it: the PKI layer (the environment's root CA) as a program of its
// own over the dev config, through up, stack outputs, a second up, refresh and destroy.
import { X509Certificate } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stackFilePath } from "../../offline/stackFile";
import { changes, readEventLog } from "../events";
import { createStack, type E2eWorkspace } from "../workspace";
import { policyArgs } from "./preview";

export interface UpReport {
    stack: string;
    /** Resources in the state after the first up (the stack and its providers included). */
    resources: number;
    outputs: Record<string, unknown>;
    secretOutputs: string[];
    /** Steps other than "same" in the second up. */
    secondUpChanges: number;
    /** Steps other than "same" in the refresh. */
    refreshDrift: number;
    /** Resources left in the state after destroy. */
    destroyedTo: number;
    /** The root CA private key is a secret (ciphertext) in the state, and its PEM appears nowhere in it. */
    privateKeySecretInState: boolean;
    tlsProvider: string;
    failures: string[];
}

/** The program: the PKI layer alone (no clusters), returning the environment outputs it owns. */
const pkiProgram = `import { readEnvironmentConfig } from "../stacks/config";
import type { EnvironmentStackOutputs } from "../stacks/program";
import { deployPki } from "../stacks/pki";

const config = readEnvironmentConfig();
const pki = deployPki(config, {});
const outputs: Pick<EnvironmentStackOutputs, "environment" | "rootCaCertificate"> = {
    environment: config.environment,
    rootCaCertificate: pki.outputs.rootCaCertificate,
};
export = outputs;
`;

export async function pkiUp(ws: E2eWorkspace, log: (line: string) => void, tlsProvider: string): Promise<UpReport> {
    const dir = path.join(ws.projectDir, "e2e-pki");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: trustmesh\ndescription: trustmesh e2e - the PKI layer alone\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(path.join(dir, "index.ts"), pkiProgram);
    // Its own package.json: the SDK takes a program folder's entry from the nearest one's "main".
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "trustmesh-e2e-pki", private: true, main: "index.ts" }));
    const stack = "pki-dev";
    await createStack(ws, stack, stackFilePath("dev"), { dir, stackConfigDir: dir });
    const failures: string[] = [];
    const pulumi = (args: string[]) => ws.pulumi([...args, "--stack", stack], { cwd: dir });
    const events = (name: string) => path.join(ws.root, `pki-${name}.events.jsonl`);
    const policy = policyArgs("dev");

    const up = await pulumi(["up", "--yes", "--event-log", events("up"), ...policy]);
    if (up.code !== 0) throw new Error(`pki up failed (exit ${up.code}):\n${up.stderr.slice(-3000)}${up.stdout.slice(-3000)}`);
    log(`pki up: ${JSON.stringify(readEventLog(events("up")).summary)} in ${(up.ms / 1000).toFixed(1)} s`);

    const exported = await pulumi(["stack", "export", "--show-secrets=false"]);
    const deployment = JSON.parse(exported.stdout).deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] };
    const resources = deployment.resources ?? [];
    const key = resources.find((r) => r.type === "tls:index/privateKey:PrivateKey");
    const pem = key?.outputs?.privateKeyPem as Record<string, unknown> | undefined;
    const privateKeySecretInState = !!pem && typeof pem === "object" && "ciphertext" in pem && !/PRIVATE KEY-----/.test(exported.stdout);
    if (!privateKeySecretInState) failures.push("the root CA private key is not a secret in the state");

    const outputsRun = await pulumi(["stack", "output", "--json"]);
    const outputs = JSON.parse(outputsRun.stdout) as Record<string, unknown>;
    const secretOutputs = Object.entries(outputs).filter(([, v]) => v === "[secret]").map(([k]) => k);
    const cert = typeof outputs.rootCaCertificate === "string" ? new X509Certificate(outputs.rootCaCertificate) : undefined;
    if (!cert?.ca) failures.push("stack output rootCaCertificate is not a CA certificate");
    if (outputs.environment !== "dev") failures.push(`stack output environment is ${JSON.stringify(outputs.environment)}, expected "dev"`);

    const second = await pulumi(["up", "--yes", "--event-log", events("up2"), ...policy]);
    const secondUpChanges = second.code === 0 ? changes(readEventLog(events("up2")).summary) : -1;
    if (secondUpChanges !== 0) failures.push(`the second up changed ${secondUpChanges} resources (exit ${second.code})`);

    const refresh = await pulumi(["refresh", "--yes", "--event-log", events("refresh")]);
    const refreshDrift = refresh.code === 0 ? changes(readEventLog(events("refresh")).summary) : -1;
    if (refreshDrift !== 0) failures.push(`refresh found drift in ${refreshDrift} resources (exit ${refresh.code})`);

    const destroy = await pulumi(["destroy", "--yes"]);
    const after = await pulumi(["stack", "export"]);
    const destroyedTo = destroy.code === 0 ? (JSON.parse(after.stdout).deployment.resources ?? []).length : -1;
    if (destroyedTo !== 0) failures.push(`destroy left ${destroyedTo} resources (exit ${destroy.code})`);
    writeFileSync(path.join(ws.root, "pki-outputs.txt"), [up, second, refresh, destroy].map((r) => r.stdout + r.stderr).join("\n----\n"));
    const report: UpReport = { stack, resources: resources.length, outputs: { ...outputs, rootCaCertificate: cert ? `CA certificate, subject ${cert.subject.replace(/\n/g, ", ")}` : outputs.rootCaCertificate }, secretOutputs, secondUpChanges, refreshDrift, destroyedTo, privateKeySecretInState, tlsProvider, failures };
    log(`pki: ${report.resources} resources, second up ${secondUpChanges} changes, refresh drift ${refreshDrift}, destroyed to ${destroyedTo}${failures.length ? `; FAILED: ${failures.join("; ")}` : ""}`);
    return report;
}
