import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { Certificate } from "./certificate";
import { egressGatewayPort, istioNames } from "./istio";
import { linkSideProblems, trustAnchorsSecret } from "./linkRules";
import { dnsNamePattern, istioPrincipal, isTcpPort, rfc1123Label, trustDomainPattern } from "./names";

export interface MtlsClientArgs {
    /** Link name (RFC 1123 label), unique per cluster: prefixes every object this side creates. */
    linkName: string;
    /** The remote host (the server side's ingress gateway): SNI, certificate name checked, ServiceEntry host. */
    host: string;
    /** Port the client workloads connect to (the remote service's port). */
    port: number;
    /** Port of the remote ingress gateway for this link. */
    linkPort: number;
    /** Namespace of the calling workloads; the only namespace besides the gateway's that sees the host. */
    clientNamespace: string;
    /** DNS name in the client certificate, which the server side may require. @default "client.<host>" */
    clientName?: string;
    /**
     * Every root the gateway trusts for the peer, PEM. Written to the `<credential>-cacert` Secret, which
     * Istio prefers to the credential's own `ca.crt` (only the root that issued it): during a root
     * rotation the gateway then accepts peers from either root. @default - the credential's `ca.crt`
     */
    trustAnchorsPem?: pulumi.Input<string>;
    /** Namespace of the egress gateway; the credential Secret must live there. @default "istio-system" */
    gatewayNamespace?: string;
    /** ClusterIssuer of the client certificate. @default "internal-ca" */
    issuerName?: string;
    /** Client certificate lifetime (Go duration). @default - the Certificate component's (2160h) */
    certificateDuration?: string;
    /**
     * The client cluster's SPIFFE trust domain. The client certificate carries the egress gateway's
     * identity in it (the principal the server admits), and the egress gateway admits only the client
     * namespace's identities of it. @default "cluster.local"
     */
    trustDomain?: string;
}


/** Names of the link's client-side objects; both clusters derive them from the link name alone. */
export function mtlsClientNames(linkName: string) {
    return {
        certificate: `${linkName}-client`,
        credential: `${linkName}-client-credential`,
        gateway: `${linkName}-egress`,
        serviceEntry: `${linkName}-remote`,
        virtualService: `${linkName}-via-egress`,
        egressDestinationRule: `${linkName}-to-egress-gateway`,
        remoteDestinationRule: `${linkName}-originate-mtls`,
        subset: linkName,
        networkPolicy: `${linkName}-to-egress-gateway`,
        authorizationPolicy: `${linkName}-egress-callers`,
    };
}

/**
 * The identity the link's client certificate carries: the client cluster's egress gateway, the one
 * workload that presents it. The server's ingress gateway admits this principal and no other.
 */
export function linkClientPrincipal(trustDomain = "cluster.local", gatewayNamespace = "istio-system"): string {
    return istioPrincipal(trustDomain, gatewayNamespace, istioNames.egressRelease);
}

/** The client certificate's DNS name unless one is given. */
export function defaultClientName(host: string): string {
    return `client.${host}`;
}

export function validateMtlsClientArgs(args: MtlsClientArgs): string[] {
    const problems = linkSideProblems(args);
    if (!isTcpPort(args.port)) {
        problems.push(`port ${args.port} must be a TCP port (1-65535)`);
    } else if (args.port === egressGatewayPort) {
        problems.push(`port ${args.port} is the egress gateway's own port; the app port must differ`);
    }
    if (isTcpPort(args.port) && args.port === args.linkPort) {
        problems.push(`port and linkPort are both ${args.port}: the ServiceEntry needs the plain app port and the TLS link port apart`);
    }
    if (!rfc1123Label.test(args.clientNamespace ?? "")) problems.push(`clientNamespace "${args.clientNamespace}" must be a Kubernetes namespace name`);
    const clientName = args.clientName ?? defaultClientName(args.host ?? "");
    if (!dnsNamePattern.test(clientName)) problems.push(`clientName "${clientName}" must be a lowercase fully qualified DNS name of at most 253 characters`);
    if (args.trustDomain !== undefined && !trustDomainPattern.test(args.trustDomain)) problems.push(`trustDomain "${args.trustDomain}" must be a SPIFFE trust domain (lowercase letters, digits, ".", "-", "_")`);
    return problems;
}

