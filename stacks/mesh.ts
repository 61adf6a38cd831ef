import * as gcpCompute from "@pulumi/gcp/compute";
import * as network from "@pulumi/azure-native/network";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { builtInRoleDefinitionId } from "../components/azureWorkloadIdentity";
import { meshLinksRuleName } from "./azure";
import { Istio } from "../components/istio";
import { MeshLink } from "../components/meshLink";
import type { MtlsDnsZoneArgs } from "../components/mtlsServer";
import type { ClusterTarget } from "./clusters";
import type { GcpDeployment } from "./gcp";
import { deployMeshExample } from "./meshExample";
import { namespaceReady, type NamespaceResources } from "./namespaces";
import type { ClusterName, EnvironmentConfig } from "./config";
import { trustDomainOf } from "./config/mesh";

/** What the mesh needs from the PKI (a `PkiDeployment` fits): per cluster, the internal issuer and what it waits for. */
export interface MeshPki {
    clusters?: Partial<Record<ClusterName, { ready: pulumi.Resource[]; internalIssuer?: { name: string } }>>;
    /** Every root the meshes trust, PEM (two during a root rotation): istio-csr's trust anchors. */
    trustAnchorsPem?: pulumi.Input<string>;
}

/** The mesh of an environment: Istio per cluster, the reserved ingress IPs and the links. */
export interface MeshDeployment {
    istio: Partial<Record<ClusterName, Istio>>;
    /** The static IP each cluster's ingress gateway holds. */
    ingressAddresses: Partial<Record<ClusterName, pulumi.Output<string>>>;
    links: MeshLink[];
    /** Stack outputs: link name -> host, and the ingress IPs. */
    outputs: { meshLinks: Record<string, pulumi.Output<string>>; meshIngressAddresses: Partial<Record<ClusterName, pulumi.Output<string>>> };
}

/** The reserved ingress IP of one cluster plus how its gateway Service is told to take it. */
interface IngressIp {
    address: pulumi.Output<string>;
    /** What the gateway Service must wait for before it can take the IP. */
    ready: pulumi.Resource[];
    loadBalancerIP?: pulumi.Output<string>;
    annotations: Record<string, pulumi.Input<string>>;
}

/** A regional external address: GKE's network load balancer takes it through `loadBalancerIP`. */
function gkeIngressIp(config: EnvironmentConfig, cluster: ClusterTarget): IngressIp {
    const gcp = config.gcp!;
    const address = new gcpCompute.Address("gke-istio-ingress", {
        project: gcp.project,
        region: gcp.region,
        name: `trustmesh-${config.environment}-istio-ingress`,
        addressType: "EXTERNAL",
        networkTier: "PREMIUM",
        description: "Static IP of the Istio ingress gateway (trustmesh mesh links)",
    }, { protect: config.environment === "prod", dependsOn: cluster.cloudReady ?? [] });
    return { address: address.address, loadBalancerIP: address.address, annotations: {}, ready: [address] };
}

/**
 * A Standard static public IP in its own resource group; the AKS cloud provider finds it by name and
 * resource group (annotations), which replace the deprecated `loadBalancerIP` on AKS.
 */
function aksIngressIp(config: EnvironmentConfig, cluster: ClusterTarget): IngressIp & { resourceGroupName: pulumi.Output<string> } {
    const azure = config.azure!;
    // Plain names, known before deploy: the gateway's annotations must not wait on the group's outputs.
    const resourceGroupName = `trustmesh-${config.environment}-mesh`;
    const inAzure = cluster.cloudProvider ? { provider: cluster.cloudProvider } : {};
    const group = new resources.ResourceGroup("aks-istio-ingress", { resourceGroupName, location: azure.location }, inAzure);
    const name = `trustmesh-${config.environment}-istio-ingress`;
    const publicIp = new network.PublicIPAddress("aks-istio-ingress", {
        resourceGroupName,
        location: azure.location,
        publicIpAddressName: name,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        // Zone-redundant in prod so one zone going down does not take the link's address with it.
        ...(config.environment === "prod" ? { zones: ["1", "2", "3"] } : {}),
    }, { ...inAzure, dependsOn: [group], protect: config.environment === "prod" });
    // The cluster's control-plane identity attaches the IP to its load balancer: it needs Network
    // Contributor on this group, and no wider.
    const ready: pulumi.Resource[] = [publicIp];
    if (cluster.controlPlanePrincipalId) {
        ready.push(
            new authorization.RoleAssignment(
                "aks-istio-ingress-network-contributor",
                {
                    principalId: cluster.controlPlanePrincipalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: builtInRoleDefinitionId(azure.subscriptionId, "Network Contributor"),
                    scope: group.id,
                },
                { ...inAzure, dependsOn: [group] },
            ),
        );
    }
    const address = publicIp.ipAddress.apply((ip) => ip ?? "");
    return {
        address,
        ready,
        resourceGroupName: pulumi.output(resourceGroupName),
        annotations: {
            "service.beta.kubernetes.io/azure-load-balancer-resource-group": resourceGroupName,
            "service.beta.kubernetes.io/azure-pip-name": name,
        },
    };
}

