import { strict as assert } from "node:assert";
import * as path from "node:path";
import { runOffline } from "../../offline/engine";
import { readManifestFile } from "../../offline/manifestFiles";
import { policySubjects } from "../../offline/plan";
import { runPolicies } from "../../offline/policyRunner";
import { policiesByDomain } from "../../policy/registry";
import type { PolicyDomain } from "../../policy/types";
import { insecureProgram } from "../fixtures/insecure/program";

const fixtures = path.join(__dirname, "..", "fixtures");

describe("policy: the deliberately insecure stack", function () {
    this.timeout(60_000);

    it("trips at least one mandatory violation in every domain, run offline like a plan", async () => {
        const run = await runOffline(insecureProgram, { stack: "insecure" });
        const violations = runPolicies(policySubjects(run.resources), { config: { environment: "prod" } });
        const domains = new Set(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.domain));
        const missing = (Object.keys(policiesByDomain) as PolicyDomain[]).filter((d) => !domains.has(d));
        assert.deepEqual(missing, [], `domains without a violation: ${missing.join(", ")}`);
        // a few exact findings, so the test cannot pass by accident
        const names = new Set(violations.map((v) => v.policy));
        for (const name of ["pss-privileged", "gke-authorized-networks", "aks-local-accounts-disabled", "key-vault-purge-protection", "secrets-key-vault-secret-value", "mesh-virtual-service-gateways-exist", "namespace-default-deny"]) {
            assert.ok(names.has(name), name);
        }
    });

    it("check fixtures: the privileged pod fails and the restricted pod passes every policy", () => {
        const privileged = readManifestFile(path.join(fixtures, "manifests", "privileged-pod.yaml")).map((o) => o.subject);
        const restricted = readManifestFile(path.join(fixtures, "manifests", "restricted-pod.yaml")).map((o) => o.subject);
        const found = runPolicies(privileged, { config: { environment: "prod" } });
        assert.ok(found.some((v) => v.policy === "pss-privileged" && v.enforcementLevel === "mandatory"));
        assert.deepEqual(runPolicies(restricted, { config: { environment: "prod", allowedRegistries: ["docker.io/library/"] } }).map((v) => v.policy), []);
    });
});
