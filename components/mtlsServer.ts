import * as gcpDns from "@pulumi/gcp/dns";
import * as azureDns from "@pulumi/azure-native/dns";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { Certificate } from "./certificate";
import { isIstioReservedPort, istioNames } from "./istio";
import { linkSideProblems, trustAnchorsSecret } from "./linkRules";
import { dnsNamePattern, istioPrincipal, isTcpPort, rfc1123Label, trustDomainPattern } from "./names";

/** A public DNS zone the link host is published in; set the fields of exactly one cloud. */
export interface MtlsDnsZoneArgs {
    /** Cloud DNS managed zone name (GCP). @default - not Cloud DNS */
    gcpManagedZone?: string;
    /** Project of the Cloud DNS zone. @default - the provider's project */
    gcpProject?: string;
    /** Azure DNS zone name, e.g. "mesh.example.com"; the host must be inside it. @default - not Azure DNS */
    azureZoneName?: string;
    /** Resource group of the Azure DNS zone. Required with azureZoneName. */
    azureResourceGroupName?: string;
    /** Record TTL in seconds. @default 300 */
    ttlSeconds?: number;
    /** Pulumi `protect` on the record: clients resolve the link host through it. @default false */
    protect?: boolean;
}

export interface MtlsServerArgs {
    /** Link name (RFC 1123 label), unique per cluster: prefixes every object this side creates. */
    linkName: string;
    /** Public DNS name clients reach the ingress gateway by: the server certificate's only name and the SNI. */
    host: string;
    /** The Kubernetes Service the link delivers to. */
    service: string;
    /** Namespace of that Service. */
    namespace: string;
    /** Port of that Service. */
    port: number;
    /** Container port behind the Service, for the NetworkPolicy that admits the gateway. @default - the port */
    targetPort?: number;
    /** Port the ingress gateway listens on for this link (declared on the gateway Service by Istio). */
    linkPort: number;
    /**
     * DNS names a client certificate must carry (checked by the gateway on top of the CA). @default - any
     * certificate the internal CA issued
     */
    clientNames?: string[];
    /**
     * Every root the gateway trusts for the peer, PEM. Written to the `<credential>-cacert` Secret, which
     * Istio prefers to the credential's own `ca.crt` (only the root that issued it): during a root
     * rotation the gateway then accepts peers from either root. @default - the credential's `ca.crt`
     */
    trustAnchorsPem?: pulumi.Input<string>;
    /** Namespace of the ingress gateway; the credential Secret must live there. @default "istio-system" */
    gatewayNamespace?: string;
    /**
     * The client's identity (Istio principal, `<trust domain>/ns/<ns>/sa/<sa>`, the URI SAN of its
     * certificate without `spiffe://`): the ingress gateway's AuthorizationPolicy admits it alone on the
     * link port. @default - no AuthorizationPolicy on the gateway (the CA and clientNames decide)
     */
    clientPrincipal?: string;
    /** The server cluster's SPIFFE trust domain: the ingress gateway's principal is in it. @default "cluster.local" */
    trustDomain?: string;
    /** ClusterIssuer of the server certificate. @default "internal-ca" */
    issuerName?: string;
    /** Server certificate lifetime (Go duration). @default - the Certificate component's (2160h) */
    certificateDuration?: string;
    /** Publish `host` as an A record in this zone. @default - no record (DNS is managed elsewhere) */
    dnsZone?: MtlsDnsZoneArgs;
    /** The ingress gateway's static IP, the record's value. Required with dnsZone. */
    ingressAddress?: pulumi.Input<string>;
}


/** Names of the link's server-side objects; both clusters derive them from the link name alone. */
export function mtlsServerNames(linkName: string) {
    return {
        certificate: `${linkName}-server`,
        credential: `${linkName}-server-credential`,
        gateway: `${linkName}-ingress`,
        virtualService: `${linkName}-ingress`,
        networkPolicy: `${linkName}-allow-ingress-gateway`,
        gatewayAuthorizationPolicy: `${linkName}-ingress-client`,
        workloadAuthorizationPolicy: `${linkName}-only-ingress-gateway`,
    };
}