/**
 * The client side of a cross-cluster mutual-TLS link (seed 001's egress half). Sidecars in the client
 * namespace send the app port to the egress gateway over Istio mTLS (SNI = host); the egress gateway
 * originates mutual TLS to the remote host's link port with a client certificate from the internal CA.
 * The host exists only for the client namespace and the gateway (exportTo), and with REGISTRY_ONLY
 * nothing else in the mesh can reach it.
 */
export class MtlsClient extends pulumi.ComponentResource {
    /** The remote host. */
    public readonly host: pulumi.Output<string>;
    /** Secret the egress gateway presents (`credentialName`). */
    public readonly credentialName: pulumi.Output<string>;
    /** The DNS name in the client certificate. */
    public readonly clientName: pulumi.Output<string>;

    constructor(name: string, args: MtlsClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:MtlsClient", name, args, opts);
        const problems = validateMtlsClientArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`MtlsClient ${name}: ${problems.join("; ")}`, this);
        }
        const built = buildMtlsClient(name, args, this, opts?.dependsOn);
        this.host = pulumi.output(args.host);
        this.credentialName = built.certificate.secretName;
        this.clientName = pulumi.output(args.clientName ?? defaultClientName(args.host));
        this.registerOutputs({ host: this.host, credentialName: this.credentialName, clientName: this.clientName });
    }
}

