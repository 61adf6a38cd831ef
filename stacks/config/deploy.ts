import { z } from "zod";
import { aksPrivateDnsZoneName, isVnetId, parseVnetId } from "../../components/aksRunnerAccess";
import { resolveAksSettings, type AzureConfig } from "./azure";
import { cidr, cidrsOverlap, isCanonicalCidr, type ClusterName, type EnvironmentTier } from "./common";
import { resolveGkeSettings, type GcpConfig } from "./gcp";

/**
 * Where the deployment of an environment (`pulumi up`, `npm run deploy`) runs, as seen by the
 * clusters' API servers:
 * - `internet`: a CI runner or a laptop with ordinary internet egress;
 * - `gcp-vpc`: an agent inside the GKE cluster's VPC;
 * - `azure-vnet`: an agent in an Azure VNet that exists before the stack (a hub or runner VNet),
 *   which the stack peers with the AKS VNet and links to the API server's private DNS zone.
 */
export const runnerLocations = ["internet", "gcp-vpc", "azure-vnet"] as const;
export type RunnerLocation = (typeof runnerLocations)[number];

export { parseVnetId };

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID such as 00000000-0000-0000-0000-000000000000");

export const deploySchema = z.strictObject({
    /** Where the deployment of this environment runs; the plan checks every cluster's API server is reachable from there. @default "internet" */
    runsFrom: z.enum(runnerLocations).default("internet"),
    /**
     * The existing Azure VNet the runner sits in (`runsFrom: azure-vnet`). The stack peers it with the
     * AKS VNet both ways and links the API server's private DNS zone to it. @default - none
     */
    azureRunnerNetwork: z
        .strictObject({
            /** Resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>. */
            vnetId: z.string().refine(isVnetId, "must be an Azure VNet resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>"),
            /** Its address space: peered VNets must not overlap. */
            addressSpace: z.array(cidr).min(1),
        })
        .optional(),
    /**
     * The Entra identity the deployment signs in as (the runner's service principal or managed
     * identity). The stack grants it Kubernetes access on the AKS cluster only (Cluster User Role and
     * RBAC Cluster Admin at the cluster's scope). @default - none: it must be in adminGroupObjectIds
     */
    azureDeployer: z
        .strictObject({
            /** Object (principal) id. */
            principalId: uuid,
            /** @default "ServicePrincipal" */
            principalType: z.enum(["ServicePrincipal", "User", "Group"]).default("ServicePrincipal"),
        })
        .optional(),
    /**
     * The Google service account the deployment runs as. A documented input: it must hold the project
     * roles `gcpDeployerRoles` lists before the first deploy (a stack cannot grant its own runner). @default - none
     */
    gcpDeployer: z
        .string()
        .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/, "must be a Google service account email such as deployer@my-project.iam.gserviceaccount.com")
        .optional(),
});

export type DeployConfig = z.output<typeof deploySchema>;

/** How the deployment reaches one cluster's API server. */
export interface ClusterReach {
    cluster: ClusterName;
    clusterName: string;
    /** The endpoint the deployment's kubeconfig uses. */
    endpoint: "gke-dns" | "gke-private-ip" | "gke-public-ip" | "aks-private" | "aks-public";
    /** The endpoint in words, for the plan. */
    describe: string;
    /** Runner locations that reach it. */
    reachableFrom: RunnerLocation[];
    /** The condition under which they reach it. */
    via: string;
    /** True when the configured runner location reaches it. */
    reachable: boolean;
}

interface ReachInput {
    environment: EnvironmentTier;
    deploy: DeployConfig;
    gcp?: GcpConfig;
    azure?: AzureConfig;
}

/** Per cluster of the environment: the endpoint the deployment uses and where it is reachable from. */
export function clusterReach(config: ReachInput): ClusterReach[] {
    const reach: ClusterReach[] = [];
    const { runsFrom } = config.deploy;
    if (config.gcp) {
        const gke = resolveGkeSettings(config);
        const base = { cluster: "gke" as const, clusterName: gke.clusterName };
        if (gke.dnsEndpoint) {
            reach.push({
                ...base,
                endpoint: "gke-dns",
                describe: `DNS endpoint <uid>.${gke.region}.gke.goog (IAM-gated; IP endpoint ${gke.privateEndpoint ? "private" : "public behind authorized networks"})`,
                reachableFrom: [...runnerLocations],
                via: "HTTPS egress to *.gke.goog and a Google identity with container.clusters.connect",
                reachable: true,
            });
        } else if (gke.privateEndpoint) {
            reach.push({
                ...base,
                endpoint: "gke-private-ip",
                describe: `private IP endpoint in ${gke.network.masterCidr}`,
                reachableFrom: ["gcp-vpc"],
                via: "inside the cluster's VPC",
                reachable: runsFrom === "gcp-vpc",
            });
        } else {
            const open = gke.authorizedNetworks.length > 0;
            reach.push({
                ...base,
                endpoint: "gke-public-ip",
                describe: "public IP endpoint behind master authorized networks",
                reachableFrom: open ? [...runnerLocations] : ["gcp-vpc"],
                via: open ? `egress from an authorized network (${gke.authorizedNetworks.map((n) => n.cidrBlock).join(", ")})` : "inside the cluster's VPC (no authorized networks listed)",
                reachable: open || runsFrom === "gcp-vpc",
            });
        }
    }
    if (config.azure) {
        const aks = resolveAksSettings({ environment: config.environment, azure: config.azure });
        const base = { cluster: "aks" as const, clusterName: aks.clusterName };
        if (aks.privateCluster) {
            const runner = config.deploy.azureRunnerNetwork;
            reach.push({
                ...base,
                endpoint: "aks-private",
                describe: `private API server, FQDN in ${runner ? aksPrivateDnsZoneName(aks.clusterName, config.azure.location) : `the zone AKS creates (privatelink.${config.azure.location}.azmk8s.io)`}`,
                reachableFrom: ["azure-vnet"],
                via: runner ? `the runner VNet ${parseVnetId(runner.vnetId).name}, peered with the AKS VNet and linked to the private DNS zone` : "a runner VNet peered with the AKS VNet (deploy.azureRunnerNetwork)",
                reachable: runsFrom === "azure-vnet" && runner !== undefined,
            });
        } else {
            const ranges = config.azure.cluster.authorizedIpRanges;
            reach.push({
                ...base,
                endpoint: "aks-public",
                describe: "public API server behind authorized IP ranges",
                reachableFrom: [...runnerLocations],
                via: `egress from an authorized range (${ranges.join(", ")})`,
                reachable: true,
            });
        }
    }
    return reach;
}

