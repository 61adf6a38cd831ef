import * as automation from "@pulumi/pulumi/automation";
import type { ConfigMap, PulumiCommand } from "@pulumi/pulumi/automation";
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resolvePulumiCommand, type AutomationDependencies, type EnvironmentStack } from "../automation";
import { configValueAt, DeployExitCode, deployCli, secretEnvVar, secureValues, type DecryptRequest } from "../automation/cli/deploy";
import { parseStackFile, readStackFile } from "../offline/stackFile";
import { captureOutput, tempStack } from "./helpers/stacks";

const secretVar = "TRUSTMESH_SECRET_AZURE_KEYVAULT_SECRETS_DB_PASSWORD";
/** Every encrypted value of the dev stack file, given in the environment as deploy expects. */
const devSecretsEnv: NodeJS.ProcessEnv = Object.fromEntries(secureValues(readStackFile("dev")).map((s) => [s.envVar, "s3cret-from-the-environment"]));

function fakeDeps(onCall: (op: string) => void = () => undefined) {
    const seen = { ops: [] as string[], configs: [] as ConfigMap[], resolved: 0 };
    const result = { stdout: "", stderr: "", changeSummary: { create: 2 }, summary: { resourceChanges: { create: 2 } }, outputs: { environment: { value: "dev", secret: false } } };
    const op = (name: string) => async (opts: { onOutput?: (t: string) => void } = {}) => {
        seen.ops.push(name);
        onCall(name);
        opts.onOutput?.(`${name}ing (dev)\n`);
        return result;
    };
    const stack = { setAllConfig: async (c: ConfigMap) => void seen.configs.push(c), preview: op("preview"), up: op("up"), refresh: op("refresh"), destroy: op("destroy"), outputs: async () => ({}) };
    const dependencies: AutomationDependencies = {
        resolvePulumi: async () => {
            seen.resolved++;
            return {} as PulumiCommand;
        },
        createStack: async () => stack as unknown as EnvironmentStack,
    };
    return { seen, dependencies };
}

/** A stack whose secrets provider cannot be reached: the stack does not exist in any backend here. */
const noStack = async (request: DecryptRequest): Promise<ConfigMap> => {
    throw new Error(`error: no stack named '${request.stack}' found`);
};

async function deploy(argv: string[], dependencies: AutomationDependencies, env: NodeJS.ProcessEnv = devSecretsEnv, decryptStackConfig = noStack) {
    const io = captureOutput();
    const written: string[] = [];
    const workRoot = mkdtempSync(path.join(tmpdir(), "deploy-"));
    const code = await deployCli([...argv, "--work-root", workRoot], { log: io.log, err: io.error, write: (t) => written.push(t), env, dependencies, decryptStackConfig });
    return { code, out: io.out.join("\n"), err: io.err.join("\n"), written: written.join("") };
}

