import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { planCli } from "../offline/cli/plan";
import { planExitCode, type PlanResult } from "../offline/plan";
import { captureOutput, tempStack } from "./helpers/stacks";
import { plannedStack } from "./helpers/plans";

async function plan(...argv: string[]) {
    const io = captureOutput();
    const code = await planCli(argv, io.log, io.error);
    return { code, out: io.out.join("\n"), err: io.err.join("\n") };
}

describe("npm run plan", function () {
    this.timeout(300_000);

    it("plans dev by default, prints progress and a summary, and exits 0", async () => {
        const out = mkdtempSync(path.join(tmpdir(), "plan-"));
        const result = await plan("--out", out);
        assert.equal(result.code, 0, `${result.out}\n${result.err}`);
        assert.match(result.err, /plan: reading stack "dev"/);
        // Progress and summary count the same resources (the stack itself is in neither).
        const registered = Number(/plan: registered (\d+) resources/.exec(result.err)?.[1]);
        const summarized = Number(/offline: (\d+) resources in/.exec(result.out)?.[1]);
        assert.ok(registered > 0 && registered === summarized, `progress says ${registered}, summary says ${summarized}`);
        assert.match(result.out, /trustmesh plan for stack "dev" \(dev\)/);
        assert.match(result.out, /resources by kind:\n\s+\d+\s+\S+/);
        assert.match(result.out, /Kubernetes objects by cluster:\n\s+\d+\s+(gke|aks)/);
        assert.match(result.out, /policies \(advisory\):/);
        assert.match(result.out, /result: clean/);
    });

    it("writes the plan JSON and the manifests per cluster for prod", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
        const json = path.join(dir, "prod.json");
        const out = path.join(dir, "manifests");
        const result = await plan("--stack", "prod", "--json", json, "--out", out);
        assert.equal(result.code, 0, `${result.out}\n${result.err}`);
        const body = JSON.parse(readFileSync(json, "utf8"));
        assert.equal(body.stack, "prod");
        for (const key of ["resources", "violations", "schemaErrors", "manifests"]) assert.ok(Array.isArray(body[key]), key);
        assert.ok(body.resources.length > 0);
        for (const resource of body.resources) {
            assert.deepEqual(
                Object.keys(resource).sort(),
                ["dependencies", "inputs", "name", "parent", "protect", "provider", "secretPaths", "type", "urn"],
            );
        }
        const namespace = body.resources.find((r: any) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "payments");
        assert.match(namespace.parent, /trustmesh:index:NamespaceBaseline/);
        assert.ok(body.manifests.length > 0);
        for (const manifest of body.manifests) {
            assert.ok(["gke", "aks"].includes(manifest.cluster), manifest.cluster);
            const file = path.join(out, manifest.path);
            assert.ok(existsSync(file), file);
            const object = parse(readFileSync(file, "utf8"));
            assert.equal(object.kind, manifest.kind);
            assert.equal(object.metadata.name, manifest.name);
        }
        assert.doesNotMatch(readFileSync(json, "utf8"), /offline-secret-/);
    });

    it("exits 2 on a stack file with a misspelled key and a wrongly typed value, naming both", async () => {
        const stacksDir = tempStack("dev", "broken", (config) => {
            config["trustmesh:gcp"].regoin = "europe-west1";
            config["trustmesh:gcp"].nodePools[0].maxNodes = "three";
        });
        const result = await plan("--stack", "broken", "--stacks-dir", stacksDir);
        assert.equal(result.code, 2);
        assert.match(result.err, /trustmesh:gcp\.regoin: unknown key \(did you mean "region"\?\)/);
        assert.match(result.err, /trustmesh:gcp\.nodePools\[0\]\.maxNodes: expected number, got string "three"/);
        assert.doesNotMatch(result.err, /registered \d+ resources/);
        assert.doesNotMatch(result.err, /\n\s+at /, "no stack trace");
    });

    it("exits 1 on a mandatory violation: staging with a registry allowlist its MySQL image is not on", async () => {
        const stacksDir = tempStack("staging", "strict", (config) => {
            config["trustmesh:policy"] = { allowedRegistries: ["registry.example.com/"] };
        });
        const out = mkdtempSync(path.join(tmpdir(), "plan-"));
        const result = await plan("--stack", "strict", "--stacks-dir", stacksDir, "--out", out);
        assert.equal(result.code, 1);
        // MySQL, seed 004's Tomcat and seed 000's mongosh client: all from docker.io/library/.
        assert.match(result.out, /mandatory violations \(3\):\n(\s+\[workload-image-registry\] .*\n){3}/);
        assert.match(result.out, /\[workload-image-registry\] aks-mysql-example-deployment/);
        assert.match(result.out, /result: FAILED \(3 mandatory violations, 0 schema errors\)/);
        // The same violation in dev is advisory: the plan still passes.
        const devDir = tempStack("dev", "strictdev", (config) => {
            config["trustmesh:policy"] = { allowedRegistries: ["registry.example.com/"] };
        });
        assert.equal((await plan("--stack", "strictdev", "--stacks-dir", devDir, "--out", out)).code, 0);
    });

    it("exits 2 on bad usage and on a stack that does not exist", async () => {
        assert.equal((await plan("--frobnicate")).code, 2);
        const missing = await plan("--stack", "nosuchstack");
        assert.equal(missing.code, 2);
        assert.match(missing.err, /no stack file for stack "nosuchstack"/);
    });
});

describe("plan exit code", () => {
    let clean: PlanResult;
    before(async function () {
        this.timeout(300_000);
        clean = await plannedStack("dev");
    });

    it("is 0 for a clean plan, 1 with a mandatory violation or a schema error, 0 with only advisory ones", () => {
        assert.equal(planExitCode(clean), 0);
        const violation = { policy: "p", domain: "pod-security", severity: "high", urn: "u", message: "m" };
        assert.equal(planExitCode({ ...clean, violations: [{ ...violation, enforcementLevel: "mandatory" }] }), 1);
        assert.equal(planExitCode({ ...clean, violations: [{ ...violation, enforcementLevel: "advisory" }] }), 0);
        const schemaError = { urn: "u", cluster: "gke", apiVersion: "v1", kind: "Pod", name: "x", errors: ["/spec bad"] };
        assert.equal(planExitCode({ ...clean, schemaErrors: [schemaError] }), 1);
    });
});
