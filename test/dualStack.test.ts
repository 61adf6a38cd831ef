import { strict as assert } from "node:assert";
import { validateAksClusterArgs, AksCluster, type AksClusterArgs } from "../components/aksCluster";
import { AzureNetwork, validateAzureNetworkArgs, type AzureNetworkArgs } from "../components/azureNetwork";
import { GcpNetwork, validateGcpNetworkArgs, type GcpNetworkArgs } from "../components/gcpNetwork";
import { GkeCluster, validateGkeClusterArgs, type GkeClusterArgs } from "../components/gkeCluster";
import { runOffline, type RecordedResource } from "../offline/engine";
import "../offline/fakes/index";

// IPv6 where the providers take it (GKE and AKS dual-stack), a clear error where they do not.

const azureNetwork: AzureNetworkArgs = { location: "westeurope", resourceGroupName: "dual-rg", vnetCidr: "10.40.0.0/16", nodesCidr: "10.40.0.0/20" };
const aks: AksClusterArgs = {
    clusterKey: "aks",
    clusterName: "dual-aks",
    location: "westeurope",
    subscriptionId: "11111111-2222-4333-8444-555555555555",
    tenantId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
    resourceGroupName: "dual-rg",
    nodeSubnetId: "/subscriptions/x/resourceGroups/dual-rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes",
    vnetCidr: "10.40.0.0/16",
    podsCidr: "10.244.0.0/16",
    servicesCidr: "10.50.0.0/20",
    adminGroupObjectIds: ["bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"],
    nodePools: [{ name: "system", minCount: 1, maxCount: 2, system: true }],
};
const gcpNetwork: GcpNetworkArgs = { project: "trustmesh-test", region: "europe-west1", nodesCidr: "10.10.0.0/20", podsCidr: "10.20.0.0/16", servicesCidr: "10.30.0.0/20", masterCidr: "172.16.0.0/28" };
const gke: GkeClusterArgs = {
    project: "trustmesh-test",
    region: "europe-west1",
    clusterName: "dual-gke",
    clusterKey: "gke",
    network: "projects/trustmesh-test/global/networks/dual",
    subnetwork: "projects/trustmesh-test/regions/europe-west1/subnetworks/dual",
    podsRangeName: "pods",
    servicesRangeName: "services",
    masterCidr: "172.16.0.0/28",
};

async function registered(program: () => unknown): Promise<RecordedResource[]> {
    const run = await runOffline(() => {
        program();
        return {};
    }, { stack: "test" });
    return run.resources;
}

function inputsOf(resources: RecordedResource[], type: string): Record<string, any> {
    const found = resources.filter((r) => r.type === type);
    assert.equal(found.length, 1, `one ${type}`);
    return found[0]!.inputs as Record<string, any>;
}

