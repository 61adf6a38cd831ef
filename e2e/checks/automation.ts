// The Automation API and `npm run deploy` on the real CLI, over a PKI-only environment (the layer whose
// resources can be created here): the API's preview -> up -> outputs -> refresh -> destroy, then
// `deploy` from a stack file whose secure value only the stack's own secrets provider can decrypt, two
// deploys at once on one stack (one must get "locked", exit 3) and the state checked afterwards.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { readStackFile } from "../../offline/stackFile";
import { cacheRoot, repoRoot } from "../cache";
import { runCommand, type CommandResult } from "../proc";
import { createStack, type E2eWorkspace } from "../workspace";

export interface AutomationReport {
    lockedSeen: boolean;
    statusSequence: string[];
    outputKeys: string[];
    /** Exit codes of the two concurrent deploys, in the order they finished. */
    concurrentDeployExitCodes: number[];
    /** After both deploys: resources in the state, and what a third deploy changed (expected none). */
    stateResourcesAfterLock: number;
    changesAfterLock: string;
    /** The deploy read the stack file's secure value through the stack's secrets provider (no variable given). */
    secureValueDecrypted: boolean;
    failures: string[];
}

const tsx = (...args: string[]) => [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), ...args];

export async function automationE2e(ws: E2eWorkspace, log: (line: string) => void): Promise<AutomationReport> {
    const failures: string[] = [];
    const dev = readStackFile("dev");
    const pkiOnly = { environment: "dev", pki: dev.trustmesh.pki };

    // 1. The Automation API entry, in a child process.
    const options = {
        stack: "auto-api",
        config: pkiOnly,
        backendUrl: ws.backendUrl,
        secretsProvider: "passphrase",
        pulumiRoot: cacheRoot,
        workRoot: path.join(ws.root, "automation"),
        envVars: { PULUMI_CONFIG_PASSPHRASE: ws.env.PULUMI_CONFIG_PASSPHRASE!, PULUMI_HOME: ws.env.PULUMI_HOME! },
    };
    const api = await runCommand(process.execPath, tsx(path.join(__dirname, "automationChild.ts"), JSON.stringify(options)), { cwd: repoRoot, env: ws.env, timeoutMs: 15 * 60_000 });
    writeFileSync(path.join(ws.root, "automation-api.out.txt"), `${api.stdout}\n${api.stderr}`);
    const apiResult = api.code === 0 ? JSON.parse(api.stdout.trim().split("\n").pop()!) : { statusSequence: [], outputKeys: [] };
    if (api.code !== 0) failures.push(`the Automation API sequence failed (exit ${api.code}): ${api.stderr.slice(-2000)}`);
    const expected = ["preview:succeeded", "up:succeeded", "refresh:succeeded", "destroy:succeeded"];
    if (JSON.stringify(apiResult.statusSequence) !== JSON.stringify(expected)) failures.push(`Automation API statuses ${JSON.stringify(apiResult.statusSequence)}, expected ${JSON.stringify(expected)}`);
    log(`automation API: ${apiResult.statusSequence.join(" -> ")} in ${(api.ms / 1000).toFixed(1)} s; outputs ${apiResult.outputKeys?.join(", ")}`);

    // 2. `npm run deploy` from a stack file made by the CLI: config set --secret puts ciphertext of the
    //    stack's passphrase provider in it; deploy is given no variable for it.
    const stack = "auto-deploy";
    const source = path.join(ws.root, `Pulumi.${stack}.yaml`);
    writeFileSync(source, stringify({ config: { "trustmesh:environment": "dev", "trustmesh:pki": dev.trustmesh.pki, "gcp:credentials": { secure: "v1:set-by-the-e2e-run" } } }));
    await createStack(ws, stack, source);
    const deployArgs = ["--stack", stack, "--stacks-dir", path.join(ws.projectDir, "stacks"), "--backend-url", ws.backendUrl, "--pulumi-root", cacheRoot, "--work-root", path.join(ws.root, "deploy")];
    const deploy = (): Promise<CommandResult> => runCommand(process.execPath, tsx(path.join(repoRoot, "automation", "cli", "deploy.ts"), ...deployArgs), { cwd: repoRoot, env: ws.env, timeoutMs: 15 * 60_000 });
    const finished: CommandResult[] = [];
    await Promise.all([deploy(), deploy()].map((p) => p.then((r) => finished.push(r))));
    writeFileSync(path.join(ws.root, "deploy-concurrent.out.txt"), finished.map((r) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`).join("\n----\n"));
    const codes = finished.map((r) => r.code);
    const lockedSeen = codes.includes(3) && codes.includes(0) && finished.some((r) => /locked by another update/.test(r.stdout + r.stderr));
    if (!lockedSeen) failures.push(`two concurrent deploys exited ${JSON.stringify(codes)}; expected one 0 and one 3 (locked)`);
    const secureValueDecrypted = finished.some((r) => r.code === 0) && !finished.some((r) => /could not be decrypted/.test(r.stderr));
    if (!secureValueDecrypted) failures.push("deploy did not decrypt the stack file's secure value with the stack's secrets provider");
    log(`deploy twice at once: exit codes ${codes.join(", ")}${lockedSeen ? " (one locked)" : ""}`);

    // 3. The state after the lock: intact, and a further deploy changes nothing.
    const exported = await ws.pulumi(["stack", "export", "--stack", stack]);
    const stateResourcesAfterLock = exported.code === 0 ? (JSON.parse(exported.stdout).deployment.resources ?? []).length : -1;
    const again = await deploy();
    const changesAfterLock = /succeeded \(([^)]*)\)/.exec(again.stdout)?.[1] ?? `exit ${again.code}`;
    if (again.code !== 0 || !/^(same \d+|no changes)$/.test(changesAfterLock)) failures.push(`a deploy after the concurrent ones: ${changesAfterLock}`);
    if (stateResourcesAfterLock < 3) failures.push(`the state after the concurrent deploys holds ${stateResourcesAfterLock} resources`);
    const destroy = await ws.pulumi(["destroy", "--yes", "--stack", stack]);
    if (destroy.code !== 0) failures.push(`destroy of ${stack} failed: ${destroy.stderr.slice(-1000)}`);
    log(`deploy: state after the lock has ${stateResourcesAfterLock} resources; a further deploy: ${changesAfterLock}`);

    return { lockedSeen, statusSequence: apiResult.statusSequence, outputKeys: apiResult.outputKeys ?? [], concurrentDeployExitCodes: codes, stateResourcesAfterLock, changesAfterLock, secureValueDecrypted, failures };
}
