import { strict as assert } from "node:assert";
import "../offline/fakes/index";
import { AksRunnerAccess } from "../components/aksRunnerAccess";
import { AksCluster, aksDeployerRoles } from "../components/aksCluster";
import { azureBuiltInRoles } from "../components/azureWorkloadIdentity";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AutomationDependencies } from "../automation";
import { deployCli } from "../automation/cli/deploy";
import { planCli, summaryLines } from "../offline/cli/plan";
import { runOffline, type RecordedResource } from "../offline/engine";
import { planJson, type PlanResult } from "../offline/plan";
import { plannedStack } from "./helpers/plans";
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

    it("npm run deploy refuses the same stack file (exit 2) before it looks for the Pulumi CLI", async () => {
        const dir = tempStack("prod", "prod", (config) => {
            config["trustmesh:deploy"].runsFrom = "internet";
        });
        let resolved = 0;
        const dependencies: AutomationDependencies = {
            resolvePulumi: async () => {
                resolved++;
                throw new Error("the CLI must not be looked for");
            },
            createStack: async () => {
                throw new Error("no workspace may be created");
            },
        };
        const output = captureOutput();
        const code = await deployCli(["--stack", "prod", "--stacks-dir", dir, "--preview", "--work-root", mkdtempSync(path.join(tmpdir(), "deploy-"))], {
            log: output.log,
            err: output.error,
            write: () => undefined,
            env: {},
            dependencies,
        });
        assert.equal(code, 2, output.err.join("\n"));
        assert.match(output.err.join("\n"), /trustmesh:deploy\.runsFrom: "internet" cannot reach cluster "aks" \(prod-aks\)/);
        assert.equal(resolved, 0);
    });
});

type Loose = RecordedResource & { inputs: Record<string, any> };

function one(resources: readonly RecordedResource[], type: string, name: string): Loose {
    const found = resources.find((r) => r.type === type && r.name === name);
    assert.ok(found, `no ${type} ${name}`);
    return found as Loose;
}

const runnerVnetId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/platform-runners/providers/Microsoft.Network/virtualNetworks/runners-westeurope";
const roleGuid = (id: unknown) => String(id).split("/").pop();

