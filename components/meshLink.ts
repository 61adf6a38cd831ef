import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { defaultClientName, linkClientPrincipal, MtlsClient, validateMtlsClientArgs, type MtlsClientArgs } from "./mtlsClient";
import { MtlsServer, validateMtlsServerArgs, type MtlsDnsZoneArgs, type MtlsServerArgs } from "./mtlsServer";

export interface MeshLinkArgs {
    /** The Service on the server cluster. */
    service: string;
    /** Its namespace. */
    namespace: string;
    /** Its port, also the port client workloads connect to. */
    port: number;
    /** Port the server's ingress gateway listens on for this link. */
    linkPort: number;
    /** Public DNS name of the link: server certificate name, SNI and the clients' destination. */
    host: string;
    /** Key of the cluster that runs the service (e.g. "aks"); must differ from `client`. */
    server: string;
    /** Key of the cluster whose workloads call it (e.g. "gke"). */
    client: string;
    /** Namespace of the calling workloads on the client cluster. */
    clientNamespace: string;
    /** Kubernetes provider of the server cluster. */
    serverProvider: k8s.Provider;
    /** Kubernetes provider of the client cluster. */
    clientProvider: k8s.Provider;
    /** Link name prefixing every object on both clusters. @default - the component name */
    linkName?: string;
    /** ClusterIssuer of both certificates; the two clusters' issuers chain to one root. @default "internal-ca" */
    issuerName?: string;
    /** Namespace of the gateways on both clusters. @default "istio-system" */
    gatewayNamespace?: string;
    /** Every root both gateways trust for their peer, PEM (two during a root rotation). @default - each credential's own `ca.crt` */
    trustAnchorsPem?: pulumi.Input<string>;
    /** SPIFFE trust domain of the server cluster's mesh. @default "cluster.local" */
    serverTrustDomain?: string;
    /** SPIFFE trust domain of the client cluster's mesh; the client certificate's identity is in it. @default "cluster.local" */
    clientTrustDomain?: string;
    /** Publish the host in this DNS zone. @default - no record */
    dnsZone?: MtlsDnsZoneArgs;
    /** The server's ingress gateway static IP (the record's value). Required with dnsZone. */
    ingressAddress?: pulumi.Input<string>;
}

/** The arguments of the two halves, derived so they agree on host, ports, names and identities. */
export function meshLinkSides(name: string, args: MeshLinkArgs): { server: MtlsServerArgs; client: MtlsClientArgs } {
    const linkName = args.linkName ?? name;
    const clientName = defaultClientName(args.host);
    return {
        server: {
            linkName,
            host: args.host,
            service: args.service,
            namespace: args.namespace,
            port: args.port,
            linkPort: args.linkPort,
            // The server admits only this link's client certificate, not any certificate of the CA: its
            // name at the TLS handshake, its identity in the gateway's AuthorizationPolicy.
            clientNames: [clientName],
            clientPrincipal: linkClientPrincipal(args.clientTrustDomain, args.gatewayNamespace),
            trustDomain: args.serverTrustDomain,
            trustAnchorsPem: args.trustAnchorsPem,
            gatewayNamespace: args.gatewayNamespace,
            issuerName: args.issuerName,
            dnsZone: args.dnsZone,
            ingressAddress: args.ingressAddress,
        },
        client: {
            linkName,
            host: args.host,
            port: args.port,
            linkPort: args.linkPort,
            clientNamespace: args.clientNamespace,
            clientName,
            trustDomain: args.clientTrustDomain,
            trustAnchorsPem: args.trustAnchorsPem,
            gatewayNamespace: args.gatewayNamespace,
            issuerName: args.issuerName,
        },
    };
}

export function validateMeshLinkArgs(name: string, args: MeshLinkArgs): string[] {
    const problems: string[] = [];
    if (args.server === args.client) {
        problems.push(`server and client are both "${args.server}": a link joins two different clusters`);
    }
    if (!args.serverProvider) problems.push("serverProvider is required: the Kubernetes provider of the server cluster");
    if (!args.clientProvider) problems.push("clientProvider is required: the Kubernetes provider of the client cluster");
    const sides = meshLinkSides(name, args);
    const seen = new Set(problems);
    for (const problem of [...validateMtlsServerArgs(sides.server), ...validateMtlsClientArgs(sides.client)]) {
        if (!seen.has(problem)) problems.push(problem);
        seen.add(problem);
    }
    return problems;
}

/**
 * A cross-cluster mutual-TLS link: the MtlsServer half on the server cluster and the MtlsClient half on
 * the client cluster, built from one description so hosts, SNI, ports, credentials and certificate
 * names agree. Every object name starts with the link name, so many links share the gateways.
 */
export class MeshLink extends pulumi.ComponentResource {
    /** The link's public host. */
    public readonly host: pulumi.Output<string>;
    /** Secret the server's ingress gateway presents (`credentialName` on the server cluster). */
    public readonly serverCredentialName: pulumi.Output<string>;
    /** The server's ingress Gateway object's name. */
    public readonly serverGatewayName: pulumi.Output<string>;
    /** Secret the client's egress gateway presents (`credentialName` on the client cluster). */
    public readonly clientCredentialName: pulumi.Output<string>;
    /** The DNS name in the client certificate, the only one the server admits. */
    public readonly clientName: pulumi.Output<string>;

    constructor(name: string, args: MeshLinkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:MeshLink", name, args, opts);
        const problems = validateMeshLinkArgs(name, args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`MeshLink ${name}: ${problems.join("; ")}`, this);
        }
        const built = buildMeshLink(name, args, this, opts?.dependsOn);
        this.host = pulumi.output(args.host);
        this.serverCredentialName = built.server.credentialName;
        this.serverGatewayName = built.server.gatewayName;
        this.clientCredentialName = built.client.credentialName;
        this.clientName = built.client.clientName;
        this.registerOutputs({
            host: this.host,
            serverCredentialName: this.serverCredentialName,
            serverGatewayName: this.serverGatewayName,
            clientCredentialName: this.clientCredentialName,
            clientName: this.clientName,
        });
    }
}

/**
 * Both sides wait for everything the link waits for (`dependsOn`: Istio, the issuers and the
 * namespaces on both clusters): a link is of use only once both ends exist, and one dependency list
 * keeps the args expressible in every language the package serves.
 */
export function buildMeshLink(name: string, args: MeshLinkArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const sides = meshLinkSides(name, args);
    const server = new MtlsServer(`${name}-server`, sides.server, { parent, provider: args.serverProvider, dependsOn });
    const client = new MtlsClient(`${name}-client`, sides.client, { parent, provider: args.clientProvider, dependsOn });
    return { server, client };
}
