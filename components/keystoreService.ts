import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Certificate } from "./certificate";
import { mountCertificateInPodSpec } from "./certificateMounts";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { dnsNamePattern, isTcpPort, rfc1123Label } from "./names";
import { reloadOnSecretChange } from "./reloader";

/** Tomcat on Temurin 21: a Java service as seed 004's are, from Docker's official images, version-pinned. */
export const defaultKeystoreServiceImage = "docker.io/library/tomcat:10.1.34-jre21";
/** Where the certificate Secret (PEM files, keystore.jks, keystore.p12, truststores) appears, read-only. */
export const keystoreMountPath = "/etc/keystores";
/** A non-root user: the official Tomcat image runs as root unless told otherwise. */
const tomcatUid = 10001;

export interface KeystoreServiceArgs {
    /** Service, Deployment and Certificate name (RFC 1123 label). */
    name: string;
    /** Namespace of everything the service creates. */
    namespace: string;
    /** Container image, pinned by version tag or digest. @default defaultKeystoreServiceImage */
    image?: string;
    /** The keystore password: a Pulumi secret; it is written to a Secret and to nothing else. */
    keystorePassword: pulumi.Input<string>;
    /** DNS names beyond the Service's own four (`name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`). @default [] */
    extraDnsNames?: string[];
    /** ClusterIssuer that signs the certificate. @default "internal-ca" */
    issuerName?: string;
    /** Certificate lifetime (Go duration); Reloader restarts the pods at every renewal. @default "2160h" */
    certificateDuration?: string;
    /** HTTPS port of the Service and the container. @default 8443 */
    port?: number;
    /** Replicas. @default 2 */
    replicas?: number;
}

/** The Service's in-cluster names: the SANs every client of the service may use. */
export function serviceDnsNames(name: string, namespace: string): string[] {
    return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

export function validateKeystoreServiceArgs(args: KeystoreServiceArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.name ?? "")) problems.push(`name "${args.name}" must be a lowercase RFC 1123 label`);
    if (!rfc1123Label.test(args.namespace ?? "")) problems.push(`namespace "${args.namespace}" must be a Kubernetes namespace name`);
    for (const dnsName of args.extraDnsNames ?? []) {
        if (!dnsNamePattern.test(dnsName)) problems.push(`extraDnsNames entry "${dnsName}" must be a lowercase fully qualified DNS name`);
    }
    if (args.port !== undefined && !isTcpPort(args.port)) problems.push(`port ${args.port} must be a TCP port (1-65535)`);
    if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 1)) problems.push(`replicas ${args.replicas} must be a whole number of at least 1`);
    const image = args.image ?? defaultKeystoreServiceImage;
    if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:[^/:@]+$/.test(image)) problems.push(`image "${image}" must be pinned by a version tag or a digest`);
    else if (/:latest$/.test(image)) problems.push(`image "${image}" must not use :latest; pin a version tag or a digest`);
    return problems;
}

/**
 * Tomcat's server.xml: one HTTPS connector on the PKCS#12 keystore cert-manager renders, with the
 * password read from the environment (Tomcat's EnvironmentPropertySource), so the ConfigMap holds no secret.
 */
export function tomcatServerXml(port: number): string {
    return [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<Server port="-1" shutdown="SHUTDOWN">`,
        `  <Service name="Catalina">`,
        `    <Connector port="${port}" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true" scheme="https" secure="true">`,
        `      <SSLHostConfig protocols="TLSv1.2,TLSv1.3">`,
        `        <Certificate certificateKeystoreFile="${keystoreMountPath}/keystore.p12" certificateKeystoreType="PKCS12" certificateKeystorePassword="\${KEYSTORE_PASSWORD}" type="EC"/>`,
        `      </SSLHostConfig>`,
        `    </Connector>`,
        `    <Engine name="Catalina" defaultHost="localhost">`,
        `      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>`,
        `    </Engine>`,
        `  </Service>`,
        `</Server>`,
        ``,
    ].join("\n");
}

/**
 * Seed 004 with cert-manager's native keystores instead of cert-utils-operator: a Java service whose
 * internal-CA certificate names every Service DNS name, rendered as JKS and PKCS#12 keystores with a
 * password from a Secret, mounted read-only, and restarted by Reloader whenever cert-manager renews it
 * (Java reads its keystore only at start-up). Pass `dependsOn` the issuer and the namespace.
 */
export class KeystoreService extends pulumi.ComponentResource {
    /** The certificate's Secret: `tls.crt`, `tls.key`, `ca.crt`, `keystore.jks`, `keystore.p12`, truststores. */
    public readonly certificateSecretName: pulumi.Output<string>;
    /** The Deployment's name. */
    public readonly deploymentName: pulumi.Output<string>;
    /** In-cluster DNS name of the Service. */
    public readonly host: pulumi.Output<string>;

    constructor(name: string, args: KeystoreServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:KeystoreService", name, args, opts);
        const problems = validateKeystoreServiceArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`KeystoreService ${name}: ${problems.join("; ")}`, this);
        const built = buildKeystoreService(name, args, this, opts?.dependsOn);
        this.certificateSecretName = built.certificate.secretName;
        this.deploymentName = built.deployment.metadata.name;
        this.host = pulumi.output(`${args.name}.${args.namespace}.svc.cluster.local`);
        this.registerOutputs({ certificateSecretName: this.certificateSecretName, deploymentName: this.deploymentName, host: this.host });
    }
}

