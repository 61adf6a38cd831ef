import { strict as assert } from "node:assert";
import type { PlanResult } from "../offline/plan";
import { plannedStack } from "./helpers/plans";

/** Issue 8: the three stacks plan cleanly and differ where environments should. */
describe("environments", function () {
    this.timeout(300_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) plans[stack] = await plannedStack(stack);
    });

    const find = (stack: string, type: string, name?: string) => {
        const found = plans[stack]!.run.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
        assert.ok(found.length > 0, `${stack}: no ${type}${name ? ` ${name}` : ""}`);
        return found;
    };
    const inputs = (stack: string, type: string, name?: string) => find(stack, type, name)[0]!.inputs as Record<string, any>;

    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack} plans offline with no schema errors and no mandatory violations`, () => {
            const plan = plans[stack]!;
            assert.deepEqual(plan.schemaErrors, []);
            assert.deepEqual(plan.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
        });
    }

    it("enforces policies as advisory in dev and mandatory in staging and prod", () => {
        assert.equal(plans.dev!.enforcement, "advisory");
        assert.equal(plans.staging!.enforcement, "mandatory");
        assert.equal(plans.prod!.enforcement, "mandatory");
    });

    it("protects every stateful resource in prod and none in dev", () => {
        const stateful = [
            "gcp:container/cluster:Cluster",
            "azure-native:containerservice:ManagedCluster",
            "azure-native:keyvault:Vault",
            "tls:index/privateKey:PrivateKey",
            "tls:index/selfSignedCert:SelfSignedCert",
            "gcp:dns/recordSet:RecordSet",
            "gcp:compute/address:Address",
            "azure-native:network:PublicIPAddress",
        ];
        for (const type of stateful) {
            const prod = find("prod", type).filter((r) => type !== "tls:index/privateKey:PrivateKey" || r.name === "pki-root-ca-key");
            assert.ok(prod.every((r) => r.protect), `prod ${type} must be protected`);
        }
        assert.deepEqual(plans.dev!.run.resources.filter((r) => r.protect).map((r) => r.name), []);
    });

    it("gives prod a private GKE endpoint, the STABLE channel, deletion protection and Binary Authorization", () => {
        const dev = inputs("dev", "gcp:container/cluster:Cluster");
        const prod = inputs("prod", "gcp:container/cluster:Cluster");
        assert.equal(dev.privateClusterConfig.enablePrivateEndpoint, false);
        assert.equal(prod.privateClusterConfig.enablePrivateEndpoint, true);
        assert.equal(dev.releaseChannel.channel, "REGULAR");
        assert.equal(prod.releaseChannel.channel, "STABLE");
        assert.equal(dev.deletionProtection, false);
        assert.equal(prod.deletionProtection, true);
        assert.equal(prod.binaryAuthorization.evaluationMode, "PROJECT_SINGLETON_POLICY_ENFORCE");
        for (const pool of find("prod", "gcp:container/nodePool:NodePool")) {
            assert.ok((pool.inputs as any).nodeLocations.length >= 3, `prod pool ${pool.name} spreads nodes over several zones`);
        }
    });

    it("gives prod a private AKS API server on the Standard tier and a vault without public access", () => {
        const dev = inputs("dev", "azure-native:containerservice:ManagedCluster");
        const prod = inputs("prod", "azure-native:containerservice:ManagedCluster");
        assert.equal(dev.apiServerAccessProfile.enablePrivateCluster, false);
        assert.deepEqual(dev.apiServerAccessProfile.authorizedIPRanges, ["198.51.100.0/24"]);
        assert.equal(prod.apiServerAccessProfile.enablePrivateCluster, true);
        assert.equal(dev.sku.tier, "Free");
        assert.equal(prod.sku.tier, "Standard");
        assert.equal(inputs("dev", "azure-native:keyvault:Vault").properties.publicNetworkAccess, "Enabled");
        assert.equal(inputs("prod", "azure-native:keyvault:Vault").properties.publicNetworkAccess, "Disabled");
    });

    it("issues public names from Let's Encrypt staging in dev and production in prod", () => {
        const issuers = (stack: string) => find(stack, "kubernetes:cert-manager.io/v1:ClusterIssuer").map((r) => (r.inputs as any).metadata.name as string);
        assert.ok(issuers("dev").includes("letsencrypt-staging"));
        assert.ok(!issuers("dev").includes("letsencrypt-production"));
        assert.ok(issuers("prod").includes("letsencrypt-production"));
        assert.ok(!issuers("prod").includes("letsencrypt-staging"));
    });

    it("exports the stack outputs, with both kubeconfigs as secrets and the root CA in the clear", () => {
        for (const stack of ["dev", "prod"]) {
            const run = plans[stack]!.run;
            for (const key of ["gkeClusterName", "gkeEndpoint", "gkeKubeconfig", "aksClusterName", "aksOidcIssuerUrl", "aksKubeconfig", "keyVaultUri", "rootCaCertificate", "meshLinks"]) {
                assert.ok(key in run.outputs, `${stack}: output ${key}`);
            }
            assert.deepEqual(run.secretOutputs, ["aksKubeconfig", "gkeKubeconfig"]);
            assert.match(String(run.outputs.rootCaCertificate), /^-----BEGIN CERTIFICATE-----/);
            assert.match(String(run.outputs.aksOidcIssuerUrl), /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\//);
            assert.deepEqual(run.outputs.meshLinks, { mysql: `mysql.mesh.${stack}.example.com` });
        }
    });
});
