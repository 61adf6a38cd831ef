import { z } from "zod";
import { trustDomainPattern } from "../../components/names";
import { clusterNames, dnsLabel, dnsName, type ClusterName } from "./common";

const port = z.number().int().min(1).max(65535);

/** Ports Envoy keeps for itself on gateways and sidecars (admin, inbound/outbound capture, status, stats). */
export const istioReservedPortRange = { first: 15000, last: 15090 } as const;
/** The egress gateway's mTLS port, which every link's client side routes through. */
export const egressGatewayPort = 15443;

function isReserved(value: number): boolean {
    return value >= istioReservedPortRange.first && value <= istioReservedPortRange.last;
}

const reservedMessage = `is in Istio's reserved range ${istioReservedPortRange.first}-${istioReservedPortRange.last} (Envoy's own listeners); pick another port`;

export const meshLinkSchema = z
    .strictObject({
        /** Link name, unique in the environment; prefixes every object of the link (at most 37 characters). */
        name: dnsLabel.refine((n) => n.length <= 37, { message: "must be at most 37 characters: object names add up to 26 more" }),
        /** The Kubernetes Service on the server cluster. */
        service: dnsLabel,
        /** Its namespace (listed in trustmesh:namespaces for the server cluster). */
        namespace: dnsLabel,
        /** Its TCP port, also the port clients connect to. */
        port: port
            .refine((p) => !isReserved(p), { message: reservedMessage })
            .refine((p) => p !== egressGatewayPort, { message: `is the egress gateway's port ${egressGatewayPort}; the app port must differ` }),
        /** Port the server's ingress gateway listens on for this link; unique per server cluster. */
        linkPort: port.refine((p) => !isReserved(p), { message: reservedMessage }),
        /** Public DNS name clients reach the server's ingress gateway by; in the server certificate. Unique per link. */
        host: dnsName.refine((h) => h.length <= 246, { message: "must be at most 246 characters: the client certificate is named client.<host>" }),
        /** Cluster that runs the service. */
        server: z.enum(clusterNames),
        /** Cluster whose workloads call it. */
        client: z.enum(clusterNames),
        /** Namespace of the calling workloads on the client cluster (listed in trustmesh:namespaces for it). */
        clientNamespace: dnsLabel,
    })
    .superRefine((link, ctx) => {
        if (link.server === link.client) {
            ctx.addIssue({ code: "custom", path: ["client"], message: `is the server cluster "${link.server}" too: a link joins two different clusters` });
        }
        if (link.port === link.linkPort) {
            ctx.addIssue({ code: "custom", path: ["linkPort"], message: `equals port ${link.port}: the plain app port and the TLS link port must differ` });
        }
    });

export const meshDnsSchema = z
    .strictObject({
        /** Domain of the public zone, e.g. mesh.example.com; every link host must be inside it. */
        domain: dnsName,
        /** Cloud DNS managed zone holding the domain (needs trustmesh:gcp). @default - not Cloud DNS */
        gcpManagedZone: dnsLabel.optional(),
        /** Resource group of the Azure DNS zone named like the domain (needs trustmesh:azure). @default - not Azure DNS */
        azureResourceGroup: z
            .string()
            .regex(/^[-\w._()]{1,89}[-\w_()]$/, "must be an Azure resource group name")
            .optional(),
        /** TTL of the records in seconds. @default 300 */
        ttlSeconds: z.number().int().min(30).max(86400).default(300),
    })
    .superRefine((dns, ctx) => {
        if ((dns.gcpManagedZone === undefined) === (dns.azureResourceGroup === undefined)) {
            ctx.addIssue({ code: "custom", path: [], message: "set exactly one of gcpManagedZone (Cloud DNS) or azureResourceGroup (Azure DNS)" });
        }
    });

