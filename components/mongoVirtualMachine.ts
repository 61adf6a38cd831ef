import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Certificate } from "./certificate";
import { mountCertificateInVirtualMachine } from "./certificateMounts";
import { withDependsOn, type DependsOn } from "./dependsOn";
import type { NodeTolerationArgs } from "./kubeVirt";
import { serviceDnsNames } from "./keystoreService";
import { rfc1123Label } from "./names";

/** Ubuntu 24.04 from the KubeVirt community's containerdisks project, version-pinned. */
export const defaultMongoVmImage = "quay.io/containerdisks/ubuntu:24.04";
/** MongoDB server release installed in the guest from MongoDB's own apt repository. */
export const mongoDbVersion = "8.0.4";
export const mongoDbPort = 27017;
/** Disk serials the guest finds its files by (`/dev/disk/by-id/virtio-<serial>`). */
export const mongoVmDiskSerials = { tls: "MONGODBTLS", rootCa: "ROOTCA" } as const;

/** trust-manager's ConfigMap in a namespace, and the key of the environment root in it. */
export interface TrustBundleRefArgs {
    configMapName: string;
    key: string;
}

export interface MongoVirtualMachineArgs {
    /** VirtualMachine, Service and Certificate name (RFC 1123 label). @default "mongodb" */
    name?: string;
    /** Namespace of the VM. */
    namespace: string;
    /** Namespace whose pods labelled `app: <clientAppLabel>` may connect. */
    clientNamespace: string;
    /** Label `app` of the client pods. @default "mongodb-client" */
    clientAppLabel?: string;
    /** ClusterIssuer of the server certificate. @default "internal-ca" */
    issuerName?: string;
    /** trust-manager's ConfigMap with the environment root (in this namespace) and its key. */
    trustBundle: TrustBundleRefArgs;
    /** Guest image (a containerDisk). @default defaultMongoVmImage */
    image?: string;
    /** Pin the VM to the KubeVirt pool: its node label, and the taint to tolerate. @default - any node virt-handler runs on */
    nodeSelector?: Record<string, string>;
    tolerations?: NodeTolerationArgs[];
    /** Guest memory. @default "2Gi" */
    memory?: string;
}

export function validateMongoVirtualMachineArgs(args: MongoVirtualMachineArgs): string[] {
    const problems: string[] = [];
    for (const [field, value] of [["name", args.name ?? "mongodb"], ["namespace", args.namespace], ["clientNamespace", args.clientNamespace], ["clientAppLabel", args.clientAppLabel ?? "mongodb-client"]] as const) {
        if (!rfc1123Label.test(value ?? "")) problems.push(`${field} "${value}" must be a lowercase RFC 1123 label`);
    }
    if (args.namespace === args.clientNamespace) problems.push("clientNamespace must differ from namespace");
    if (!rfc1123Label.test(args.trustBundle?.configMapName ?? "")) problems.push(`trustBundle.configMapName "${args.trustBundle?.configMapName}" must name trust-manager's ConfigMap`);
    const image = args.image ?? defaultMongoVmImage;
    if (!/(@sha256:[0-9a-f]{64}|:[^/:@]+)$/.test(image) || image.endsWith(":latest")) problems.push(`image "${image}" must be pinned by a version tag or a digest`);
    if (args.memory !== undefined && !/^\d+(Mi|Gi)$/.test(args.memory)) problems.push(`memory "${args.memory}" must be a quantity in Mi or Gi, e.g. 2Gi`);
    return problems;
}

/** mongod's configuration: TLS required, the server key and chain from the certificate disk, clients verified against the root. */
export function mongodConfig(): string {
    return [
        "storage:",
        "  dbPath: /var/lib/mongodb",
        "systemLog:",
        "  destination: file",
        "  path: /var/log/mongodb/mongod.log",
        "  logAppend: true",
        "net:",
        `  port: ${mongoDbPort}`,
        "  bindIp: 0.0.0.0",
        "  tls:",
        "    mode: requireTLS",
        "    certificateKeyFile: /etc/ssl/mongodb/mongodb.pem",
        "    CAFile: /etc/ssl/mongodb/root-ca.pem",
        "security:",
        "  authorization: enabled",
        "",
    ].join("\n");
}