export function buildMtlsClient(name: string, args: MtlsClientArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (CRDs installed, namespace created): pass it on.
    const names = mtlsClientNames(args.linkName);
    const gatewayNamespace = args.gatewayNamespace ?? "istio-system";
    const egressHost = `${istioNames.egressRelease}.${gatewayNamespace}.svc.cluster.local`;
    const gatewayRef = `${gatewayNamespace}/${names.gateway}`;
    const labels = { "app.kubernetes.io/managed-by": "trustmesh", "trustmesh.io/mesh-link": args.linkName };
    // Visible to the gateway's namespace and the client namespace only.
    const exportTo = [".", args.clientNamespace];

    const certificate = new Certificate(
        `${name}-certificate`,
        {
            namespace: gatewayNamespace,
            certificateName: names.certificate,
            secretName: names.credential,
            dnsNames: [args.clientName ?? defaultClientName(args.host)],
            // The URI SAN is what Envoy matches AuthorizationPolicy principals against on the server side.
            uris: [`spiffe://${linkClientPrincipal(args.trustDomain, gatewayNamespace)}`],
            issuerName: args.issuerName ?? "internal-ca",
            ...(args.certificateDuration ? { duration: args.certificateDuration } : {}),
            usages: ["digital signature", "client auth"],
            secretLabels: { "trustmesh.io/mesh-link": args.linkName },
        },
        { parent, dependsOn },
    );

    const trustAnchors =
        args.trustAnchorsPem !== undefined
            ? trustAnchorsSecret(`${name}-trust-anchors`, { credential: names.credential, namespace: gatewayNamespace, labels, pem: args.trustAnchorsPem }, { parent, dependsOn })
            : undefined;

    const gateway = new k8s.apiextensions.CustomResource(
        `${name}-gateway`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: names.gateway, namespace: gatewayNamespace, labels },
            spec: {
                selector: { ...istioNames.egressSelector },
                servers: [
                    {
                        port: { number: egressGatewayPort, name: `tls-${args.linkName}`, protocol: "TLS" },
                        hosts: [args.host],
                        // Sidecar to egress gateway: the mesh's own mTLS, so only mesh workloads get in.
                        tls: { mode: "ISTIO_MUTUAL" },
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    const serviceEntry = new k8s.apiextensions.CustomResource(
        `${name}-service-entry`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: names.serviceEntry, namespace: gatewayNamespace, labels },
            spec: {
                hosts: [args.host],
                exportTo,
                location: "MESH_EXTERNAL",
                resolution: "DNS",
                ports: [
                    { number: args.port, name: `tcp-${args.port}`, protocol: "TCP" },
                    { number: args.linkPort, name: `tls-${args.linkPort}`, protocol: "TLS" },
                ],
            },
        },
        { parent, dependsOn },
    );

    const virtualService = new k8s.apiextensions.CustomResource(
        `${name}-virtual-service`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: names.virtualService, namespace: gatewayNamespace, labels },
            spec: {
                hosts: [args.host],
                exportTo,
                gateways: [gatewayRef, "mesh"],
                tcp: [
                    {
                        // Sidecars: app-port traffic for the host goes to the egress gateway, never straight out.
                        match: [{ gateways: ["mesh"], port: args.port }],
                        route: [{ destination: { host: egressHost, subset: names.subset, port: { number: egressGatewayPort } }, weight: 100 }],
                    },
                    {
                        // Egress gateway: on to the remote ingress gateway's link port.
                        match: [{ gateways: [gatewayRef], port: egressGatewayPort }],
                        route: [{ destination: { host: args.host, port: { number: args.linkPort } }, weight: 100 }],
                    },
                ],
            },
        },
        { parent, dependsOn: [gateway, serviceEntry] },
    );

    const egressDestinationRule = new k8s.apiextensions.CustomResource(
        `${name}-egress-destination-rule`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: names.egressDestinationRule, namespace: gatewayNamespace, labels },
            spec: {
                host: egressHost,
                exportTo,
                // Only a subset, no top-level policy: Istio merges the rules of many links on this host.
                subsets: [
                    {
                        name: names.subset,
                        trafficPolicy: {
                            loadBalancer: { simple: "ROUND_ROBIN" },
                            portLevelSettings: [{ port: { number: egressGatewayPort }, tls: { mode: "ISTIO_MUTUAL", sni: args.host } }],
                        },
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    const remoteDestinationRule = new k8s.apiextensions.CustomResource(
        `${name}-remote-destination-rule`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: names.remoteDestinationRule, namespace: gatewayNamespace, labels },
            spec: {
                host: args.host,
                // Only the egress gateway originates; it alone can read the client credential. The
                // selector says so to Istio (sidecars cannot read credentialName), exportTo keeps the
                // rule out of other namespaces' configuration.
                workloadSelector: { matchLabels: { ...istioNames.egressSelector } },
                exportTo: ["."],
                trafficPolicy: {
                    loadBalancer: { simple: "ROUND_ROBIN" },
                    portLevelSettings: [
                        {
                            port: { number: args.linkPort },
                            tls: { mode: "MUTUAL", credentialName: names.credential, sni: args.host, subjectAltNames: [args.host] },
                        },
                    ],
                },
            },
        },
        { parent, dependsOn: [certificate] },
    );

    // The client namespace denies egress by default; open only the path to the egress gateway.
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-egress-gateway`,
        {
            metadata: { name: names.networkPolicy, namespace: args.clientNamespace, labels },
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [
                            {
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": gatewayNamespace } },
                                podSelector: { matchLabels: { ...istioNames.egressSelector } },
                            },
                        ],
                        ports: [{ protocol: "TCP", port: egressGatewayPort }],
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    // The egress gateway admits, on its mesh port and for this link's SNI, only workloads of the client
    // namespace (by their mesh identity): another namespace of the cluster cannot use the link. ALLOW
    // policies add up, so each link opens only its own host; anything no link allows is denied.
    const authorizationPolicy = new k8s.apiextensions.CustomResource(
        `${name}-egress-authorization`,
        {
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: { name: names.authorizationPolicy, namespace: gatewayNamespace, labels },
            spec: {
                selector: { matchLabels: { ...istioNames.egressSelector } },
                action: "ALLOW",
                rules: [
                    {
                        from: [{ source: { principals: [istioPrincipal(args.trustDomain ?? "cluster.local", args.clientNamespace, "*")] } }],
                        to: [{ operation: { ports: [String(egressGatewayPort)] } }],
                        when: [{ key: "connection.sni", values: [args.host] }],
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    return { certificate, trustAnchors, gateway, serviceEntry, virtualService, egressDestinationRule, remoteDestinationRule, networkPolicy, authorizationPolicy };
}
