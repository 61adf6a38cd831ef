import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { planCli } from "../offline/cli/plan";
import { runOffline, type RecordedResource } from "../offline/engine";
import "../offline/fakes/index";
import { readStackFile } from "../offline/stackFile";
import { SECRET_PLACEHOLDER, isPlainObject } from "../offline/values";
import { parseEnvironmentConfig } from "../stacks/config";
import { buildEnvironment } from "../stacks/program";

// No credential reaches a place a person or a file can read: the plan JSON, the rendered manifests
// and everything `npm run plan` prints carry "[secret]" instead; every credential the program hands
// on (resource inputs, stack outputs) is a Pulumi secret.

/** Names of a value that is a credential: input keys and stack output names. */
const credentialPattern = /kube_?config|private_?key|password|passwd|token|credential|client_?secret|secret_?value|connection_?string|secrets?$|^(tls|ca)\.key$/i;
/** Names that point at a credential without holding it (`credentialName`, `secretRef`, `tokenTtl`...). */
const referencePattern = /(name|names|ref|refs|class|interval|rotation|ttl|path|uri|uris|id|ids|type)$/i;
const credentialName = { test: (name: string) => credentialPattern.test(name) && !referencePattern.test(name) };
/**
 * Upstream fields named like credentials that hold references: a Secret Manager version's parent secret
 * (its resource id), and the secret resource names a `gke` SecretProviderClass mounts.
 */
const referenceFields: Record<string, string[]> = {
    "gcp:secretmanager/secretVersion:SecretVersion": ["secret"],
    "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass": ["spec.parameters.secrets"],
};
const isReferenceField = (urn: string, at: string) => referenceFields[urn.split("::")[2]?.split("$").pop() ?? ""]?.includes(at) ?? false;

const privateKeyPem = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const offlineSecret = /offline-secret-[0-9a-f]{12}/;

/** Every leak in a text: PEM private keys (also base64-encoded), offline secret placeholders, known cleartexts. */
export function leaks(text: string, cleartexts: string[]): string[] {
    const found: string[] = [];
    if (privateKeyPem.test(text)) found.push("a PEM private key");
    const placeholder = offlineSecret.exec(text);
    if (placeholder) found.push(`the offline secret ${placeholder[0]}`);
    for (const run of text.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []) {
        if (privateKeyPem.test(Buffer.from(run, "base64").toString("latin1"))) {
            found.push("a base64-encoded PEM private key");
            break;
        }
    }
    for (const secret of cleartexts) if (text.includes(secret)) found.push(`the secret value "${secret.slice(0, 12)}..."`);
    return found;
}

/**
 * String leaves of a value with their paths, written as the engine writes secret paths. A serialised
 * resource reference (`__pulumiResource`) is not data: its credentials are checked on that resource.
 */