/**
 * cloud-init user data (no secret in it: the key arrives on the certificate disk). Mounts the two disks by
 * serial, installs mongod from MongoDB's repository, joins tls.crt and tls.key into the PEM mongod wants
 * and points `net.tls` at it and at the root. What seed 000 does with a Python script, declaratively.
 */
export function mongoCloudInit(rootCaKey: string): string {
    const indent = (text: string) => text.split("\n").map((line) => (line ? `      ${line}` : line)).join("\n");
    return [
        "#cloud-config",
        "write_files:",
        "  - path: /etc/trustmesh/mongod.conf",
        '    permissions: "0644"',
        "    content: |",
        indent(mongodConfig()).trimEnd(),
        "runcmd:",
        "  - mkdir -p /mnt/tls /mnt/trust /etc/ssl/mongodb",
        `  - mount -o ro /dev/disk/by-id/virtio-${mongoVmDiskSerials.tls} /mnt/tls`,
        `  - mount -o ro /dev/disk/by-id/virtio-${mongoVmDiskSerials.rootCa} /mnt/trust`,
        "  - curl -fsSL https://www.mongodb.org/static/pgp/server-8.0.asc | gpg --dearmor -o /usr/share/keyrings/mongodb-server-8.0.gpg",
        '  - echo "deb [ arch=amd64 signed-by=/usr/share/keyrings/mongodb-server-8.0.gpg ] https://repo.mongodb.org/apt/ubuntu noble/mongodb-org/8.0 multiverse" > /etc/apt/sources.list.d/mongodb-org-8.0.list',
        `  - apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y mongodb-org-server=${mongoDbVersion}`,
        "  - cat /mnt/tls/tls.crt /mnt/tls/tls.key > /etc/ssl/mongodb/mongodb.pem",
        `  - cp /mnt/trust/${rootCaKey} /etc/ssl/mongodb/root-ca.pem`,
        "  - chown -R mongodb:mongodb /etc/ssl/mongodb && chmod 0600 /etc/ssl/mongodb/mongodb.pem",
        "  - install -m 0644 /etc/trustmesh/mongod.conf /etc/mongod.conf",
        "  - systemctl enable --now mongod",
        "",
    ].join("\n");
}

/** The VirtualMachine object (kubevirt.io/v1), with the certificate and root CA disks. Exported for tests. */
export function mongoVirtualMachineObject(args: MongoVirtualMachineArgs, certificateSecret: string): Record<string, unknown> {
    const name = args.name ?? "mongodb";
    const memory = args.memory ?? "2Gi";
    const tolerations = (args.tolerations ?? []).map((t) => ({ key: t.key, operator: "Equal", value: t.value, effect: t.effect }));
    const base = {
        apiVersion: "kubevirt.io/v1",
        kind: "VirtualMachine",
        metadata: { name, namespace: args.namespace, labels: { app: name, "app.kubernetes.io/managed-by": "trustmesh" } },
        spec: {
            runStrategy: "Always",
            template: {
                // Labels reach the virt-launcher pod: the Service and the NetworkPolicies select it by them.
                metadata: { labels: { app: name, "kubevirt.io/domain": name } },
                spec: {
                    ...(args.nodeSelector ? { nodeSelector: args.nodeSelector } : {}),
                    ...(tolerations.length > 0 ? { tolerations } : {}),
                    domain: {
                        cpu: { cores: 2 },
                        resources: { requests: { cpu: "1", memory }, limits: { cpu: "2", memory } },
                        devices: {
                            disks: [
                                { name: "rootdisk", disk: { bus: "virtio" } },
                                { name: "cloudinit", disk: { bus: "virtio" } },
                                { name: "root-ca", disk: {}, serial: mongoVmDiskSerials.rootCa },
                            ],
                            interfaces: [{ name: "default", masquerade: {} }],
                        },
                    },
                    networks: [{ name: "default", pod: {} }],
                    volumes: [
                        { name: "rootdisk", containerDisk: { image: args.image ?? defaultMongoVmImage } },
                        { name: "cloudinit", cloudInitNoCloud: { userData: mongoCloudInit(args.trustBundle.key) } },
                        { name: "root-ca", configMap: { name: args.trustBundle.configMapName } },
                    ],
                },
            },
        },
    };
    // Seed 000: the certificate's Secret as a disk with a serial.
    return mountCertificateInVirtualMachine(base, { secretName: certificateSecret, serial: mongoVmDiskSerials.tls, volumeName: "tls" }) as unknown as Record<string, unknown>;
}

