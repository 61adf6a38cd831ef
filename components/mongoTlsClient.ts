import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Certificate } from "./certificate";
import { mountCertificateInPodSpec } from "./certificateMounts";
import { withDependsOn, type DependsOn } from "./dependsOn";
import type { TrustBundleRefArgs } from "./mongoVirtualMachine";
import { dnsNamePattern, isTcpPort, rfc1123Label } from "./names";

/** The official MongoDB image: it carries mongosh. Version-pinned. */
export const defaultMongoClientImage = "docker.io/library/mongo:8.0.4";
/** The `mongodb` user of the official image. */
const mongoUid = 999;

export interface MongoTlsClientArgs {
    /** Job, Certificate and pod label `app` (RFC 1123 label). @default "mongodb-client" */
    name?: string;
    /** Namespace of the Job (not the server's). */
    namespace: string;
    /** The server's DNS name, as in its certificate. */
    serverHost: string;
    /** The server's namespace, for the egress NetworkPolicy. */
    serverNamespace: string;
    /** Label `app` of the server pods. @default "mongodb" */
    serverAppLabel?: string;
    /** @default 27017 */
    serverPort?: number;
    /** ClusterIssuer of the client certificate. @default "internal-ca" */
    issuerName?: string;
    /** trust-manager's ConfigMap with the environment root (in this namespace) and its key. */
    trustBundle: TrustBundleRefArgs;
    /** @default defaultMongoClientImage */
    image?: string;
}

export function validateMongoTlsClientArgs(args: MongoTlsClientArgs): string[] {
    const problems: string[] = [];
    for (const [field, value] of [["name", args.name ?? "mongodb-client"], ["namespace", args.namespace], ["serverNamespace", args.serverNamespace], ["serverAppLabel", args.serverAppLabel ?? "mongodb"]] as const) {
        if (!rfc1123Label.test(value ?? "")) problems.push(`${field} "${value}" must be a lowercase RFC 1123 label`);
    }
    if (!dnsNamePattern.test(args.serverHost ?? "")) problems.push(`serverHost "${args.serverHost}" must be a fully qualified DNS name`);
    if (args.serverPort !== undefined && !isTcpPort(args.serverPort)) problems.push(`serverPort ${args.serverPort} must be a TCP port (1-65535)`);
    if (!rfc1123Label.test(args.trustBundle?.configMapName ?? "")) problems.push(`trustBundle.configMapName "${args.trustBundle?.configMapName}" must name trust-manager's ConfigMap`);
    return problems;
}

/** The client's shell: join its key and chain for mongosh, then ping with TLS, verifying the server against the root only. */
export function mongoClientCommand(host: string, port: number, rootCaPath: string): string[] {
    return [
        "sh",
        "-c",
        [
            "cat /etc/tls/tls.crt /etc/tls/tls.key > /tmp/client.pem",
            `exec mongosh --quiet --tls --tlsCAFile ${rootCaPath} --tlsCertificateKeyFile /tmp/client.pem --host ${host} --port ${port} --eval 'db.runCommand({ ping: 1 }).ok'`,
        ].join(" && "),
    ];
}

/**
 * The other half of seed 000: a Job in another namespace that connects to MongoDB with TLS, verifying
 * the server certificate against the environment root that trust-manager publishes (never the server's
 * own CA file), and presenting its own internal-CA client certificate. The Job completing is the proof.
 */
export class MongoTlsClient extends pulumi.ComponentResource {
    public readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: MongoTlsClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:MongoTlsClient", name, args, opts);
        const problems = validateMongoTlsClientArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`MongoTlsClient ${name}: ${problems.join("; ")}`, this);
        const built = buildMongoTlsClient(name, args, this, opts?.dependsOn);
        this.jobName = built.job.metadata.name;
        this.registerOutputs({ jobName: this.jobName });
    }
}

export function buildMongoTlsClient(name: string, args: MongoTlsClientArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const app = args.name ?? "mongodb-client";
    const port = args.serverPort ?? 27017;
    const labels = { app, "app.kubernetes.io/managed-by": "trustmesh" };
    const secretName = `${app}-tls`;
    const opts = { parent, dependsOn };

    const certificate = new Certificate(
        `${name}-certificate`,
        {
            namespace: args.namespace,
            certificateName: app,
            secretName,
            commonName: app,
            uris: [`spiffe://cluster.local/ns/${args.namespace}/sa/default`],
            issuerName: args.issuerName ?? "internal-ca",
            usages: ["digital signature", "client auth"],
        },
        opts,
    );

    const egress = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-mongodb`,
        {
            metadata: { name: `${app}-allow-mongodb-egress`, namespace: args.namespace, labels },
            spec: {
                podSelector: { matchLabels: { app } },
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.serverNamespace } }, podSelector: { matchLabels: { app: args.serverAppLabel ?? "mongodb" } } }],
                        ports: [{ protocol: "TCP", port }],
                    },
                ],
            },
        },
        opts,
    );

    const rootCaDir = "/etc/trust";
    const podSpec = mountCertificateInPodSpec(
        {
            automountServiceAccountToken: false,
            restartPolicy: "OnFailure",
            securityContext: { runAsNonRoot: true, runAsUser: mongoUid, runAsGroup: mongoUid, fsGroup: mongoUid, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "mongosh",
                    image: args.image ?? defaultMongoClientImage,
                    command: mongoClientCommand(args.serverHost, port, `${rootCaDir}/${args.trustBundle.key}`),
                    // mongosh keeps its history under HOME; the root filesystem is read-only.
                    env: [{ name: "HOME", value: "/tmp" }],
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                    volumeMounts: [
                        { name: "tmp", mountPath: "/tmp" },
                        { name: "root-ca", mountPath: rootCaDir, readOnly: true },
                    ],
                },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }, { name: "root-ca", configMap: { name: args.trustBundle.configMapName } }],
        },
        { secretName, mountPath: "/etc/tls", volumeName: "tls", defaultMode: 0o440 },
    );

    const job = new k8s.batch.v1.Job(
        `${name}-job`,
        {
            metadata: { name: `${app}-tls-check`, namespace: args.namespace, labels },
            spec: {
                // The VM boots and installs mongod first: retry with back-off for a while.
                backoffLimit: 12,
                template: { metadata: { labels }, spec: podSpec as k8s.types.input.core.v1.PodSpec },
            },
        },
        { parent, dependsOn: withDependsOn(dependsOn, certificate, egress) },
    );

    return { certificate, egress, job };
}
