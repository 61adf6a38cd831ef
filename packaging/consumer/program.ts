// A platform team's own Pulumi program: one cluster per cloud, a shared root CA and a mesh link,
// with the documented args of the published package (no trustmesh internals).
import * as k8s from "@pulumi/kubernetes";
import { AksCluster, GkeCluster, MeshLink, RootCa, type AksClusterArgs, type GkeClusterArgs, type MeshLinkArgs, type RootCaArgs } from "trustmesh";

const gkeArgs: GkeClusterArgs = {
    project: "platform-prod-1",
    region: "europe-west1",
    clusterName: "platform-gke",
    network: "projects/platform-prod-1/global/networks/platform",
    subnetwork: "projects/platform-prod-1/regions/europe-west1/subnetworks/platform-nodes",
    podsRangeName: "pods",
    servicesRangeName: "services",
    masterCidr: "172.16.0.16/28",
    authorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }],
};
export const gke = new GkeCluster("gke", gkeArgs);

const aksArgs: AksClusterArgs = {
    clusterKey: "aks",
    clusterName: "platform-aks",
    location: "westeurope",
    subscriptionId: "00000000-0000-0000-0000-000000000001",
    tenantId: "00000000-0000-0000-0000-000000000002",
    resourceGroupName: "platform-rg",
    nodeSubnetId: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/platform-rg/providers/Microsoft.Network/virtualNetworks/platform/subnets/nodes",
    vnetCidr: "10.20.0.0/16",
    podsCidr: "10.244.0.0/16",
    servicesCidr: "10.96.0.0/16",
    adminGroupObjectIds: ["00000000-0000-0000-0000-000000000003"],
    nodePools: [
        { name: "system", minCount: 1, maxCount: 3, system: true },
        { name: "apps", minCount: 1, maxCount: 5 },
    ],
};
export const aks = new AksCluster("aks", aksArgs);

const rootArgs: RootCaArgs = { commonName: "platform root CA", organization: "Platform" };
export const root = new RootCa("root-ca", rootArgs);

const serverProvider = new k8s.Provider("gke-k8s", { kubeconfig: "{}" });
const clientProvider = new k8s.Provider("aks-k8s", { kubeconfig: "{}" });
const linkArgs: MeshLinkArgs = {
    service: "mysql",
    namespace: "data",
    port: 3306,
    linkPort: 13306,
    host: "mysql.platform.example.com",
    server: "gke",
    client: "aks",
    clientNamespace: "apps",
    serverProvider,
    clientProvider,
};
export const link = new MeshLink("mysql-link", linkArgs);

export const rootCertificate = root.certPem;
