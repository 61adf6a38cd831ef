import { strict as assert } from "node:assert";
import "../offline/fakes/index";
import type { PlanResult } from "../offline/plan";
import { certManagerChartVersion } from "../components/certManager";
import { reloaderChartVersion } from "../components/reloader";
import { trustManagerChartVersion } from "../components/trustManager";
import { plannedStack } from "./helpers/plans";

describe("pki: in the stack plans", function () {
    this.timeout(120_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "prod"]) plans[stack] = await plannedStack(stack);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: pinned releases, CA chain, issuers and bundles on both clusters, all schema-valid`, () => {
            const plan = plans[stack] as PlanResult;
            const resources = plan.run.resources;
            const names = new Set(resources.map((r) => r.name));
            for (const cluster of ["gke", "aks"]) {
                for (const [release, version] of [["cert-manager", certManagerChartVersion], ["trust-manager", trustManagerChartVersion], ["reloader", reloaderChartVersion]]) {
                    const found = resources.find((r) => r.name === `${cluster}-${release}-release`);
                    assert.equal(found?.inputs.version, version, `${cluster} ${release}`);
                    assert.ok(found?.provider?.endsWith(`::${cluster}`), `${cluster} ${release} on its cluster`);
                }
                for (const suffix of ["internal-ca-key", "internal-ca-csr", "internal-ca-cert", "internal-ca-secret", "internal-ca-issuer", "selfsigned-issuer-issuer", "trust-manager-bundle"]) {
                    assert.ok(names.has(`${cluster}-${suffix}`), `${cluster}-${suffix}`);
                }
            }
            assert.equal(resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert").length, 1, "one root per environment");
            assert.equal(resources.find((r) => r.name === "pki-root-ca")?.protect, stack === "prod", "the root is protected in prod");
            const acme = resources.find((r) => r.name === "gke-letsencrypt-issuer");
            assert.equal((acme?.inputs.metadata as { name: string }).name, stack === "prod" ? "letsencrypt-production" : "letsencrypt-staging");
            const pkiKinds = /cert-manager\.io|trust\.cert-manager\.io/;
            assert.deepEqual(plan.schemaErrors, [], JSON.stringify(plan.schemaErrors));
            assert.ok(!plan.unvalidated.some((u) => pkiKinds.test(u.apiVersion)), "every cert-manager / trust-manager object has a schema");
            assert.match(String(plan.run.outputs.rootCaCertificate), /^-----BEGIN CERTIFICATE-----/);
            assert.ok(!plan.run.secretOutputs.includes("rootCaCertificate"), "the root certificate is public");
            assert.equal(JSON.stringify(plan.run.outputs).includes("PRIVATE KEY"), false);
        });
    }
});
