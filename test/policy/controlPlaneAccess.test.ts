import { strict as assert } from "node:assert";
import { aksClusterType, gkeClusterType, roleAssignmentType } from "../../policy/controlPlaneAccess";
import { plannedStack } from "../helpers/plans";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const gkeCluster = {
    privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: "172.16.0.0/28" },
    controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true }, ipEndpointsConfig: { enabled: true } },
};
const aksCluster = { apiServerAccessProfile: { enablePrivateCluster: true, privateDNSZone: "system" } };
const clusterId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/prod/providers/Microsoft.ContainerService/managedClusters/prod-aks";
const role = (guid: string) => `/subscriptions/11111111-2222-4333-8444-555555555555/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const rbacClusterAdmin = { principalId: "12121212-3434-4565-8787-909090909090", principalType: "ServicePrincipal", roleDefinitionId: role("b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"), scope: clusterId };

describe("policy: control-plane access", () => {
    policyTable(gkeClusterType, gkeCluster, [
        { policy: "gke-public-control-plane", path: "privateClusterConfig.enablePrivateEndpoint", value: false },
        { policy: "gke-public-control-plane", path: "privateClusterConfig", value: undefined },
    ]);
    policyTable(aksClusterType, aksCluster, [
        { policy: "aks-public-api-server", path: "apiServerAccessProfile.enablePrivateCluster", value: false },
        { policy: "aks-public-api-server", path: "apiServerAccessProfile", value: { authorizedIPRanges: ["203.0.113.0/28"] } },
    ]);
    policyTable(roleAssignmentType, rbacClusterAdmin, [
        { policy: "azure-role-assignment-least-privilege", path: "scope", value: "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/prod" },
        { policy: "azure-role-assignment-least-privilege", path: "scope", value: "/subscriptions/11111111-2222-4333-8444-555555555555" },
        { policy: "azure-role-assignment-least-privilege", path: "roleDefinitionId", value: role("b24988ac-6180-42a0-ab88-20f7382dd24c") },
        { policy: "azure-role-assignment-least-privilege", path: "roleDefinitionId", value: role("8E3AF657-A8FF-443C-A75C-2FE8C4BCB635") },
        { policy: "azure-role-assignment-least-privilege", path: "roleDefinitionId", value: role("18d7d88d-d35e-4fb5-a5c3-7773c4a72abb") },
    ]);
    nullSafety("control-plane-access", [gkeClusterType, aksClusterType, roleAssignmentType]);

    it("a GKE control plane with its IP endpoints off is not public, even without a private endpoint", () => {
        const ipOff = { controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true }, ipEndpointsConfig: { enabled: false } } };
        assert.deepEqual(violationsOf("gke-public-control-plane", [subject(gkeClusterType, ipOff)]), []);
    });

    it("public endpoints are allowed outside prod", () => {
        const publicGke = { privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: false } };
        const publicAks = { apiServerAccessProfile: { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/28"] } };
        for (const environment of ["dev", "staging"] as const) {
            assert.deepEqual(violationsOf("gke-public-control-plane", [subject(gkeClusterType, publicGke)], { config: { environment } }), []);
            assert.deepEqual(violationsOf("aks-public-api-server", [subject(aksClusterType, publicAks)], { config: { environment } }), []);
        }
    });

    it("never reports a value unknown during preview", () => {
        assert.deepEqual(violationsOf("gke-public-control-plane", [subject(gkeClusterType, { privateClusterConfig: { enablePrivateEndpoint: undefined } })]), []);
        assert.deepEqual(violationsOf("aks-public-api-server", [subject(aksClusterType, { apiServerAccessProfile: undefined })]), []);
        assert.deepEqual(violationsOf("azure-role-assignment-least-privilege", [subject(roleAssignmentType, { ...rbacClusterAdmin, scope: undefined })]), []);
    });

    it("Kubernetes RBAC roles may be scoped to one namespace of a cluster; other roles at any scope are not its business", () => {
        assert.deepEqual(violationsOf("azure-role-assignment-least-privilege", [subject(roleAssignmentType, { ...rbacClusterAdmin, scope: `${clusterId}/namespaces/payments` })]), []);
        const networkContributor = { ...rbacClusterAdmin, roleDefinitionId: role("4d97b98b-1d4f-4787-a291-c67834d212e7"), scope: "/subscriptions/x/resourceGroups/prod" };
        assert.deepEqual(violationsOf("azure-role-assignment-least-privilege", [subject(roleAssignmentType, networkContributor)]), []);
    });

    it("the prod plan passes all three: private control planes, deployer roles on the cluster only", async () => {
        const plan = await plannedStack("prod");
        assert.deepEqual(
            plan.violations.filter((v) => v.domain === "control-plane-access").map((v) => `${v.policy}: ${v.message}`),
            [],
        );
        assert.ok(plan.run.resources.some((r) => r.type === roleAssignmentType && /b1ff04bb/.test(String((r.inputs as any).roleDefinitionId))), "the deployer's RBAC Cluster Admin is in the plan");
    });
});