describe("dual-stack (IPv4 + IPv6)", function () {
    this.timeout(120_000);

    it("AKS: a dual-stack VNet, node subnet and cluster when the IPv6 ranges are given", async () => {
        const resources = await registered(() => {
            new AzureNetwork("net", { ...azureNetwork, vnetCidrIpv6: "fd00:40::/48", nodesCidrIpv6: "fd00:40::/64" });
            new AksCluster("aks", { ...aks, podsCidrIpv6: "fd12:3456:789a::/64", servicesCidrIpv6: "fd12:3456:789a:1::/108" });
        });
        assert.deepEqual(inputsOf(resources, "azure-native:network:VirtualNetwork").addressSpace.addressPrefixes, ["10.40.0.0/16", "fd00:40::/48"]);
        const subnet = inputsOf(resources, "azure-native:network:Subnet");
        assert.deepEqual(subnet.addressPrefixes, ["10.40.0.0/20", "fd00:40::/64"]);
        assert.equal(subnet.addressPrefix, undefined, "one of addressPrefix / addressPrefixes, as the API wants");
        const profile = inputsOf(resources, "azure-native:containerservice:ManagedCluster").networkProfile;
        assert.deepEqual(profile.ipFamilies, ["IPv4", "IPv6"]);
        assert.deepEqual(profile.podCidrs, ["10.244.0.0/16", "fd12:3456:789a::/64"]);
        assert.deepEqual(profile.serviceCidrs, ["10.50.0.0/20", "fd12:3456:789a:1::/108"]);
        assert.equal(profile.dnsServiceIP, "10.50.0.10");
        assert.equal(profile.networkPluginMode, "overlay");
    });

    it("AKS: stays single-stack, field for field, when no IPv6 range is given", async () => {
        const resources = await registered(() => {
            new AzureNetwork("net", azureNetwork);
            new AksCluster("aks", aks);
        });
        const profile = inputsOf(resources, "azure-native:containerservice:ManagedCluster").networkProfile;
        assert.ok(!("ipFamilies" in profile) && !("podCidrs" in profile) && !("serviceCidrs" in profile), JSON.stringify(profile));
        assert.equal(inputsOf(resources, "azure-native:network:Subnet").addressPrefix, "10.40.0.0/20");
    });

    it("AKS and its network: clear errors for IPv6 in IPv4 fields and for IPv6 ranges Azure or Kubernetes refuse, all at once", () => {
        const cluster = validateAksClusterArgs({ ...aks, podsCidr: "fd12::/64", podsCidrIpv6: "10.1.0.0/16", servicesCidrIpv6: "fd12:3456:789a:1::/100" });
        assert.ok(cluster.some((p) => /^podsCidr "fd12::\/64" is IPv6: give the IPv4 range here and the IPv6 one in podsCidrIpv6/.test(p)), cluster.join("\n"));
        assert.ok(cluster.some((p) => /^podsCidrIpv6 "10\.1\.0\.0\/16" is IPv4, which this field does not accept: use an IPv6 CIDR/.test(p)), cluster.join("\n"));
        assert.ok(cluster.some((p) => /servicesCidrIpv6 .* wider than a \/108, which Kubernetes refuses/.test(p)), cluster.join("\n"));
        assert.deepEqual(validateAksClusterArgs({ ...aks, podsCidrIpv6: "fd12::/64" }), ["podsCidrIpv6 and servicesCidrIpv6 go together: a dual-stack cluster needs both IPv6 ranges"]);
        assert.match(validateAksClusterArgs({ ...aks, podsCidrIpv6: "fd12::/64", servicesCidrIpv6: "fd12::/108" }).join("\n"), /overlaps podsCidrIpv6/);

        const net = validateAzureNetworkArgs({ ...azureNetwork, vnetCidrIpv6: "fd00:40::/48", nodesCidrIpv6: "fd00:41::/80" });
        assert.ok(net.some((p) => /nodesCidrIpv6 "fd00:41::\/80" must be exactly a \/64: Azure IPv6 subnets are \/64/.test(p)), net.join("\n"));
        assert.match(validateAzureNetworkArgs({ ...azureNetwork, vnetCidrIpv6: "fd00:40::/48", nodesCidrIpv6: "fd00:41::/64" }).join("\n"), /must lie inside vnetCidrIpv6/);
        assert.match(validateAzureNetworkArgs({ ...azureNetwork, vnetCidr: "fd00::/48" }).join("\n"), /vnetCidr "fd00::\/48" is IPv6: give the IPv4 range here and the IPv6 one in vnetCidrIpv6/);
    });

    it("GKE: a dual-stack subnet on a VPC with ULA internal IPv6, and a dual-stack cluster, when asked", async () => {
        const resources = await registered(() => {
            new GcpNetwork("net", { ...gcpNetwork, dualStack: true });
            new GkeCluster("gke", { ...gke, dualStack: true });
        });
        assert.equal(inputsOf(resources, "gcp:compute/network:Network").enableUlaInternalIpv6, true);
        const subnet = inputsOf(resources, "gcp:compute/subnetwork:Subnetwork");
        assert.equal(subnet.stackType, "IPV4_IPV6");
        assert.equal(subnet.ipv6AccessType, "INTERNAL");
        assert.equal(inputsOf(resources, "gcp:container/cluster:Cluster").ipAllocationPolicy.stackType, "IPV4_IPV6");
    });

    it("GKE: stays IPv4-only by default", async () => {
        const resources = await registered(() => {
            new GcpNetwork("net", gcpNetwork);
            new GkeCluster("gke", gke);
        });
        assert.equal(inputsOf(resources, "gcp:compute/subnetwork:Subnetwork").stackType, "IPV4_ONLY");
        assert.equal(inputsOf(resources, "gcp:compute/network:Network").enableUlaInternalIpv6, undefined);
        assert.equal(inputsOf(resources, "gcp:container/cluster:Cluster").ipAllocationPolicy.stackType, undefined);
    });

    it("GKE: IPv6 given where GKE takes IPv4 is refused with the reason", () => {
        const net = validateGcpNetworkArgs({ ...gcpNetwork, podsCidr: "fd20::/56" });
        assert.ok(net.some((p) => /podsCidr "fd20::\/56" is IPv6: GKE takes IPv4 ranges here and assigns the IPv6 ones itself on a dual-stack subnet \(dualStack: true\)/.test(p)), net.join("\n"));
        const cluster = validateGkeClusterArgs({ ...gke, authorizedNetworks: [{ displayName: "v6", cidrBlock: "2001:db8::/32" }] });
        assert.ok(cluster.some((p) => /authorizedNetworks\[0\]\.cidrBlock "2001:db8::\/32" is IPv6: GKE control plane authorized networks take IPv4 blocks only/.test(p)), cluster.join("\n"));
    });
});