export function validateMtlsServerArgs(args: MtlsServerArgs): string[] {
    const problems = linkSideProblems(args);
    if (!rfc1123Label.test(args.service ?? "")) problems.push(`service "${args.service}" must be a Kubernetes Service name`);
    if (!rfc1123Label.test(args.namespace ?? "")) problems.push(`namespace "${args.namespace}" must be a Kubernetes namespace name`);
    for (const [key, value] of [["port", args.port], ["targetPort", args.targetPort]] as const) {
        if (key === "targetPort" && value === undefined) continue;
        if (!isTcpPort(value)) problems.push(`${key} ${value} must be a TCP port (1-65535)`);
        else if (isIstioReservedPort(value)) problems.push(`${key} ${value} is in Istio's reserved range 15000-15090 (the sidecar's own listeners); pick another port`);
    }
    if (args.clientPrincipal !== undefined && !/^[a-z0-9._-]+\/ns\/[a-z0-9-]+\/sa\/[a-z0-9.-]+$/.test(args.clientPrincipal)) {
        problems.push(`clientPrincipal "${args.clientPrincipal}" must be an Istio principal <trust domain>/ns/<namespace>/sa/<service account>, without wildcards`);
    }
    if (args.trustDomain !== undefined && !trustDomainPattern.test(args.trustDomain)) problems.push(`trustDomain "${args.trustDomain}" must be a SPIFFE trust domain (lowercase letters, digits, ".", "-", "_")`);
    for (const name of args.clientNames ?? []) {
        if (!dnsNamePattern.test(name)) problems.push(`clientNames entry "${name}" must be a lowercase fully qualified DNS name`);
    }
    const zone = args.dnsZone;
    if (zone) {
        const gcp = zone.gcpManagedZone !== undefined;
        const azure = zone.azureZoneName !== undefined;
        if (gcp === azure) problems.push("dnsZone must set exactly one of gcpManagedZone (Cloud DNS) or azureZoneName (Azure DNS)");
        if (azure && !zone.azureResourceGroupName) problems.push("dnsZone.azureResourceGroupName is required with azureZoneName");
        if (azure && zone.azureZoneName && !(args.host ?? "").endsWith(`.${zone.azureZoneName}`)) {
            problems.push(`host "${args.host}" is not inside dnsZone.azureZoneName "${zone.azureZoneName}"`);
        }
        if (zone.ttlSeconds !== undefined && (!Number.isInteger(zone.ttlSeconds) || zone.ttlSeconds < 30 || zone.ttlSeconds > 86400)) {
            problems.push(`dnsZone.ttlSeconds ${zone.ttlSeconds} must be a whole number of seconds from 30 to 86400`);
        }
        if (args.ingressAddress === undefined) problems.push("ingressAddress is required with dnsZone: it is the A record's value");
    }
    return problems;
}

/**
 * The server side of a cross-cluster mutual-TLS link (seed 001's ingress half): a server certificate for
 * the host from the internal CA, an ingress Gateway that requires a client certificate (`MUTUAL`), a
 * VirtualService handing the decrypted TCP stream to the Service, a NetworkPolicy admitting the
 * gateway into the Service's namespace, and optionally the host's DNS record.
 */
export class MtlsServer extends pulumi.ComponentResource {
    /** The host the link answers on. */
    public readonly host: pulumi.Output<string>;
    /** Secret the ingress gateway presents (`credentialName`). */
    public readonly credentialName: pulumi.Output<string>;
    /** The ingress Gateway object's name. */
    public readonly gatewayName: pulumi.Output<string>;

    constructor(name: string, args: MtlsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:MtlsServer", name, args, opts);
        const problems = validateMtlsServerArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`MtlsServer ${name}: ${problems.join("; ")}`, this);
        }
        const built = buildMtlsServer(name, args, this, opts?.dependsOn);
        this.host = pulumi.output(args.host);
        this.credentialName = built.certificate.secretName;
        this.gatewayName = built.gateway.metadata.name;
        this.registerOutputs({ host: this.host, credentialName: this.credentialName, gatewayName: this.gatewayName });
    }
}