/** A deployment-location problem, with its key path under `trustmesh:`. */
export interface DeployProblem {
    path: (string | number)[];
    message: string;
}

/** The way out for a cluster the runner cannot reach. */
function wayOut(reach: ClusterReach): string {
    if (reach.cluster === "aks") {
        return "run the deployment from an agent in an existing Azure VNet: set trustmesh:deploy.runsFrom: azure-vnet and trustmesh:deploy.azureRunnerNetwork (the runner VNet's id and address space), which the stack peers with the AKS VNet and links to the API server's private DNS zone";
    }
    return "turn the GKE DNS endpoint back on (remove trustmesh:gcp.cluster.dnsEndpoint: false); it is IAM-gated and reachable from any runner";
}

/**
 * Checks that the deployment can reach every cluster's API server from where it runs, and that the
 * runner network can be peered. A stack that could not be deployed is a config error naming the
 * cluster and the way out.
 */
export function deployProblems(config: ReachInput): DeployProblem[] {
    const problems: DeployProblem[] = [];
    const { deploy } = config;
    for (const reach of clusterReach(config)) {
        if (reach.reachable) continue;
        if (reach.endpoint === "aks-private" && deploy.runsFrom === "azure-vnet") {
            problems.push({
                path: ["deploy", "azureRunnerNetwork"],
                message: `is required: cluster "aks" (${reach.clusterName}) has a private API server and the runner must sit in a VNet that exists before the first deploy; give its id and address space so the stack peers it with the AKS VNet and links the private DNS zone to it`,
            });
            continue;
        }
        problems.push({
            path: ["deploy", "runsFrom"],
            message: `"${deploy.runsFrom}" cannot reach cluster "${reach.cluster}" (${reach.clusterName}): its ${reach.describe} is reachable only from ${reach.reachableFrom.join(", ")} (${reach.via}). Way out: ${wayOut(reach)}`,
        });
    }
    const runner = deploy.azureRunnerNetwork;
    if (runner && config.azure && isCanonicalCidr(config.azure.network.vnetCidr)) {
        runner.addressSpace.forEach((block, index) => {
            if (isCanonicalCidr(block) && cidrsOverlap(block, config.azure!.network.vnetCidr)) {
                problems.push({
                    path: ["deploy", "azureRunnerNetwork", "addressSpace", index],
                    message: `${block} overlaps the AKS VNet (${config.azure!.network.vnetCidr}); peered VNets must not overlap`,
                });
            }
        });
    }
    if (runner && !config.azure) {
        problems.push({ path: ["deploy", "azureRunnerNetwork"], message: "is set, but the stack has no trustmesh:azure section to peer it with" });
    }
    if (deploy.azureDeployer && !config.azure) {
        problems.push({ path: ["deploy", "azureDeployer"], message: "is set, but the stack has no trustmesh:azure section (no AKS cluster to grant access on)" });
    }
    return problems;
}

/**
 * The project roles the Google service account running the deployment needs, each with why. GKE has
 * no per-cluster IAM, and a new cluster grants its creator no Kubernetes access, so the Kubernetes
 * layer needs roles/container.admin; nothing here is a basic role (owner, editor).
 */
export function gcpDeployerRoles(settings: { databaseEncryptionKey?: string }): Array<{ role: string; why: string }> {
    return [
        { role: "roles/serviceusage.serviceUsageAdmin", why: "enables the Google APIs the cluster needs" },
        { role: "roles/compute.networkAdmin", why: "VPC, subnet, Cloud Router and NAT, static addresses" },
        { role: "roles/compute.securityAdmin", why: "the webhook firewall rule" },
        { role: "roles/container.admin", why: "the cluster and node pools, and the Kubernetes objects through the DNS endpoint (container.clusters.connect)" },
        { role: "roles/iam.serviceAccountAdmin", why: "node and workload service accounts and their Workload Identity bindings" },
        { role: "roles/iam.serviceAccountUser", why: "node pools run as their own service accounts" },
        { role: "roles/resourcemanager.projectIamAdmin", why: "project roles of node and workload accounts; narrow it with an IAM condition on the grantable roles" },
        { role: "roles/dns.admin", why: "mesh DNS records" },
        { role: "roles/gkehub.admin", why: "fleet membership and managed mesh" },
        ...(settings.databaseEncryptionKey ? [{ role: "roles/cloudkms.admin", why: "grants GKE's agent use of the Secret encryption key (scope it to the key)" }] : []),
    ];
}