/** Seed 001's MySQL server, deployed so a link has something to reach in every environment. */
export const meshExampleSchema = z.strictObject({
    /** Cluster running the MySQL server. */
    cluster: z.enum(clusterNames),
    /** Its namespace (listed in trustmesh:namespaces for that cluster); the Service is `mysql` on 3306. */
    namespace: dnsLabel,
    /** Root password: set it with `pulumi config set --secret`; it only ever lands in a Secret. */
    rootPassword: z.string().min(12, "must be at least 12 characters"),
    /** MySQL image, pinned. @default "docker.io/library/mysql:8.4.6" */
    image: z
        .string()
        .regex(/^[^:@\s]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/, "must be pinned to a tag or a digest")
        .refine((i) => !i.endsWith(":latest"), { message: "must not use the latest tag" })
        .default("docker.io/library/mysql:8.4.6"),
});

export const meshSchema = z
    .strictObject({
        /** Istio version of the Helm charts. @default "1.28.1" */
        istioVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be a pinned version such as 1.28.1").default("1.28.1"),
        /** Public zone the link hosts are published in. @default - no records (DNS managed elsewhere) */
        dns: meshDnsSchema.optional(),
        /** Cross-cluster mTLS links. @default [] */
        links: z.array(meshLinkSchema).default([]),
        /** Seed 001's MySQL server. @default - none */
        example: meshExampleSchema.optional(),
        /**
         * Who signs workload certificates: "istio-csr" (cert-manager, from the cluster's intermediate, so both
         * meshes chain to the environment root) or "istiod" (istiod's own self-signed CA; refused in prod).
         * @default "istio-csr"
         */
        certificateAuthority: z.enum(["istio-csr", "istiod"]).default("istio-csr"),
        /** SPIFFE trust domain per cluster. @default - "<cluster>.<environment>.<region or location>" */
        trustDomains: z
            .strictObject({
                gke: z.string().regex(trustDomainPattern, "must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')").optional(),
                aks: z.string().regex(trustDomainPattern, "must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')").optional(),
            })
            .default({}),
    })
    .superRefine((mesh, ctx) => {
        const names = new Map<string, number>();
        const hosts = new Map<string, number>();
        const linkPorts = new Map<string, number>();
        mesh.links.forEach((link, index) => {
            const sameName = names.get(link.name);
            if (sameName !== undefined) {
                ctx.addIssue({ code: "custom", path: ["links", index, "name"], message: `"${link.name}" is already the name of links[${sameName}]; link names must be unique` });
            } else names.set(link.name, index);
            const sameHost = hosts.get(link.host);
            if (sameHost !== undefined) {
                ctx.addIssue({ code: "custom", path: ["links", index, "host"], message: `"${link.host}" is already the host of links[${sameHost}]; each link needs its own host` });
            } else hosts.set(link.host, index);
            const key = `${link.server}:${link.linkPort}`;
            const samePort = linkPorts.get(key);
            if (samePort !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["links", index, "linkPort"],
                    message: `${link.linkPort} is already used by links[${samePort}] on the ${link.server} ingress gateway; each link on a server cluster needs its own linkPort`,
                });
            } else linkPorts.set(key, index);
            if (mesh.dns && !link.host.endsWith(`.${mesh.dns.domain}`)) {
                ctx.addIssue({ code: "custom", path: ["links", index, "host"], message: `"${link.host}" is not inside the DNS zone ${mesh.dns.domain} (trustmesh:mesh.dns.domain)` });
            }
        });
    });

/** What the mesh cross-checks against the rest of the environment. */
export interface MeshEnvironmentView {
    environment?: string;
    mesh: MeshConfig;
    gcp?: unknown;
    azure?: unknown;
    namespaces: Array<{ name: string; clusters: string[] }>;
}

/**
 * Cross-section checks, called from the environment schema: links may only name clusters the stack
 * configures and namespaces it creates there (so their default-deny baseline exists), and the DNS
 * zone's cloud must be configured.
 */
