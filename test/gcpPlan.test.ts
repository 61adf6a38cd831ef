import { strict as assert } from "node:assert";
import { planStack, type PlanResult } from "../offline/plan";
import type { RecordedResource } from "../offline/engine";
import { tempStack } from "./helpers/stacks";
import { plannedStack } from "./helpers/plans";

function gcpResources(plan: PlanResult, type: string): RecordedResource[] {
    return plan.run.resources.filter((r) => r.type === type);
}

function one(plan: PlanResult, type: string): Record<string, any> {
    const found = gcpResources(plan, type);
    assert.equal(found.length, 1, `${plan.stack}: expected one ${type}, got ${found.length}`);
    return found[0]!.inputs;
}

describe("GKE in the offline plan", function () {
    this.timeout(300_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        plans.dev = await plannedStack("dev");
        plans.prod = await plannedStack("prod");
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: has the network, cluster, node pools, their service accounts and the fleet membership`, () => {
            const plan = plans[stack]!;
            for (const type of [
                "gcp:compute/network:Network",
                "gcp:compute/subnetwork:Subnetwork",
                "gcp:compute/router:Router",
                "gcp:compute/routerNat:RouterNat",
                "gcp:compute/firewall:Firewall",
                "gcp:container/cluster:Cluster",
                "gcp:gkehub/membership:Membership",
            ]) {
                one(plan, type);
            }
            const pools = gcpResources(plan, "gcp:container/nodePool:NodePool").map((p) => p.inputs as Record<string, any>);
            // prod adds seed 000's KubeVirt pool (nested virtualization, tainted).
            assert.deepEqual(pools.map((p) => p.name).sort(), stack === "prod" ? ["apps", "kubevirt", "system"] : ["apps", "system"]);
            const accounts = new Set(gcpResources(plan, "gcp:serviceaccount/account:Account").map((a) => `${a.inputs.accountId}@${a.inputs.project}.iam.gserviceaccount.com`));
            for (const pool of pools) assert.ok(accounts.has(pool.nodeConfig.serviceAccount), `pool ${pool.name} runs as its own account`);
            const provider = plan.run.resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "gke");
            assert.ok(provider, "the GKE Kubernetes provider is named gke");
            assert.match(String(provider.parent), /trustmesh:index:GkeCluster::gke$/);
            assert.ok(plan.manifests.some((m) => m.cluster === "gke"), "Kubernetes objects land on the gke cluster");
        });

        it(`${stack}: the cluster's hardening holds whatever the environment`, () => {
            const c = one(plans[stack]!, "gcp:container/cluster:Cluster");
            assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
            assert.equal(c.workloadIdentityConfig.workloadPool, `trustmesh-${stack}.svc.id.goog`);
            assert.equal(c.datapathProvider, "ADVANCED_DATAPATH");
            assert.equal(c.enableShieldedNodes, true);
            assert.equal(c.removeDefaultNodePool, true);
            assert.equal(c.enableLegacyAbac, false);
            assert.equal(c.masterAuth.clientCertificateConfig.issueClientCertificate, false);
            assert.equal(c.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled, false);
            assert.doesNotMatch(JSON.stringify(c.masterAuthorizedNetworksConfig), /0\.0\.0\.0\/0/);
        });

        it(`${stack}: no GKE policy violation and no schema error (ServiceAccounts included)`, () => {
            const plan = plans[stack]!;
            assert.deepEqual(plan.violations.filter((v) => v.domain === "gke"), []);
            assert.deepEqual(plan.schemaErrors.filter((s) => s.kind === "ServiceAccount"), []);
            assert.deepEqual(plan.schemaErrors.filter((s) => s.cluster === "gke"), []);
        });
    }

    it("prod differs from dev: private endpoint, STABLE, deletion protection, Binary Authorization", () => {
        const dev = one(plans.dev!, "gcp:container/cluster:Cluster");
        const prod = one(plans.prod!, "gcp:container/cluster:Cluster");
        assert.deepEqual(
            [dev.privateClusterConfig.enablePrivateEndpoint, dev.releaseChannel.channel, dev.deletionProtection, dev.binaryAuthorization.evaluationMode],
            [false, "REGULAR", false, "DISABLED"],
        );
        assert.deepEqual(
            [prod.privateClusterConfig.enablePrivateEndpoint, prod.releaseChannel.channel, prod.deletionProtection, prod.binaryAuthorization.evaluationMode],
            [true, "STABLE", true, "PROJECT_SINGLETON_POLICY_ENFORCE"],
        );
        const prodPools = gcpResources(plans.prod!, "gcp:container/nodePool:NodePool");
        for (const pool of prodPools) assert.deepEqual(pool.inputs.nodeLocations, ["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
    });

    it("the managed mesh adds the servicemesh feature and its automatic feature membership", async () => {
        const dir = tempStack("dev", "dev", (config) => (config["trustmesh:gcp"].managedMesh = true));
        const plan = await planStack({ stack: "dev", stacksDir: dir });
        assert.equal(one(plan, "gcp:gkehub/feature:Feature").name, "servicemesh");
        assert.deepEqual(one(plan, "gcp:gkehub/featureMembership:FeatureMembership").mesh, { management: "MANAGEMENT_AUTOMATIC" });
        assert.deepEqual(gcpResources(plans.dev!, "gcp:gkehub/feature:Feature"), [], "off by default");
    });
});
