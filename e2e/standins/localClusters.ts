// What the STAND-IN cloud providers change in their fake answers when the e2e run deploys the Kubernetes
// layer (`npm run e2e:kubernetes -- run`): the GKE cluster's endpoints and CA, and the AKS user kubeconfig,
// point at the two local API servers instead of made-up cloud addresses. Everything else in the answers
// stays as offline/fakes makes it. Off unless $TRUSTMESH_E2E_CLUSTERS names the run's endpoints file.
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";

/** One local API server as the stand-ins hand it out, keyed by the environment's cluster key (gke, aks). */
export interface LocalClusterEndpoint {
    /** `https://127.0.0.1:<port>` */
    server: string;
    /** `127.0.0.1:<port>`: GKE reports endpoints without a scheme. */
    endpoint: string;
    /** The local cluster CA (PEM, base64), as GKE's masterAuth and AKS's kubeconfig carry it. */
    caCertificateBase64: string;
}

export const localClustersEnv = "TRUSTMESH_E2E_CLUSTERS";

function localClusters(): Record<string, LocalClusterEndpoint> | undefined {
    const file = process.env[localClustersEnv];
    return file ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, LocalClusterEndpoint>) : undefined;
}

function requireCluster(clusters: Record<string, LocalClusterEndpoint>, key: string, what: string): LocalClusterEndpoint {
    const cluster = clusters[key];
    if (!cluster) throw new Error(`trustmesh e2e stand-in: ${what} needs the local cluster "${key}", but ${process.env[localClustersEnv]} names only ${Object.keys(clusters).join(", ")}`);
    return cluster;
}

/**
 * A GKE cluster's outputs pointing at the local `gke` API server. Both endpoints become
 * `127.0.0.1:<port>`: the DNS endpoint (the program's default) is then trusted through the CA bundle
 * the run gives the kubernetes provider (on GKE a public CA signs it), the IP endpoint through masterAuth's CA.
 */
export function withLocalClusterOutputs(type: string, outs: Record<string, unknown>): Record<string, unknown> {
    // The type first: every create of the stand-in provider passes here, and only the cluster reads the file.
    if (type !== "gcp:container/cluster:Cluster") return outs;
    const clusters = localClusters();
    if (!clusters) return outs;
    const gke = requireCluster(clusters, "gke", "a GKE cluster");
    const endpoints = (outs.controlPlaneEndpointsConfig ?? {}) as { dnsEndpointConfig?: Record<string, unknown> };
    return {
        ...outs,
        endpoint: gke.endpoint,
        controlPlaneEndpointsConfig: { ...endpoints, dnsEndpointConfig: { ...(endpoints.dnsEndpointConfig ?? {}), endpoint: gke.endpoint } },
        masterAuth: { ...((outs.masterAuth ?? {}) as Record<string, unknown>), clusterCaCertificate: gke.caCertificateBase64 },
    };
}

/** The AKS user kubeconfig (base64 YAML) with the local `aks` API server's address and CA; its user is kept. */
export function withLocalClusterCallResult(token: string, result: Record<string, unknown>): Record<string, unknown> {
    if (token !== "azure-native:containerservice:listManagedClusterUserCredentials") return result;
    const clusters = localClusters();
    if (!clusters) return result;
    const aks = requireCluster(clusters, "aks", "an AKS user kubeconfig");
    const kubeconfigs = (result.kubeconfigs ?? []) as Array<{ name: string; value: string }>;
    return {
        ...result,
        kubeconfigs: kubeconfigs.map(({ name, value }) => {
            const config = parse(Buffer.from(value, "base64").toString("utf8")) as { clusters?: Array<{ cluster: Record<string, string> }> };
            for (const entry of config.clusters ?? []) entry.cluster = { ...entry.cluster, server: aks.server, "certificate-authority-data": aks.caCertificateBase64 };
            return { name, value: Buffer.from(stringify(config)).toString("base64") };
        }),
    };
}