export function refineMeshAgainstEnvironment(env: MeshEnvironmentView, ctx: z.RefinementCtx): void {
    const sectionOf = (cluster: string) => (cluster === "gke" ? "gcp" : "azure");
    env.mesh.links.forEach((link, index) => {
        for (const role of ["server", "client"] as const) {
            const cluster = link[role];
            if (!env[sectionOf(cluster)]) {
                ctx.addIssue({
                    code: "custom",
                    path: ["mesh", "links", index, role],
                    message: `targets cluster "${cluster}", but the stack has no trustmesh:${sectionOf(cluster)} section`,
                });
            }
        }
        for (const [field, cluster] of [["namespace", link.server], ["clientNamespace", link.client]] as const) {
            const name = link[field];
            if (!env.namespaces.some((ns) => ns.name === name && ns.clusters.includes(cluster))) {
                ctx.addIssue({
                    code: "custom",
                    path: ["mesh", "links", index, field],
                    message: `namespace "${name}" is not in trustmesh:namespaces for cluster "${cluster}"; add it there so it gets its baseline`,
                });
            }
        }
    });
    const example = env.mesh.example;
    if (example && !env.namespaces.some((ns) => ns.name === example.namespace && ns.clusters.includes(example.cluster))) {
        ctx.addIssue({
            code: "custom",
            path: ["mesh", "example", "namespace"],
            message: `namespace "${example.namespace}" is not in trustmesh:namespaces for cluster "${example.cluster}"`,
        });
    }
    const [gkeDomain, aksDomain] = [trustDomainOf(env, "gke"), trustDomainOf(env, "aks")];
    if (env.gcp && env.azure && gkeDomain === aksDomain) {
        ctx.addIssue({
            code: "custom",
            path: ["mesh", "trustDomains"],
            message: `both clusters would have trust domain "${gkeDomain}"; each mesh needs its own, or an identity of one cluster means the same on the other`,
        });
    }
    if (env.environment === "prod" && env.mesh.certificateAuthority === "istiod") {
        ctx.addIssue({
            code: "custom",
            path: ["mesh", "certificateAuthority"],
            message: `"istiod" is refused in prod: its self-signed CA is unrelated to the environment root, so no workload identity means anything on the other cluster; use "istio-csr"`,
        });
    }
    if (env.environment === "prod" && (env.gcp as { managedMesh?: boolean } | undefined)?.managedMesh) {
        ctx.addIssue({
            code: "custom",
            path: ["gcp", "managedMesh"],
            message: "is refused in prod: the managed control plane signs workload certificates with Google's CA, not the environment root; install Istio (managedMesh: false)",
        });
    }
    const dns = env.mesh.dns;
    if (dns?.gcpManagedZone !== undefined && !env.gcp) {
        ctx.addIssue({ code: "custom", path: ["mesh", "dns", "gcpManagedZone"], message: "needs a trustmesh:gcp section (Cloud DNS lives in the GCP project)" });
    }
    if (dns?.azureResourceGroup !== undefined && !env.azure) {
        ctx.addIssue({ code: "custom", path: ["mesh", "dns", "azureResourceGroup"], message: "needs a trustmesh:azure section (Azure DNS lives in the subscription)" });
    }
}

/** The trust domain of a cluster's mesh: configured, or `<cluster>.<environment>.<region or location>`. */
export function trustDomainOf(env: { environment?: string; mesh: MeshConfig; gcp?: unknown; azure?: unknown }, cluster: ClusterName): string {
    const configured = env.mesh.trustDomains?.[cluster];
    if (configured) return configured;
    const place = cluster === "gke" ? (env.gcp as { region?: string } | undefined)?.region : (env.azure as { location?: string } | undefined)?.location;
    return [cluster, env.environment, place].filter((part) => typeof part === "string" && part !== "").join(".").toLowerCase();
}

export type MeshConfig = z.infer<typeof meshSchema>;
export type MeshLinkConfig = z.infer<typeof meshLinkSchema>;
export type MeshDnsConfig = z.infer<typeof meshDnsSchema>;
export type MeshExampleConfig = z.infer<typeof meshExampleSchema>;