describe("prod plan: how the deployment reaches both private control planes", () => {
    let plan: PlanResult;
    let resources: readonly RecordedResource[];
    before(async () => {
        plan = await plannedStack("prod");
        resources = plan.run.resources;
    });

    it("GKE: DNS endpoint on for IAM-authenticated traffic, the IP endpoint private only", () => {
        const cluster = one(resources, "gcp:container/cluster:Cluster", "gke-cluster").inputs;
        assert.equal(cluster.controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic, true);
        assert.equal(cluster.controlPlaneEndpointsConfig.dnsEndpointConfig.enableK8sTokensViaDns, false);
        assert.equal(cluster.privateClusterConfig.enablePrivateEndpoint, true);
    });

    it("AKS registers its API server in a zone of our own, with the grants AKS needs on it before it is created", () => {
        const zone = one(resources, "azure-native:privatedns:PrivateZone", "aks-runner-api-dns");
        assert.equal(zone.inputs.privateZoneName, "prod-aks.privatelink.westeurope.azmk8s.io");
        const cluster = one(resources, "azure-native:containerservice:ManagedCluster", "aks-cluster");
        assert.equal(cluster.inputs.apiServerAccessProfile.enablePrivateCluster, true);
        assert.match(String(cluster.inputs.apiServerAccessProfile.privateDNSZone), /\/providers\/Microsoft\.Network\/privateDnsZones\/prod-aks\.privatelink\.westeurope\.azmk8s\.io$/);
        const dnsGrant = one(resources, "azure-native:authorization:RoleAssignment", "aks-control-plane-private-dns");
        assert.equal(roleGuid(dnsGrant.inputs.roleDefinitionId), azureBuiltInRoles["Private DNS Zone Contributor"]);
        assert.equal(dnsGrant.inputs.scope, cluster.inputs.apiServerAccessProfile.privateDNSZone);
        const vnetGrant = one(resources, "azure-native:authorization:RoleAssignment", "aks-control-plane-vnet");
        assert.equal(roleGuid(vnetGrant.inputs.roleDefinitionId), azureBuiltInRoles["Network Contributor"]);
        assert.match(String(vnetGrant.inputs.scope), /\/virtualNetworks\/[^/]+$/);
        assert.ok(cluster.dependencies.includes(dnsGrant.urn) && cluster.dependencies.includes(vnetGrant.urn), "the cluster waits for both grants");
    });

    it("peers the runner VNet with the AKS VNet both ways, direct traffic only, and links the zone to it for resolution", () => {
        const vnetId = String(one(resources, "azure-native:containerservice:ManagedCluster", "aks-cluster").inputs.apiServerAccessProfile.privateDNSZone).replace(/\/providers\/Microsoft\.Network\/privateDnsZones\/.*/, "");
        const toRunner = one(resources, "azure-native:network:VirtualNetworkPeering", "aks-runner-to-runner").inputs;
        const fromRunner = one(resources, "azure-native:network:VirtualNetworkPeering", "aks-runner-from-runner").inputs;
        assert.equal(toRunner.remoteVirtualNetwork.id, runnerVnetId);
        assert.equal(toRunner.resourceGroupName, "prod-trustmesh");
        assert.equal(fromRunner.resourceGroupName, "platform-runners");
        assert.equal(fromRunner.virtualNetworkName, "runners-westeurope");
        assert.ok(String(fromRunner.remoteVirtualNetwork.id).startsWith(`${vnetId}/providers/Microsoft.Network/virtualNetworks/`), fromRunner.remoteVirtualNetwork.id);
        for (const peering of [toRunner, fromRunner]) {
            assert.deepEqual([peering.allowVirtualNetworkAccess, peering.allowForwardedTraffic, peering.allowGatewayTransit, peering.useRemoteGateways], [true, false, false, false]);
        }
        const link = one(resources, "azure-native:privatedns:VirtualNetworkLink", "aks-runner-api-dns-runner").inputs;
        assert.deepEqual([link.privateZoneName, link.virtualNetwork.id, link.registrationEnabled], ["prod-aks.privatelink.westeurope.azmk8s.io", runnerVnetId, false]);
    });

    it("the deployer gets exactly Cluster User and RBAC Cluster Admin, on the AKS cluster only", () => {
        const grants = resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment" && (r as Loose).inputs.principalId === "12121212-3434-4565-8787-909090909090") as Loose[];
        assert.deepEqual(grants.map((g) => roleGuid(g.inputs.roleDefinitionId)).sort(), aksDeployerRoles.map((role) => azureBuiltInRoles[role]).sort());
        for (const grant of grants) {
            assert.match(String(grant.inputs.scope), /\/providers\/Microsoft\.ContainerService\/managedClusters\/prod-aks$/);
            assert.equal(grant.inputs.principalType, "ServicePrincipal");
        }
    });

    it("every Kubernetes object on aks waits for the deployer's grants, the peerings and the zone link (through the aks provider)", () => {
        const provider = one(resources, "pulumi:providers:kubernetes", "aks");
        const needed = ["aks-deployer-cluster-user", "aks-deployer-rbac-cluster-admin", "aks-runner-to-runner", "aks-runner-from-runner", "aks-runner-api-dns-runner"];
        for (const name of needed) {
            const urn = resources.find((r) => r.name === name)!.urn;
            assert.ok(provider.dependencies.includes(urn), `the aks provider does not wait for ${name}`);
        }
    });

    it("npm run plan shows, per cluster, the endpoint the deployment uses and where it is reachable from, and the deployers", () => {
        const text = summaryLines(plan, "plan-out/prod", 0).join("\n");
        assert.match(text, /cluster API endpoints \(the deployment runs from azure-vnet\):/);
        assert.match(text, /gke {2}prod-gke: DNS endpoint <uid>\.europe-west1\.gke\.goog \(IAM-gated; IP endpoint private\)\n\s+reachable from internet, gcp-vpc, azure-vnet:/);
        assert.match(text, /aks {2}prod-aks: private API server, FQDN in prod-aks\.privatelink\.westeurope\.azmk8s\.io\n\s+reachable from azure-vnet: the runner VNet runners-westeurope/);
        assert.match(text, /gke {2}trustmesh-deployer@trustmesh-prod\.iam\.gserviceaccount\.com, documented input, project roles: .*roles\/container\.admin/);
        assert.match(text, /aks {2}12121212-3434-4565-8787-909090909090 \(ServicePrincipal\): Azure Kubernetes Service Cluster User Role and Azure Kubernetes Service RBAC Cluster Admin on the cluster only/);
        const json = planJson(plan).deployment;
        assert.equal(json.runsFrom, "azure-vnet");
        assert.deepEqual(json.endpoints.map((e) => [e.cluster, e.endpoint, e.reachable]), [["gke", "gke-dns", true], ["aks", "aks-private", true]]);
    });

    it("dev keeps the AKS-made zone and no runner access: its API server is public behind authorized ranges", async () => {
        const dev = (await plannedStack("dev")).run.resources;
        assert.equal(dev.filter((r) => r.type === "trustmesh:index:AksRunnerAccess" || r.type === "azure-native:network:VirtualNetworkPeering").length, 0);
        const cluster = one(dev, "azure-native:containerservice:ManagedCluster", "aks-cluster");
        assert.equal(cluster.inputs.apiServerAccessProfile.enablePrivateCluster, false);
    });
});