function leaves(value: unknown, prefix = ""): Array<{ path: string; key: string; value: string }> {
    if (typeof value === "string") return [{ path: prefix, key: prefix.split(/[.[\]]/).filter(Boolean).pop() ?? "", value }];
    if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${prefix}[${i}]`));
    if (isPlainObject(value) && value.__pulumiResource === true) return [];
    if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
    return [];
}

function underSecret(resource: RecordedResource, leafPath: string): boolean {
    return resource.secretPaths.some((s) => s === "." || leafPath === s || leafPath.startsWith(`${s}.`) || leafPath.startsWith(`${s}[`));
}

function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
}

/** Runs a function while copying everything written to stdout and stderr (Pulumi's own log lines too). */
async function capturingConsole<T>(run: (line: (s: string) => void) => Promise<T>): Promise<{ value: T; text: string }> {
    const chunks: string[] = [];
    const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const tap = (chunk: unknown) => {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
        return true;
    };
    process.stdout.write = tap as typeof process.stdout.write;
    process.stderr.write = tap as typeof process.stderr.write;
    try {
        const value = await run((s) => chunks.push(`${s}\n`));
        return { value, text: chunks.join("") };
    } finally {
        process.stdout.write = originals.out;
        process.stderr.write = originals.err;
    }
}

/** Output values at credential-named paths of what the program returned, Outputs included. */
function credentialOutputs(value: unknown, prefix: string): Array<{ path: string; value: unknown }> {
    if (pulumi.Output.isInstance(value) || typeof value !== "object" || value === null) return [];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
        const at = prefix ? `${prefix}.${k}` : k;
        return [...(credentialName.test(k) ? [{ path: at, value: v }] : []), ...credentialOutputs(v, at)];
    });
}

describe("secret hygiene", function () {
    this.timeout(300_000);

    it("the leak scanner finds what it looks for (so the checks below can fail)", () => {
        const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
        assert.deepEqual(leaks(`key: ${pem}`, []), ["a PEM private key"]);
        assert.deepEqual(leaks(`tls.key: ${Buffer.from(pem).toString("base64")}`, []), ["a base64-encoded PEM private key"]);
        assert.equal(leaks("value: offline-secret-0123456789ab", []).length, 1);
        assert.equal(leaks("password: hunter2hunter2", ["hunter2hunter2"]).length, 1);
        assert.deepEqual(leaks(`password: "${SECRET_PLACEHOLDER}"`, ["hunter2hunter2"]), []);
        assert.ok(credentialName.test("gkeKubeconfig") && credentialName.test("privateKeyPem") && credentialName.test("tls.key"));
        assert.ok(!credentialName.test("secretName") && !credentialName.test("credentialName") && !credentialName.test("rootCaCertificate"));
    });

    for (const stack of ["dev", "staging", "prod"]) {
        describe(stack, () => {
            let work: string;
            before(() => (work = mkdtempSync(path.join(tmpdir(), `secrets-${stack}-`))));
            after(() => rmSync(work, { recursive: true, force: true }));

            /** Cleartext credentials the program handles, from a run whose inputs keep them (never printed). */
            let cleartexts: string[] = [];

            it("marks every credential in resource inputs and stack outputs as a secret", async () => {
                const file = readStackFile(stack);
                const config = parseEnvironmentConfig(file.trustmesh, file.path);
                let returned: Record<string, unknown> = {};
                const run = await runOffline(
                    () => {
                        returned = { ...buildEnvironment(config) };
                        return returned;
                    },
                    { stack, config: file.config, secretKeys: file.secretKeys },
                );
                const problems: string[] = [];
                for (const resource of run.resources) {
                    for (const leaf of leaves(resource.rawInputs)) {
                        const credential = credentialName.test(leaf.key) || privateKeyPem.test(leaf.value) || offlineSecret.test(leaf.value);
                        if (!credential || leaf.value === "" || isReferenceField(resource.urn, leaf.path)) continue;
                        if (underSecret(resource, leaf.path)) cleartexts.push(leaf.value);
                        else problems.push(`${resource.urn}: input ${leaf.path} carries a credential but is not a secret`);
                    }
                }
                for (const { path: at, value } of credentialOutputs(returned, "")) {
                    if (value === undefined) continue;
                    const secret = pulumi.Output.isInstance(value) ? await pulumi.isSecret(value as pulumi.Output<unknown>) : false;
                    if (!secret) problems.push(`stack output ${at} carries a credential but is not a secret (pulumi.isSecret)`);
                }
                for (const name of Object.keys(run.outputs).filter((k) => credentialName.test(k))) {
                    if (!run.secretOutputs.includes(name)) problems.push(`stack output ${name} is not among the engine's secretOutputs`);
                }
                for (const leaf of leaves(run.outputs)) {
                    if (credentialName.test(leaf.key) && leaf.value !== SECRET_PLACEHOLDER) problems.push(`stack output ${leaf.path} is printed in the clear`);
                }
                cleartexts = [...new Set(cleartexts.filter((c) => c.length >= 8))];
                assert.deepEqual(problems, []);
                assert.ok(run.resources.length > 1, "the program registered nothing");
            });

            it("prints, writes and renders no credential outside \"[secret]\"", async () => {
                const json = path.join(work, "plan.json");
                const out = path.join(work, "manifests");
                const { value: code, text: consoleText } = await capturingConsole((line) => planCli(["--stack", stack, "--json", json, "--out", out], line, line));
                assert.ok(code === 0 || code === 1, `npm run plan exited ${code}:\n${consoleText}`);
                const places: Array<[string, string]> = [
                    ["the console output", consoleText],
                    ["the plan JSON", readFileSync(json, "utf8")],
                    ...filesUnder(out).map((f): [string, string] => [path.relative(work, f), readFileSync(f, "utf8")]),
                ];
                assert.ok(places.length > 2, "no manifests were rendered");
                const found = places.flatMap(([where, text]) => leaks(text, cleartexts).map((l) => `${where}: ${l}`));
                assert.deepEqual(found, []);
                const body = JSON.parse(readFileSync(json, "utf8")) as { resources: Array<{ urn: string; inputs: unknown; secretPaths: string[] }> };
                const unredacted = body.resources.flatMap((r) =>
                    leaves(r.inputs)
                        .filter((l) => credentialName.test(l.key) && l.value !== SECRET_PLACEHOLDER && l.value !== "" && !isReferenceField(r.urn, l.path))
                        .map((l) => `${r.urn}: ${l.path}`),
                );
                assert.deepEqual(unredacted, [], "credential-named inputs printed in the clear in the plan JSON");
            });
        });
    }
});