function dnsZoneFor(config: EnvironmentConfig): MtlsDnsZoneArgs | undefined {
    const dns = config.mesh.dns;
    if (!dns) return undefined;
    // Records and reserved IPs are what clients find the link by: stateful, so protected in prod.
    const protect = config.environment === "prod";
    return dns.gcpManagedZone !== undefined
        ? { gcpManagedZone: dns.gcpManagedZone, gcpProject: config.gcp?.project, ttlSeconds: dns.ttlSeconds, protect }
        : { azureZoneName: dns.domain, azureResourceGroupName: dns.azureResourceGroup, ttlSeconds: dns.ttlSeconds, protect };
}

/**
 * Builds the mesh: Istio on every cluster (the GKE control plane left to Google when the managed mesh
 * is chosen), a reserved static IP per ingress gateway with every link port declared on it, and one
 * MeshLink per configured link between its server and client clusters. `namespaces` (cluster -> name ->
 * the namespace resource) lets each link side wait for the namespace its NetworkPolicy goes into.
 */
export function deployMesh(
    config: EnvironmentConfig,
    clusters: Partial<Record<ClusterName, ClusterTarget>>,
    pki: MeshPki = {},
    namespaces: NamespaceResources = {},
): MeshDeployment {
    const istio: Partial<Record<ClusterName, Istio>> = {};
    const ingressAddresses: Partial<Record<ClusterName, pulumi.Output<string>>> = {};
    for (const key of Object.keys(clusters) as ClusterName[]) {
        const cluster = clusters[key]!;
        const ip = key === "gke" ? gkeIngressIp(config, cluster) : aksIngressIp(config, cluster);
        ingressAddresses[key] = ip.address;
        const linkPorts = config.mesh.links.filter((l) => l.server === key).map((l) => l.linkPort);
        const controlPlane = !(key === "gke" && config.gcp?.managedMesh);
        // Workload certificates from the cluster's intermediate, unless the control plane is Google's.
        const externalCa = controlPlane && config.mesh.certificateAuthority === "istio-csr" && pki.trustAnchorsPem !== undefined;
        // The load balancer keeps the client's address: it admits only the peer cluster's egress IPs.
        const peer = Object.values(clusters).find((c) => c && c.key !== key);
        const ingressSourceRanges = (peer?.egressAddresses ?? []).map((address) => pulumi.interpolate`${address}/32`);
        istio[key] = new Istio(
            `${key}-istio`,
            {
                version: config.mesh.istioVersion,
                controlPlane,
                ingressLoadBalancerIP: ip.loadBalancerIP,
                ingressServiceAnnotations: ip.annotations,
                ingressSourceRanges,
                linkPorts,
                egressLinkPorts: [...new Set(config.mesh.links.filter((l) => l.client === key).map((l) => l.linkPort))],
                platform: key === "gke" ? "gke" : undefined,
                trustDomain: trustDomainOf(config, key),
                externalCa: externalCa ? { trustAnchorsPem: pki.trustAnchorsPem!, issuerName: pki.clusters?.[key]?.internalIssuer?.name, replicas: config.environment === "prod" ? 2 : 1 } : undefined,
                installedOutside: config.platform.installedOutside.includes("istio"),
            },
            // With istio-csr, Istio waits for cert-manager and the intermediate's issuer on its cluster.
            { provider: cluster.provider, dependsOn: [...cluster.ready, ...ip.ready, ...(externalCa ? (pki.clusters?.[key]?.ready ?? []) : [])] },
        );
    }

    const dnsZone = dnsZoneFor(config);
    // A Cloud DNS record waits for the GCP side's enabled APIs, whichever cluster serves the link.
    const dnsReady = dnsZone?.gcpManagedZone !== undefined ? (clusters.gke?.cloudReady ?? []) : [];
    const links: MeshLink[] = [];
    const meshLinks: Record<string, pulumi.Output<string>> = {};
    for (const link of config.mesh.links) {
        const server = clusters[link.server];
        const client = clusters[link.client];
        if (!server || !client) {
            // The config schema refuses this; kept for callers that build a config by hand.
            throw new pulumi.RunError(`mesh link "${link.name}" joins ${link.server} and ${link.client}, but the stack configures no ${!server ? link.server : link.client} cluster`);
        }
        const meshLink = new MeshLink(`mesh-${link.name}`, {
            linkName: link.name,
            service: link.service,
            namespace: link.namespace,
            port: link.port,
            linkPort: link.linkPort,
            host: link.host,
            server: link.server,
            client: link.client,
            clientNamespace: link.clientNamespace,
            serverTrustDomain: trustDomainOf(config, link.server),
            clientTrustDomain: trustDomainOf(config, link.client),
            trustAnchorsPem: pki.trustAnchorsPem,
            serverProvider: server.provider,
            clientProvider: client.provider,
            // Both clusters name their internal issuer alike; the server's is the reference.
            issuerName: pki.clusters?.[link.server]?.internalIssuer?.name,
            dnsZone,
            ingressAddress: dnsZone ? ingressAddresses[link.server] : undefined,
        }, {
            // Azure DNS records go to the configured subscription too.
            providers: [server.cloudProvider, client.cloudProvider].filter((p): p is pulumi.ProviderResource => !!p),
            // Both sides wait for Istio and the issuer on both clusters, the namespaces the link's
            // NetworkPolicies land in, and (for a Cloud DNS record) the GCP side's enabled APIs.
            dependsOn: [
                ...dnsReady,
                ...[link.server, link.client].flatMap((key) => [...(istio[key] ? [istio[key]!] : []), ...(pki.clusters?.[key]?.ready ?? [])]),
                ...namespaceReady(namespaces, link.server, link.namespace),
                ...namespaceReady(namespaces, link.client, link.clientNamespace),
            ],
        });
        links.push(meshLink);
        meshLinks[link.name] = meshLink.host;
    }
    if (clusters.gke && clusters.aks) admitLinkClientsOnGke(config, clusters.gke, clusters.aks, ingressAddresses.gke!);
    const example = config.mesh.example;
    const exampleCluster = example ? clusters[example.cluster] : undefined;
    if (example && exampleCluster) {
        // The server must start with its sidecar: wait for Istio (istiod's injection webhook, the CNI) too.
        deployMeshExample(example, exampleCluster, [...namespaceReady(namespaces, example.cluster, example.namespace), ...(istio[example.cluster] ? [istio[example.cluster]!] : [])]);
    }
    return { istio, ingressAddresses, links, outputs: { meshLinks, meshIngressAddresses: ingressAddresses } };
}