describe("npm run deploy", function () {
    this.timeout(60_000);

    it("exits 2 on a bad stack config, listing every problem, before the CLI is looked for", async () => {
        const stacksDir = tempStack("dev", "broken", (config) => {
            config["trustmesh:environment"] = "qa";
            config["trustmesh:gcp"].network.podsCidr = "10.20.0.1/16";
        });
        const { seen, dependencies } = fakeDeps();
        const result = await deploy(["--stack", "broken", "--stacks-dir", stacksDir], dependencies);
        assert.equal(result.code, 2, result.err);
        assert.match(result.err, /invalid trustmesh config in .*Pulumi\.broken\.yaml \(2 problems\)/);
        assert.match(result.err, /trustmesh:environment/);
        assert.match(result.err, /trustmesh:gcp\.network\.podsCidr/);
        assert.equal(seen.resolved, 0);
    });

    it("exits 2 on a stack that has no file, and on a missing --stack", async () => {
        const { dependencies } = fakeDeps();
        const missing = await deploy(["--stack", "nope"], dependencies);
        assert.equal(missing.code, 2);
        assert.match(missing.err, /no stack file for stack "nope"/);
        assert.equal((await deploy([], dependencies)).code, 2);
    });

    it("decrypts the stack file's secure values with the stack's own secrets provider, in the project folder", async () => {
        const { seen, dependencies } = fakeDeps();
        const requests: DecryptRequest[] = [];
        const decrypted: ConfigMap = {
            "trustmesh:azure": { value: JSON.stringify({ keyVault: { secrets: { "db-password": "decrypted-db" } } }), secret: true },
            "trustmesh:mesh": { value: JSON.stringify({ example: { rootPassword: "decrypted-root" } }), secret: true },
            // Seed workloads (#14): the payments application's secret and the keystore password.
            "trustmesh:namespaces": { value: JSON.stringify([{ secrets: { values: { "api-token": "decrypted-token" } } }]), secret: true },
            "trustmesh:workloads": { value: JSON.stringify({ keystoreService: { keystorePassword: "decrypted-keystore" } }), secret: true },
        };
        const override = { [secretVar]: "from-the-environment" };
        const result = await deploy(["--stack", "dev", "--preview", "--backend-url", "file:///tmp/b"], dependencies, override, async (request) => {
            requests.push(request);
            return decrypted;
        });
        assert.equal(result.code, 0, result.err);
        assert.equal(requests.length, 1);
        assert.equal(requests[0]!.stack, "dev");
        assert.equal(requests[0]!.backendUrl, "file:///tmp/b");
        assert.equal(requests[0]!.projectDir, path.resolve(__dirname, ".."), "the stacks folder's parent holds Pulumi.yaml");
        const config = seen.configs[0]!;
        assert.equal(JSON.parse(config["trustmesh:azure"]!.value).keyVault.secrets["db-password"], "from-the-environment", "an environment variable overrides");
        assert.equal(JSON.parse(config["trustmesh:mesh"]!.value).example.rootPassword, "decrypted-root");
        assert.equal(config["trustmesh:mesh"]!.secret, true);
        assert.equal(configValueAt(decrypted, "trustmesh:azure.keyVault.secrets.db-password"), "decrypted-db");
        assert.equal(configValueAt({ "gcp:credentials": { value: "c", secret: true } }, "gcp:credentials"), "c");
        assert.equal(configValueAt(decrypted, "trustmesh:azure.keyVault.missing"), undefined);
    });

    it("when the stack's secrets provider cannot decrypt, names each value's environment variable instead of deploying a placeholder", async () => {
        const { seen, dependencies } = fakeDeps();
        const result = await deploy(["--stack", "dev", "--preview"], dependencies, {});
        assert.equal(result.code, 2);
        assert.match(result.err, /could not be decrypted with stack "dev"'s secrets provider \(error: no stack named 'dev' found\)/);
        assert.match(result.err, new RegExp(`${secretVar} for trustmesh:azure\\.keyVault\\.secrets\\.db-password`));
        assert.equal(seen.resolved, 0);
        const partial = await deploy(["--stack", "dev", "--preview"], dependencies, { [secretVar]: "s3cret-from-the-environment" });
        assert.equal(partial.code, 2);
        assert.doesNotMatch(partial.err, new RegExp(secretVar), "only the missing ones are listed");

        const file = parseStackFile(
            "t",
            "config:\n  gcp:project: p\n  azure-native:clientSecret:\n    secure: v1:abc\n  trustmesh:namespaces:\n    - name: a\n      note:\n        secure: v1:def\n",
            "Pulumi.t.yaml",
        );
        assert.deepEqual(secureValues(file), [
            { path: "azure-native:clientSecret", envVar: "TRUSTMESH_SECRET_AZURE_NATIVE_CLIENTSECRET" },
            { path: "trustmesh:namespaces[0].note", envVar: "TRUSTMESH_SECRET_NAMESPACES_0_NOTE" },
        ]);
        assert.equal(secretEnvVar("trustmesh:mesh.example.rootPassword"), "TRUSTMESH_SECRET_MESH_EXAMPLE_ROOTPASSWORD");
    });

    it("prints how to install the Pulumi CLI and exits 1 when it is missing", async () => {
        const { dependencies } = fakeDeps();
        const empty = mkdtempSync(path.join(tmpdir(), "empty-"));
        const result = await deploy(["--stack", "dev", "--preview"], { ...dependencies, resolvePulumi: () => resolvePulumiCommand({ env: { PATH: empty } }) });
        assert.equal(result.code, 1);
        assert.match(result.err, /the Pulumi CLI was not found .*get\.pulumi\.com/s);
        assert.doesNotMatch(result.err, /at .*\.ts:\d+/, "no stack trace");
    });

    it("--preview previews with the stack file's config, the secret from the environment, and streams the output", async () => {
        const { seen, dependencies } = fakeDeps();
        const result = await deploy(["--stack", "dev", "--preview"], dependencies);
        assert.equal(result.code, 0, result.err);
        assert.deepEqual(seen.ops, ["preview"]);
        assert.equal(result.written, "previewing (dev)\n");
        assert.match(result.out, /deploy: preview of stack "dev" succeeded \(create 2\)/);
        const config = seen.configs[0]!;
        assert.equal(config["trustmesh:azure"]!.secret, true);
        assert.equal(JSON.parse(config["trustmesh:azure"]!.value).keyVault.secrets["db-password"], "s3cret-from-the-environment");
        assert.deepEqual(config["gcp:project"], { value: "trustmesh-dev", secret: false });
        assert.equal(config["trustmesh:gcp"]!.secret, false);
    });

    it("deploys without --preview and prints the outputs; a locked stack exits 3", async () => {
        const { seen, dependencies } = fakeDeps();
        const up = await deploy(["--stack", "dev"], dependencies);
        assert.equal(up.code, 0, up.err);
        assert.deepEqual(seen.ops, ["up"]);
        assert.match(up.out, /outputs:\n\s+environment: "dev"/);

        const locked = fakeDeps((op) => {
            const sdk = automation as unknown as { createCommandError(r: unknown): Error; CommandResult: new (o: string, e: string, c: number) => unknown };
            if (op === "up") throw sdk.createCommandError(new sdk.CommandResult("", "error: [409] Conflict: Another update is currently in progress.", 255));
        });
        const result = await deploy(["--stack", "dev"], locked.dependencies);
        assert.equal(result.code, DeployExitCode.locked);
        assert.match(result.out, /locked by another update/);
    });
});
