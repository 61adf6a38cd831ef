import { z } from "zod";
import { defaultKeystoreServiceImage } from "../../components/keystoreService";
import { clusterNames, dnsLabel, dnsName, type EnvironmentTier } from "./common";

/** An image pinned by a version tag or a digest; never untagged or `latest`. */
const pinnedImage = z
    .string()
    .regex(/(@sha256:[0-9a-f]{64}|:[^/:@]+)$/, "must be pinned by a version tag or a digest, e.g. docker.io/library/tomcat:10.1.34-jre21")
    .refine((image) => !image.endsWith(":latest"), { message: "must not be :latest; pin a version tag or a digest" });

/** Seed 004: a Java service on cert-manager keystores, restarted by Reloader on renewal. */
export const keystoreServiceSchema = z.strictObject({
    /** Cluster that runs it. */
    cluster: z.enum(clusterNames),
    /** Application namespace (listed in trustmesh:namespaces for that cluster). */
    namespace: dnsLabel,
    /** Service and Deployment name. @default "keystore-demo" */
    name: dnsLabel.default("keystore-demo"),
    /** Java image. @default - Tomcat on Temurin 21, version-pinned */
    image: pinnedImage.default(defaultKeystoreServiceImage),
    /** DNS names beyond the Service's own. @default [] */
    extraDnsNames: z.array(dnsName).default([]),
    /** Keystore password; set it with `pulumi config set --secret`. */
    keystorePassword: z.string().min(12, "must be at least 12 characters"),
});

/** Seed 000: MongoDB with TLS in a KubeVirt VM on GKE, and a client Job verifying it against the root. */
export const mongoVirtualMachineSchema = z.strictObject({
    /** Run it. Costs a node pool with nested virtualization. @default true once the section is present */
    enabled: z.boolean().default(true),
    /** GKE node pool the VMs run on: one with nestedVirtualization (trustmesh:gcp.nodePools[].name). */
    nodePool: dnsLabel,
    /** Namespace of the VM (listed in trustmesh:namespaces for gke). @default "mongodb" */
    namespace: dnsLabel.default("mongodb"),
    /** Namespace of the client Job (listed for gke). @default "mongodb-client" */
    clientNamespace: dnsLabel.default("mongodb-client"),
});

export const workloadsSchema = z.strictObject({
    /** Seed 004's keystore service. @default - none */
    keystoreService: keystoreServiceSchema.optional(),
    /** Seed 000's MongoDB virtual machine. @default - none */
    mongoVirtualMachine: mongoVirtualMachineSchema.optional(),
});

export type WorkloadsConfig = z.infer<typeof workloadsSchema>;
export type KeystoreServiceConfig = z.infer<typeof keystoreServiceSchema>;
export type MongoVirtualMachineConfig = z.infer<typeof mongoVirtualMachineSchema>;

/** One cross-section problem, with its path under `trustmesh:`. */
export interface WorkloadProblem {
    path: (string | number)[];
    message: string;
}

interface PoolView {
    name: string;
    nestedVirtualization?: boolean;
    dedicatedTo?: string;
}

/**
 * Rules that read other sections: each workload's namespaces must be ones the stack creates on its
 * cluster; the VM pool must exist with nested virtualization; prod refuses VMs on a pool that is not
 * dedicated (tainted), so a VM never shares a node with ordinary pods.
 */
export function workloadEnvironmentProblems(config: {
    environment: EnvironmentTier;
    namespaces: Array<{ name: string; clusters: string[] }>;
    gcp?: { nodePools?: PoolView[] };
    azure?: { keyVault?: unknown };
    workloads: WorkloadsConfig;
}): WorkloadProblem[] {
    const problems: WorkloadProblem[] = [];
    const onCluster = (cluster: string) => config.namespaces.filter((ns) => ns.clusters.includes(cluster)).map((ns) => ns.name);
    const requireNamespace = (path: (string | number)[], cluster: string, name: string) => {
        const allowed = onCluster(cluster);
        if (!allowed.includes(name)) {
            problems.push({ path, message: `"${name}" is not a namespace the stack puts on ${cluster}; allowed: ${allowed.length > 0 ? allowed.join(", ") : "(none: add one to trustmesh:namespaces)"}` });
        }
    };
    config.namespaces.forEach((ns, index) => {
        if ((ns as { secrets?: unknown }).secrets && ns.clusters.includes("aks") && !config.azure?.keyVault) {
            problems.push({ path: ["namespaces", index, "secrets"], message: "needs trustmesh:azure.keyVault: on aks the application's secrets live in the environment's Key Vault" });
        }
    });
    const keystore = config.workloads.keystoreService;
    if (keystore) requireNamespace(["workloads", "keystoreService", "namespace"], keystore.cluster, keystore.namespace);

    const vm = config.workloads.mongoVirtualMachine;
    if (vm?.enabled) {
        const base = ["workloads", "mongoVirtualMachine"];
        if (!config.gcp) {
            problems.push({ path: base, message: "needs trustmesh:gcp: KubeVirt runs on the GKE cluster (nested virtualization on a node pool)" });
            return problems;
        }
        requireNamespace([...base, "namespace"], "gke", vm.namespace);
        requireNamespace([...base, "clientNamespace"], "gke", vm.clientNamespace);
        if (vm.namespace === vm.clientNamespace) problems.push({ path: [...base, "clientNamespace"], message: "must differ from namespace: the client proves TLS across a namespace boundary" });
        const pool = (config.gcp.nodePools ?? []).find((p) => p.name === vm.nodePool);
        if (!pool) {
            problems.push({ path: [...base, "nodePool"], message: `"${vm.nodePool}" is not in trustmesh:gcp.nodePools; add a pool with nestedVirtualization: true` });
        } else {
            if (!pool.nestedVirtualization) problems.push({ path: [...base, "nodePool"], message: `pool "${pool.name}" has no nestedVirtualization: true; KubeVirt needs /dev/kvm on its nodes` });
            if (config.environment === "prod" && !pool.dedicatedTo) {
                problems.push({ path: [...base, "nodePool"], message: `pool "${pool.name}" is not dedicated: prod runs VMs only on a tainted pool (set dedicatedTo: kubevirt on it)` });
            }
        }
    }
    return problems;
}
