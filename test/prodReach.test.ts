import { strict as assert } from "node:assert";
import { planCli } from "../offline/cli/plan";
import { parseEnvironmentConfig } from "../stacks/config";
import { clusterReach, gcpDeployerRoles, parseVnetId } from "../stacks/config/deploy";
import { primitiveRoles } from "../policy/gke";
import { captureOutput, problemsOf, stackConfig, tempStack } from "./helpers/stacks";

describe("where the deployment runs (trustmesh:deploy)", () => {
    it("prod as shipped: GKE on its DNS endpoint, AKS through the peered runner VNet, both reachable", () => {
        const reach = clusterReach(parseEnvironmentConfig(stackConfig("prod")));
        assert.deepEqual(
            reach.map((r) => [r.cluster, r.endpoint, r.reachableFrom, r.reachable]),
            [
                ["gke", "gke-dns", ["internet", "gcp-vpc", "azure-vnet"], true],
                ["aks", "aks-private", ["azure-vnet"], true],
            ],
        );
        assert.match(reach[1]!.via, /runners-westeurope, peered with the AKS VNet/);
    });

    it("dev and staging run from the internet: DNS endpoint and a public AKS API server behind authorized ranges", () => {
        for (const stack of ["dev", "staging"]) {
            const config = parseEnvironmentConfig(stackConfig(stack));
            assert.equal(config.deploy.runsFrom, "internet");
            assert.deepEqual(clusterReach(config).map((r) => [r.endpoint, r.reachable]), [["gke-dns", true], ["aks-public", true]], stack);
        }
    });

    it("a prod stack run from the internet is refused, naming aks and the way out", () => {
        const config = stackConfig("prod");
        config.deploy.runsFrom = "internet";
        const problems = problemsOf(config);
        assert.deepEqual(problems.map((p) => p.key), ["trustmesh:deploy.runsFrom"]);
        assert.match(problems[0]!.message, /"internet" cannot reach cluster "aks" \(prod-aks\)/);
        assert.match(problems[0]!.message, /Way out: .*runsFrom: azure-vnet.*azureRunnerNetwork/);
    });

    it("a prod stack with the GKE DNS endpoint off cannot be deployed from the Azure runner: names gke and the way out", () => {
        const config = stackConfig("prod");
        config.gcp.cluster.dnsEndpoint = false;
        const problems = problemsOf(config);
        assert.deepEqual(problems.map((p) => p.key), ["trustmesh:deploy.runsFrom"]);
        assert.match(problems[0]!.message, /"azure-vnet" cannot reach cluster "gke" \(prod-gke\): its private IP endpoint in 172\.16\.0\.0\/28 is reachable only from gcp-vpc/);
        assert.match(problems[0]!.message, /Way out: turn the GKE DNS endpoint back on/);
    });

    it("a runner in the GKE VPC cannot reach the private AKS API server", () => {
        const config = stackConfig("prod");
        config.deploy.runsFrom = "gcp-vpc";
        const problems = problemsOf(config);
        assert.ok(problems.some((p) => p.key === "trustmesh:deploy.runsFrom" && /cannot reach cluster "aks"/.test(p.message)), JSON.stringify(problems));
    });

    it("azure-vnet without the runner's VNet is refused: it must exist before the first deploy", () => {
        const config = stackConfig("prod");
        delete config.deploy.azureRunnerNetwork;
        const problems = problemsOf(config);
        assert.deepEqual(problems.map((p) => p.key), ["trustmesh:deploy.azureRunnerNetwork"]);
        assert.match(problems[0]!.message, /exists before the first deploy/);
    });

    it("refuses a runner VNet that overlaps the AKS VNet (peering would fail), a malformed VNet id, a bad deployer", () => {
        const config = stackConfig("prod");
        config.deploy.azureRunnerNetwork.addressSpace = ["10.0.0.0/24", "10.40.128.0/20"];
        assert.deepEqual(problemsOf(config).map((p) => p.key), ["trustmesh:deploy.azureRunnerNetwork.addressSpace[1]"]);
        const malformed = stackConfig("prod");
        malformed.deploy.azureRunnerNetwork.vnetId = "runners-westeurope";
        malformed.deploy.gcpDeployer = "someone@example.com";
        malformed.deploy.azureDeployer.principalId = "not-a-guid";
        assert.deepEqual(problemsOf(malformed).map((p) => p.key).sort(), [
            "trustmesh:deploy.azureDeployer.principalId",
            "trustmesh:deploy.azureRunnerNetwork.vnetId",
            "trustmesh:deploy.gcpDeployer",
        ]);
    });

    it("a runner network or Azure deployer without an Azure side is refused", () => {
        const config = stackConfig("prod");
        delete config.azure;
        config.namespaces = config.namespaces.filter((ns: { clusters: string[] }) => !ns.clusters.includes("aks"));
        delete config.mesh;
        const keys = problemsOf(config).map((p) => p.key);
        assert.ok(keys.includes("trustmesh:deploy.azureRunnerNetwork") && keys.includes("trustmesh:deploy.azureDeployer"), keys.join(", "));
    });

    it("parses VNet ids into subscription, group and name", () => {
        assert.deepEqual(parseVnetId("/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/platform-runners/providers/Microsoft.Network/virtualNetworks/runners-westeurope"), {
            subscriptionId: "11111111-2222-4333-8444-555555555555",
            resourceGroupName: "platform-runners",
            name: "runners-westeurope",
        });
        assert.throws(() => parseVnetId("/subscriptions/x/resourceGroups/y"), /not an Azure VNet resource id/);
    });

    it("the Google deployer's documented roles hold no basic role and add KMS only with an encryption key", () => {
        const roles = gcpDeployerRoles({}).map((r) => r.role);
        assert.ok(roles.every((role) => !primitiveRoles.has(role)), roles.join(", "));
        assert.ok(roles.includes("roles/container.admin"));
        assert.ok(!roles.includes("roles/cloudkms.admin"));
        assert.ok(gcpDeployerRoles({ databaseEncryptionKey: "projects/p/locations/l/keyRings/r/cryptoKeys/k" }).some((r) => r.role === "roles/cloudkms.admin"));
    });

    it("npm run plan on a prod stack file whose runner cannot reach aks exits 2 naming it, before any resource", async () => {
        const dir = tempStack("prod", "prod", (config) => {
            config["trustmesh:deploy"].runsFrom = "internet";
        });
        const output = captureOutput();
        const code = await planCli(["--stack", "prod", "--stacks-dir", dir, "--out", `${dir}/out`], output.log, output.error);
        assert.equal(code, 2);
        const text = output.err.join("\n");
        assert.match(text, /trustmesh:deploy\.runsFrom: "internet" cannot reach cluster "aks" \(prod-aks\)/);
        assert.match(text, /Way out:/);
        assert.doesNotMatch(output.out.join("\n"), /resources by kind/);
    });
});