/**
 * The VPC firewall rule that admits the clients of the links GKE serves: their link ports, from exactly
 * the AKS side's egress addresses, to the ingress gateway's address on the nodes. One rule for all
 * links (firewall rules are a per-project quota). GKE's own rule for the LoadBalancer Service follows
 * `loadBalancerSourceRanges`; this one states the same intent where the platform team owns it, and
 * keeps holding if GKE's firewall reconciliation is turned off.
 */
function admitLinkClientsOnGke(config: EnvironmentConfig, server: ClusterTarget, client: ClusterTarget, ingressAddress: pulumi.Output<string>): void {
    const ports = [...new Set(config.mesh.links.filter((link) => link.server === "gke").map((link) => link.linkPort))].sort((a, b) => a - b);
    const network = (server as Partial<GcpDeployment>).network;
    // No client addresses means no rule at all: a GCP rule without sources would admit 0.0.0.0/0.
    if (ports.length === 0 || !network || !client.egressAddresses?.length) return;
    new gcpCompute.Firewall(`gke-${meshLinksRuleName}`, {
        name: `trustmesh-${config.environment}-${meshLinksRuleName}`,
        project: config.gcp!.project,
        network: network.networkSelfLink,
        description: "trustmesh mesh links: the peer cluster's egress to the ingress gateway",
        direction: "INGRESS",
        priority: 1000,
        sourceRanges: client.egressAddresses.map((address) => pulumi.interpolate`${address}/32`),
        destinationRanges: [pulumi.interpolate`${ingressAddress}/32`],
        targetTags: [network.nodeTag],
        allows: [{ protocol: "tcp", ports: ports.map(String) }],
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    }, { dependsOn: server.cloudReady ?? [] });
}
