import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { checkCli } from "../offline/cli/check";
import { isClusterScoped } from "../offline/resourceScope";
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

    describe("objects without metadata.namespace", () => {
        const noNamespace = path.join(fixtures, "no-namespace", "mesh.yaml");
        /** The fixture with the namespace written into every namespaced object, as kubectl would store it. */
        function withNamespace(namespace: string): string {
            const docs = parseAllDocuments(readFileSync(noNamespace, "utf8")).map((d) => d.toJS() as Record<string, any>);
            const explicit = docs.map((o) => (isClusterScoped(o.apiVersion, o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } }));
            const file = path.join(mkdtempSync(path.join(tmpdir(), "check-ns-")), "mesh.yaml");
            writeFileSync(file, explicit.map((o) => JSON.stringify(o)).join("\n---\n"));
            return file;
        }
        async function rows(...argv: string[]) {
            const json = path.join(mkdtempSync(path.join(tmpdir(), "check-")), "check.json");
            const result = await check("--json", json, ...argv);
            const body = JSON.parse(readFileSync(json, "utf8"));
            return { result, rows: body.violations.map((v: any) => ({ ...v, file: undefined })).sort((a: any, b: any) => `${a.policy}${a.name}`.localeCompare(`${b.policy}${b.name}`)) };
        }

        it("get the namespace kubectl would give them: the same results as with namespace: default written in", async () => {
            const implicit = await rows(noNamespace);
            const explicit = await rows(withNamespace("default"));
            assert.deepEqual(implicit.rows, explicit.rows);
            assert.equal(implicit.result.code, explicit.result.code);
            // The mesh reference checks now judge them: the VirtualService's missing subset is found.
            assert.ok(implicit.rows.some((r: any) => r.policy === "mesh-destination-rule-subsets-exist" && r.namespace === "default"));
            assert.match(implicit.result.out, /5 namespaced objects named no namespace and were checked in namespace default/);
        });

        it("take the namespace given with --namespace, and cluster-scoped kinds stay without one", async () => {
            const implicit = await rows("--namespace", "apps", noNamespace);
            assert.deepEqual(implicit.rows, (await rows(withNamespace("apps"))).rows);
            assert.ok(implicit.rows.every((r: any) => r.namespace === "apps"));
            assert.ok(isClusterScoped("cert-manager.io/v1", "ClusterIssuer") && isClusterScoped("v1", "Namespace") && !isClusterScoped("networking.istio.io/v1", "Gateway"));
            assert.match(implicit.result.out, /checked in namespace apps/);
        });

        it("refuses a --namespace that is not a namespace name", async () => {
            const result = await check("--namespace", "Not_A_Namespace", noNamespace);
            assert.equal(result.code, 2);
            assert.match(result.err, /--namespace "Not_A_Namespace"/);
        });
    });

    it("takes the file arguments after --allowed-registry as files, not as more registries", async () => {
        const restricted = path.join(pods, "restricted-pod.yaml");
        const result = await check("--allowed-registry", "registry.example.com/", restricted);
        assert.doesNotMatch(result.err, /give at least one YAML file/);
        assert.match(result.out, /\[workload-image-registry\] Pod restricted/);
        assert.equal(result.code, 1);
        const allowed = await check("--allowed-registry", "registry.example.com/", "--allowed-registry", "docker.io/library/", restricted);
        assert.doesNotMatch(allowed.out, /workload-image-registry/);
        assert.equal(allowed.code, 0, allowed.out);
    });

    it("lists every policy of the pack with --list-policies", async () => {
        const result = await check("--list-policies");
        assert.equal(result.code, 0);
        assert.match(result.out, /pss-privileged\s+pod-security\s+critical\s+mandatory/);
    });
});