export function buildMtlsServer(name: string, args: MtlsServerArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (CRDs installed, namespace created): pass it on.
    const names = mtlsServerNames(args.linkName);
    const gatewayNamespace = args.gatewayNamespace ?? "istio-system";
    const labels = { "app.kubernetes.io/managed-by": "trustmesh", "trustmesh.io/mesh-link": args.linkName };

    const certificate = new Certificate(
        `${name}-certificate`,
        {
            namespace: gatewayNamespace,
            certificateName: names.certificate,
            secretName: names.credential,
            dnsNames: [args.host],
            issuerName: args.issuerName ?? "internal-ca",
            ...(args.certificateDuration ? { duration: args.certificateDuration } : {}),
            usages: ["digital signature", "server auth"],
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
                selector: { ...istioNames.ingressSelector },
                servers: [
                    {
                        port: { number: args.linkPort, name: `tls-${args.linkName}`, protocol: "TLS" },
                        hosts: [args.host],
                        tls: {
                            // MUTUAL: no client certificate from the internal CA, no connection.
                            mode: "MUTUAL",
                            credentialName: names.credential,
                            minProtocolVersion: "TLSV1_3",
                            ...(args.clientNames?.length ? { subjectAltNames: args.clientNames } : {}),
                        },
                    },
                ],
            },
        },
        { parent, dependsOn: [certificate] },
    );

    const destination = `${args.service}.${args.namespace}.svc.cluster.local`;
    const virtualService = new k8s.apiextensions.CustomResource(
        `${name}-virtual-service`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: names.virtualService, namespace: gatewayNamespace, labels },
            spec: {
                hosts: [args.host],
                gateways: [`${gatewayNamespace}/${names.gateway}`],
                // Only the ingress gateway needs this route; sidecars never see the public host.
                exportTo: ["."],
                tcp: [
                    {
                        match: [{ port: args.linkPort }],
                        route: [{ destination: { host: destination, port: { number: args.port } } }],
                    },
                ],
            },
        },
        { parent, dependsOn: [gateway] },
    );

    // The server namespace denies ingress by default; admit only the ingress gateway pods, on the service's port.
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-ingress-gateway`,
        {
            metadata: { name: names.networkPolicy, namespace: args.namespace, labels },
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            {
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": gatewayNamespace } },
                                podSelector: { matchLabels: { ...istioNames.ingressSelector } },
                            },
                        ],
                        ports: [{ protocol: "TCP", port: args.targetPort ?? args.port }],
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    // Ingress gateway: on the link port, only the link's client identity. An ALLOW policy makes the
    // gateway deny whatever no policy allows, so a port added later without its own policy stays shut.
    const gatewayAuthorizationPolicy = args.clientPrincipal
        ? new k8s.apiextensions.CustomResource(
              `${name}-gateway-authorization`,
              {
                  apiVersion: "security.istio.io/v1",
                  kind: "AuthorizationPolicy",
                  metadata: { name: names.gatewayAuthorizationPolicy, namespace: gatewayNamespace, labels },
                  spec: {
                      selector: { matchLabels: { ...istioNames.ingressSelector } },
                      action: "ALLOW",
                      rules: [{ from: [{ source: { principals: [args.clientPrincipal] } }], to: [{ operation: { ports: [String(args.linkPort)] } }] }],
                  },
              },
              { parent, dependsOn: [gateway] },
          )
        : undefined;

    // Server workload: on the service's port, nothing but the ingress gateway's identity. A DENY of every
    // other principal, scoped to the port: the link knows the Service, not its pods' labels, and an ALLOW
    // over the whole namespace would switch every other workload there to deny-by-default.
    const workloadAuthorizationPolicy = new k8s.apiextensions.CustomResource(
        `${name}-workload-authorization`,
        {
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: { name: names.workloadAuthorizationPolicy, namespace: args.namespace, labels },
            spec: {
                action: "DENY",
                rules: [
                    {
                        from: [{ source: { notPrincipals: [istioPrincipal(args.trustDomain ?? "cluster.local", gatewayNamespace, istioNames.ingressRelease)] } }],
                        to: [{ operation: { ports: [String(args.targetPort ?? args.port)] } }],
                    },
                ],
            },
        },
        { parent, dependsOn },
    );

    const dnsRecord = args.dnsZone && args.ingressAddress !== undefined ? buildDnsRecord(name, args, args.dnsZone, args.ingressAddress, parent, dependsOn) : undefined;
    return { certificate, trustAnchors, gateway, virtualService, networkPolicy, gatewayAuthorizationPolicy, workloadAuthorizationPolicy, dnsRecord };
}

function buildDnsRecord(name: string, args: MtlsServerArgs, zone: MtlsDnsZoneArgs, address: pulumi.Input<string>, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const ttl = zone.ttlSeconds ?? 300;
    if (zone.gcpManagedZone !== undefined) {
        return new gcpDns.RecordSet(
            `${name}-dns`,
            { managedZone: zone.gcpManagedZone, project: zone.gcpProject, name: `${args.host}.`, type: "A", ttl, rrdatas: [address] },
            { parent, dependsOn, protect: zone.protect },
        );
    }
    const zoneName = zone.azureZoneName as string;
    return new azureDns.RecordSet(
        `${name}-dns`,
        {
            zoneName,
            resourceGroupName: zone.azureResourceGroupName as string,
            relativeRecordSetName: args.host.slice(0, -(zoneName.length + 1)),
            recordType: "A",
            ttl,
            aRecords: [{ ipv4Address: address }],
        },
        { parent, dependsOn, protect: zone.protect },
    );
}
