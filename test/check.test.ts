import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { checkCli } from "../offline/cli/check";
import { captureOutput } from "./helpers/stacks";

const fixtures = path.join(__dirname, "fixtures", "check");
const pods = path.join(__dirname, "fixtures", "manifests");

async function check(...argv: string[]) {
    const io = captureOutput();
    const code = await checkCli(argv, io.log, io.error);
    return { code, out: io.out.join("\n"), err: io.err.join("\n") };
}

describe("npm run check", () => {
    it("exits 1 on a privileged Pod and names the policy", async () => {
        const result = await check(path.join(pods, "privileged-pod.yaml"));
        assert.equal(result.code, 1);
        assert.match(result.out, /\[pss-privileged\] Pod privileged \(.*privileged-pod\.yaml:3\)/);
    });

    it("exits 0 on a restricted-compliant Pod", async () => {
        const result = await check(path.join(pods, "restricted-pod.yaml"));
        assert.equal(result.code, 0, result.out);
        assert.match(result.out, /checked 1 objects from 1 files/);
    });

    it("writes the JSON shape: resource count and violations with kind, name, namespace, file", async () => {
        const json = path.join(mkdtempSync(path.join(tmpdir(), "check-")), "check.json");
        const result = await check("--json", json, path.join(pods, "privileged-pod.yaml"));
        assert.equal(result.code, 1);
        const body = JSON.parse(readFileSync(json, "utf8"));
        assert.equal(body.resources, 1);
        const violation = body.violations.find((v: any) => v.policy === "pss-privileged");
        assert.deepEqual(
            { ...violation, message: undefined },
            { policy: "pss-privileged", enforcementLevel: "mandatory", kind: "Pod", name: "privileged", namespace: "default", file: `${path.join(pods, "privileged-pod.yaml")}:3`, message: undefined },
        );
        assert.match(violation.message, /privileged: true/);
    });

    it("reads folders recursively, multi-document files and kind: List", async () => {
        const result = await check(path.join(fixtures, "nested"));
        assert.match(result.out, /checked 3 objects from 1 files/);
        assert.match(result.out, /\[pss-host-namespaces\] Deployment api/);
        assert.doesNotMatch(result.out, /\[pss-host-namespaces\] Deployment worker/);
        assert.equal(result.code, 1);
    });

    it("downgrades every violation to advisory for --environment dev and exits 0", async () => {
        const result = await check("--environment", "dev", path.join(pods, "privileged-pod.yaml"));
        assert.equal(result.code, 0);
        assert.match(result.out, /advisory violations \(\d+\):\n(.*\n)*\s+\[pss-privileged\] Pod privileged/);
        assert.doesNotMatch(result.out, /mandatory violations/);
    });

    it("exits 2 naming the file and line on YAML that does not parse", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "check-"));
        const file = path.join(dir, "broken.yaml");
        copyFileSync(path.join(fixtures, "broken.yaml.txt"), file);
        const result = await check(file);
        assert.equal(result.code, 2);
        assert.match(result.err, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: invalid YAML`));
    });

    it("exits 2 on a missing path, on no paths and on an unknown option", async () => {
        assert.equal((await check("/nonexistent/manifests")).code, 2);
        assert.equal((await check()).code, 2);
        assert.equal((await check("--frobnicate", fixtures)).code, 2);
    });

    it("judges image registries: the default allowlist, or the ones given", async () => {
        const restricted = path.join(pods, "restricted-pod.yaml");
        assert.doesNotMatch((await check(restricted)).out, /workload-image-registry/);
        const result = await check("--allowed-registry", "registry.example.com/", "--allowed-registry", "ghcr.io/", "--", restricted);
        assert.match(result.out, /\[workload-image-registry\] Pod restricted/);
        assert.equal(result.code, 1);
    });

    it("lists every policy of the pack with --list-policies", async () => {
        const result = await check("--list-policies");
        assert.equal(result.code, 0);
        assert.match(result.out, /pss-privileged\s+pod-security\s+critical\s+mandatory/);
    });
});
