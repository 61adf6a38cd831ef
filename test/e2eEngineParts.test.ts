import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { repoEnvVar, repoRoot } from "../e2e/cache";
import { compareFindings } from "../e2e/checks/preview";
import { readEventLog } from "../e2e/events";
import { istioctlVersion } from "../e2e/istioctlAnalyze";
import { standInLauncher } from "../e2e/setup";

// Parts of the end-to-end run that need no Go and no CLI: the stand-in launchers and the reading of the
// engine's event log that policy parity rests on.
describe("e2e engine parts (no Go, no CLI)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "e2e-parts-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    describe("stand-in launcher", () => {
        const standIn = { kind: "language" as const, name: "nodejs", reason: "not served here", entry: "e2e/standins/languageHost.ts", args: ["--flag"] };

        /** A checkout with a `node` that prints what it was asked to run. */
        function fakeCheckout(name: string): string {
            const checkout = path.join(dir, name);
            mkdirSync(path.join(checkout, "node_modules", "node", "bin"), { recursive: true });
            const node = path.join(checkout, "node_modules", "node", "bin", "node");
            writeFileSync(node, `#!/bin/sh\necho "${name}" "$@"\n`);
            chmodSync(node, 0o755);
            return checkout;
        }

        function launch(env: Record<string, string>): string {
            const script = path.join(dir, "pulumi-language-nodejs");
            writeFileSync(script, standInLauncher(standIn, path.join(repoRoot, "node_modules", "node", "bin", "node"), path.join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs")));
            chmodSync(script, 0o755);
            const run = spawnSync(script, ["127.0.0.1:1234"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
            assert.equal(run.status, 0, run.stderr);
            return run.stdout.trim();
        }

        it(`runs the code of the checkout ${repoEnvVar} names, so checkouts sharing one cache do not run each other's`, () => {
            const other = fakeCheckout("other");
            assert.equal(launch({ [repoEnvVar]: other }), `other --import file://${other}/node_modules/tsx/dist/loader.mjs ${other}/e2e/standins/languageHost.ts --flag 127.0.0.1:1234`);
        });

        it("falls back to the checkout that installed it, and names itself a stand-in", () => {
            const script = standInLauncher(standIn);
            assert.match(script, /STAND-IN for the language plugin "nodejs"/);
            assert.ok(script.includes(`repo="\${${repoEnvVar}:-${repoRoot}}"`), script);
        });
    });

    describe("event log", () => {
        it("records which policies the pack ran on each resource and on the stack, and tells a policy that could not run at preview from a finding", () => {
            const file = path.join(dir, "events.jsonl");
            const urn = "urn:pulumi:s::p::azure-native:keyvault:Secret::kv-secret";
            const lines = [
                { policyAnalyzeSummaryEvent: { resourceUrn: urn, policyPackName: "trustmesh", passed: ["a"], failed: ["b"] } },
                { policyEvent: { policyName: "b", resourceUrn: urn, enforcementLevel: "mandatory", message: "bad" } },
                { policyAnalyzeStackSummaryEvent: { policyPackName: "trustmesh", passed: ["s1"], failed: ["s2"] } },
                { policyEvent: { policyName: "c", resourceUrn: urn, enforcementLevel: "advisory", message: "can't run policy 'c' from policy pack 'trustmesh@v0.1.0' during preview: string value at .scope can't be known during preview" } },
            ];
            writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n"));
            const log = readEventLog(file);
            assert.deepEqual(log.analyzed, { [urn]: ["a", "b"] });
            assert.deepEqual(log.stackAnalyzed, ["s1", "s2"]);
            assert.deepEqual(log.policies.map((p) => [p.policy, p.unknownAtPreview]), [["b", false], ["c", true]]);
            assert.equal(log.policies[0]!.message, "bad");
        });
    });

    describe("policy parity", () => {
        const urn = (name: string) => `urn:pulumi:insecure::trustmesh::k8s:Thing::${name}`;
        const stackPolicies = new Set(["stack-rule"]);

        it("counts an offline finding as a difference when the engine ran that policy there and found nothing", () => {
            const result = compareFindings([{ policy: "a", urn: urn("x") }], [{ policy: "a", urn: urn("x") }, { policy: "b", urn: urn("x") }, { policy: "stack-rule", urn: urn("y") }], { analyzed: { [urn("x")]: ["a", "b"] }, stackAnalyzed: ["stack-rule"] }, stackPolicies);
            assert.deepEqual(result.offlineOnly, [{ policy: "b", urn: urn("x") }, { policy: "stack-rule", urn: urn("y") }]);
            assert.deepEqual(result.notApplicableInEngine, []);
        });

        it("lists a finding of a policy the engine did not run on that resource as not applicable, not as equal", () => {
            const result = compareFindings([], [{ policy: "secret-rule", urn: urn("x") }, { policy: "stack-rule", urn: urn("y") }], { analyzed: { [urn("x")]: ["other"] }, stackAnalyzed: [] }, stackPolicies);
            assert.deepEqual(result.offlineOnly, []);
            assert.deepEqual(result.notApplicableInEngine, [{ policy: "secret-rule", urn: urn("x") }, { policy: "stack-rule", urn: urn("y") }]);
        });

        it("lists what only the engine found", () => {
            assert.deepEqual(compareFindings([{ policy: "a", urn: urn("x") }], [], { analyzed: {}, stackAnalyzed: [] }, stackPolicies).engineOnly, [{ policy: "a", urn: urn("x") }]);
        });
    });

    it("reports istioctl's version without its 'client version:' label", () => {
        const istioctl = path.join(dir, "istioctl");
        writeFileSync(istioctl, '#!/bin/sh\n[ "$1 $2 $3" = "version --remote=false --short" ] && echo "client version: 1.31-dev+eed52ebb66ad"\n');
        chmodSync(istioctl, 0o755);
        assert.equal(istioctlVersion(istioctl), "1.31-dev+eed52ebb66ad");
    });
});
