import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * `pulumi up` loads `stacks/` (Pulumi.yaml `main`) through ts-node as CommonJS, not through tsx as the
 * tests do. This runs the real entry point that way, so a module-format or syntax problem that only
 * the CLI would hit fails here.
 */
describe("Pulumi entry point", function () {
    this.timeout(120_000);

    it("loads under ts-node and registers the environment with its outputs", () => {
        const script = path.join(__dirname, "fixtures", "entrypoint", "run.ts");
        const tsNode = require.resolve("ts-node/dist/bin.js");
        // Type checking is `npm test`'s job; here only loading and running matter.
        const stdout = execFileSync(process.execPath, [tsNode, "--transpile-only", script, "dev"], { cwd: path.join(__dirname, ".."), encoding: "utf8" });
        const result = JSON.parse(stdout.trim().split("\n").pop()!) as { resources: number; outputs: string[]; secretOutputs: string[] };
        assert.ok(result.resources > 150, `${result.resources} resources`);
        assert.ok(result.outputs.includes("rootCaCertificate"));
        assert.deepEqual(result.secretOutputs, ["aksKubeconfig", "gkeKubeconfig"]);
    });
});