export function buildKeystoreService(name: string, args: KeystoreServiceArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const port = args.port ?? 8443;
    const names = { passwordSecret: `${args.name}-keystore-password`, certificateSecret: `${args.name}-tls`, serverXml: `${args.name}-server-xml` };
    const labels = { app: args.name, "app.kubernetes.io/name": args.name, "app.kubernetes.io/managed-by": "trustmesh" };
    const opts = { parent, dependsOn };

    const passwordSecret = new k8s.core.v1.Secret(
        `${name}-keystore-password`,
        {
            metadata: { name: names.passwordSecret, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: { password: pulumi.secret(args.keystorePassword) },
        },
        { ...opts, additionalSecretOutputs: ["stringData", "data"] },
    );

    // cert-manager reads the password Secret when it renders the keystores: it must exist first.
    // The password sits under the Secret's "password" key, the Certificate's default.
    const keystore = { passwordSecretName: names.passwordSecret };
    const certificate = new Certificate(
        `${name}-certificate`,
        {
            namespace: args.namespace,
            certificateName: args.name,
            secretName: names.certificateSecret,
            dnsNames: [...serviceDnsNames(args.name, args.namespace), ...(args.extraDnsNames ?? [])],
            issuerName: args.issuerName ?? "internal-ca",
            ...(args.certificateDuration ? { duration: args.certificateDuration } : {}),
            usages: ["digital signature", "server auth"],
            jks: keystore,
            pkcs12: keystore,
        },
        { parent, dependsOn: withDependsOn(dependsOn, passwordSecret) },
    );

    const serverXml = new k8s.core.v1.ConfigMap(
        `${name}-server-xml`,
        { metadata: { name: names.serverXml, namespace: args.namespace, labels }, data: { "server.xml": tomcatServerXml(port) } },
        opts,
    );

    const scratch = (volume: string, mountPath: string) => ({ volume: { name: volume, emptyDir: {} }, mount: { name: volume, mountPath } });
    // Tomcat writes only here; the root filesystem stays read-only.
    const writable = [scratch("logs", "/usr/local/tomcat/logs"), scratch("temp", "/usr/local/tomcat/temp"), scratch("work", "/usr/local/tomcat/work")];
    const podSpec = mountCertificateInPodSpec(
        {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: tomcatUid, runAsGroup: tomcatUid, fsGroup: tomcatUid, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "app",
                    image: args.image ?? defaultKeystoreServiceImage,
                    ports: [{ name: "https", containerPort: port, protocol: "TCP" }],
                    env: [
                        { name: "KEYSTORE_PASSWORD", valueFrom: { secretKeyRef: { name: names.passwordSecret, key: "password" } } },
                        // ${KEYSTORE_PASSWORD} in server.xml is resolved from the environment.
                        { name: "CATALINA_OPTS", value: "-Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource" },
                    ],
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                    resources: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } },
                    readinessProbe: { tcpSocket: { port }, initialDelaySeconds: 10, periodSeconds: 10 },
                    livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 60, periodSeconds: 20 },
                    volumeMounts: [{ name: "server-xml", mountPath: "/usr/local/tomcat/conf/server.xml", subPath: "server.xml", readOnly: true }, ...writable.map((w) => w.mount)],
                },
            ],
            volumes: [{ name: "server-xml", configMap: { name: names.serverXml } }, ...writable.map((w) => w.volume)],
        },
        // 0440 with fsGroup: the non-root user reads the keystores through its group, nobody writes them.
        { secretName: names.certificateSecret, mountPath: keystoreMountPath, volumeName: "keystores", defaultMode: 0o440 },
    );

    const deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        reloadOnSecretChange(
            {
                metadata: { name: args.name, namespace: args.namespace, labels },
                spec: {
                    replicas: args.replicas ?? 2,
                    selector: { matchLabels: { app: args.name } },
                    template: { metadata: { labels }, spec: podSpec as k8s.types.input.core.v1.PodSpec },
                },
            },
            // A renewal rewrites the keystores; Java only reads them at start-up, so Reloader rolls the pods.
            [names.certificateSecret],
        ),
        { parent, dependsOn: withDependsOn(dependsOn, certificate, serverXml, passwordSecret) },
    );

    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: args.name, namespace: args.namespace, labels },
            spec: { type: "ClusterIP", selector: { app: args.name }, ports: [{ name: "https", port, targetPort: port, protocol: "TCP" }] },
        },
        opts,
    );

    // The namespace denies ingress by default: admit its own pods on the HTTPS port, nothing else.
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-https`,
        {
            metadata: { name: `${args.name}-allow-https`, namespace: args.namespace, labels },
            spec: {
                podSelector: { matchLabels: { app: args.name } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port }] }],
            },
        },
        opts,
    );

    return { passwordSecret, certificate, serverXml, deployment, service, networkPolicy };
}