/** In-cluster DNS name of the VM's Service (and its certificate): `<name>.<namespace>.svc.cluster.local`. */
export function mongoVirtualMachineHost(args: Pick<MongoVirtualMachineArgs, "name" | "namespace">): string {
    return `${args.name ?? "mongodb"}.${args.namespace}.svc.cluster.local`;
}

/**
 * Seed 000: MongoDB with TLS required, in a KubeVirt VirtualMachine. Its certificate comes from the
 * internal CA with the Service's names; the Secret reaches the guest as a disk, cloud-init mounts it and
 * configures `net.tls`. A Service fronts the VM, and NetworkPolicies admit only the client pods (and let
 * the guest reach MongoDB's package repository over HTTPS). Pass `dependsOn` the issuer, KubeVirt and the namespaces.
 */
export class MongoVirtualMachine extends pulumi.ComponentResource {
    /** In-cluster DNS name of the Service, as in the certificate. */
    public readonly host: pulumi.Output<string>;
    /** The server certificate's Secret (attached to the VM as a disk). */
    public readonly certificateSecretName: pulumi.Output<string>;

    constructor(name: string, args: MongoVirtualMachineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:MongoVirtualMachine", name, args, opts);
        const problems = validateMongoVirtualMachineArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`MongoVirtualMachine ${name}: ${problems.join("; ")}`, this);
        const built = buildMongoVirtualMachine(name, args, this, opts?.dependsOn);
        this.host = pulumi.output(mongoVirtualMachineHost(args));
        this.certificateSecretName = built.certificate.secretName;
        this.registerOutputs({ host: this.host, certificateSecretName: this.certificateSecretName });
    }
}

export function buildMongoVirtualMachine(name: string, args: MongoVirtualMachineArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const vmName = args.name ?? "mongodb";
    const secretName = `${vmName}-tls`;
    const labels = { app: vmName, "app.kubernetes.io/managed-by": "trustmesh" };
    const opts = { parent, dependsOn };

    const certificate = new Certificate(
        `${name}-certificate`,
        {
            namespace: args.namespace,
            certificateName: vmName,
            secretName,
            commonName: `${vmName}.${args.namespace}.svc`,
            dnsNames: serviceDnsNames(vmName, args.namespace),
            issuerName: args.issuerName ?? "internal-ca",
            // mongod also presents this certificate when it dials its peers (replica sets).
            usages: ["digital signature", "server auth", "client auth"],
        },
        opts,
    );

    // The guest reads the disk only at boot: a VM restart picks up a renewed certificate.
    const virtualMachine = new k8s.apiextensions.CustomResource(`${name}-vm`, mongoVirtualMachineObject(args, secretName) as k8s.apiextensions.CustomResourceArgs, {
        parent,
        dependsOn: withDependsOn(dependsOn, certificate),
    });

    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: vmName, namespace: args.namespace, labels },
            spec: { type: "ClusterIP", selector: { app: vmName }, ports: [{ name: "tcp-mongodb", port: mongoDbPort, targetPort: mongoDbPort, protocol: "TCP" }] },
        },
        opts,
    );

    const clientApp = args.clientAppLabel ?? "mongodb-client";
    const allowClients = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-clients`,
        {
            metadata: { name: `${vmName}-allow-clients`, namespace: args.namespace, labels },
            spec: {
                podSelector: { matchLabels: { app: vmName } },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.clientNamespace } }, podSelector: { matchLabels: { app: clientApp } } }],
                        ports: [{ protocol: "TCP", port: mongoDbPort }],
                    },
                ],
            },
        },
        opts,
    );

    // cloud-init installs mongod from repo.mongodb.org and Ubuntu's archive: HTTPS and HTTP out, never to private ranges.
    const allowPackages = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-packages`,
        {
            metadata: { name: `${vmName}-allow-package-egress`, namespace: args.namespace, labels },
            spec: {
                podSelector: { matchLabels: { app: vmName } },
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] } }],
                        ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 80 }],
                    },
                ],
            },
        },
        opts,
    );

    return { certificate, virtualMachine, service, allowClients, allowPackages };
}