describe("AksRunnerAccess", () => {
    it("a runner VNet in another subscription gets the runner-side peering through a provider for that subscription", async () => {
        const hub = "/subscriptions/99999999-8888-4777-8666-555555555555/resourceGroups/connectivity/providers/Microsoft.Network/virtualNetworks/hub";
        const run = await runOffline(() => {
            new AksRunnerAccess("runner", {
                clusterName: "prod-aks",
                location: "westeurope",
                subscriptionId: "11111111-2222-4333-8444-555555555555",
                resourceGroupName: "prod-trustmesh",
                clusterVnetId: "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/prod-trustmesh/providers/Microsoft.Network/virtualNetworks/prod-vnet",
                runnerVnetId: hub,
            });
            return {};
        }, { stack: "test" });
        const provider = one(run.resources, "pulumi:providers:azure-native", "runner-runner-subscription");
        assert.equal(provider.inputs.subscriptionId, "99999999-8888-4777-8666-555555555555");
        const fromRunner = one(run.resources, "azure-native:network:VirtualNetworkPeering", "runner-from-runner");
        assert.ok(fromRunner.provider?.startsWith(provider.urn), `runner-side peering uses ${fromRunner.provider}`);
        assert.equal(fromRunner.inputs.virtualNetworkPeeringName, "to-prod-vnet");
        const toRunner = one(run.resources, "azure-native:network:VirtualNetworkPeering", "runner-to-runner");
        assert.equal(toRunner.provider, undefined, "the cluster side uses the default provider");
    });

    it("refuses a malformed runner VNet id before registering anything of its own", async () => {
        let message = "";
        const run = await runOffline(() => {
            try {
                new AksRunnerAccess("runner", { clusterName: "prod-aks", location: "westeurope", subscriptionId: "11111111-2222-4333-8444-555555555555", resourceGroupName: "rg", clusterVnetId: "x", runnerVnetId: "hub" });
            } catch (error) {
                message = (error as Error).message;
            }
            return {};
        }, { stack: "test" });
        assert.match(message, /runnerVnetId "hub" must be a VNet resource id/);
        assert.equal(run.resources.filter((r) => r.custom).length, 0);
    });

    it("AksCluster refuses a private DNS zone without the VNet AKS must link it to, and a deployer that is not a GUID", async () => {
        let message = "";
        await runOffline(() => {
            try {
                new AksCluster("aks", {
                    clusterKey: "aks", clusterName: "prod-aks", location: "westeurope", subscriptionId: "11111111-2222-4333-8444-555555555555", tenantId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
                    resourceGroupName: "rg", nodeSubnetId: "subnet", podsCidr: "10.244.0.0/16", servicesCidr: "10.50.0.0/20", adminGroupObjectIds: ["bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"],
                    nodePools: [{ name: "system", minCount: 1, maxCount: 2, system: true }],
                    privateDnsZoneId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/prod-aks.privatelink.westeurope.azmk8s.io",
                    deployer: { principalId: "ci" },
                });
            } catch (error) {
                message = (error as Error).message;
            }
            return {};
        }, { stack: "test" });
        assert.match(message, /vnetId is required with privateDnsZoneId/);
        assert.match(message, /deployer\.principalId "ci" must be an object id/);
    });
});
