import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { rfc1123Label } from "./names";

/** Let's Encrypt directory URLs. */
export const letsEncryptServers: Record<string, string> = {
    staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
    production: "https://acme-v02.api.letsencrypt.org/directory",
};

export interface AcmeIssuerArgs {
    /** "staging" or "production". Staging first: production rate limits are easy to hit while testing. */
    server: string;
    /** Account email Let's Encrypt sends expiry and policy notices to. */
    email: string;
    /** ClusterIssuer name. @default "letsencrypt-<server>" */
    issuerName?: string;
    /** Secret (in cert-manager's namespace) for the ACME account key. @default "<issuerName>-account-key" */
    accountKeySecretName?: string;
    /** DNS01 solver: "cloudDNS" (GKE), "azureDNS" (AKS) or "none". @default "none" */
    dns01Provider?: string;
    /** cloudDNS: GCP project of the public zone. */
    gcpProject?: pulumi.Input<string>;
    /** cloudDNS: Cloud DNS managed zone name. @default - cert-manager finds the zone */
    gcpDnsZone?: pulumi.Input<string>;
    /** azureDNS: subscription id of the public zone. */
    azureSubscriptionId?: pulumi.Input<string>;
    /** azureDNS: resource group of the zone. */
    azureResourceGroup?: pulumi.Input<string>;
    /** azureDNS: the zone's name, e.g. example.com. */
    azureDnsZone?: pulumi.Input<string>;
    /** azureDNS: client id of the managed identity cert-manager runs as (workload identity). */
    azureManagedIdentityClientId?: pulumi.Input<string>;
    /** Only solve DNS01 for names in these zones. @default - every name */
    dnsZones?: string[];
    /** Ingress class for an HTTP01 solver; HTTP01 is off unless set. @default - no HTTP01 */
    http01IngressClassName?: string;
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateAcmeIssuerArgs(args: AcmeIssuerArgs): string[] {
    const problems: string[] = [];
    if (!(args.server in letsEncryptServers)) problems.push(`server "${args.server}" must be "staging" or "production"`);
    if (!emailPattern.test(args.email ?? "")) problems.push(`email "${args.email}" must be an address Let's Encrypt can send expiry notices to`);
    const dns01 = args.dns01Provider ?? "none";
    if (!["cloudDNS", "azureDNS", "none"].includes(dns01)) problems.push(`dns01Provider "${dns01}" must be "cloudDNS", "azureDNS" or "none"`);
    if (dns01 === "cloudDNS" && args.gcpProject === undefined) problems.push(`dns01Provider "cloudDNS" needs gcpProject`);
    if (dns01 === "azureDNS") {
        for (const key of ["azureSubscriptionId", "azureResourceGroup", "azureDnsZone", "azureManagedIdentityClientId"] as const) {
            if (args[key] === undefined) problems.push(`dns01Provider "azureDNS" needs ${key}`);
        }
    }
    if (dns01 === "none" && args.http01IngressClassName === undefined) {
        problems.push("no solver: set dns01Provider to \"cloudDNS\" or \"azureDNS\", or http01IngressClassName");
    }
    if (args.issuerName !== undefined && !rfc1123Label.test(args.issuerName)) {
        problems.push(`issuerName "${args.issuerName}" must be a lowercase RFC 1123 name`);
    }
    return problems;
}

/** The ACME solvers: DNS01 through the cluster's cloud DNS with workload identity, HTTP01 if asked. */
export function acmeSolvers(args: AcmeIssuerArgs): Record<string, unknown>[] {
    const solvers: Record<string, unknown>[] = [];
    const selector = args.dnsZones?.length ? { selector: { dnsZones: args.dnsZones } } : {};
    if (args.dns01Provider === "cloudDNS") {
        // No serviceAccountSecretRef: the controller's KSA is bound to a Google service account.
        solvers.push({ ...selector, dns01: { cloudDNS: { project: args.gcpProject, ...(args.gcpDnsZone ? { hostedZoneName: args.gcpDnsZone } : {}) } } });
    } else if (args.dns01Provider === "azureDNS") {
        // managedIdentity.clientID with Azure Workload Identity: no client secret stored anywhere.
        solvers.push({
            ...selector,
            dns01: {
                azureDNS: {
                    subscriptionID: args.azureSubscriptionId,
                    resourceGroupName: args.azureResourceGroup,
                    hostedZoneName: args.azureDnsZone,
                    environment: "AzurePublicCloud",
                    managedIdentity: { clientID: args.azureManagedIdentityClientId },
                },
            },
        });
    }
    if (args.http01IngressClassName) solvers.push({ http01: { ingress: { ingressClassName: args.http01IngressClassName } } });
    return solvers;
}

/**
 * A Let's Encrypt ClusterIssuer (staging or production) for public names. Pass the cluster's provider
 * and `dependsOn` the CertManager (and the workload identity binding) in opts.
 */
export class AcmeIssuer extends pulumi.ComponentResource {
    public readonly issuerName: pulumi.Output<string>;
    /** The ACME directory URL. */
    public readonly serverUrl: pulumi.Output<string>;

    constructor(name: string, args: AcmeIssuerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:AcmeIssuer", name, args, opts);
        const problems = validateAcmeIssuerArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`AcmeIssuer ${name}: ${problems.join("; ")}`, this);
        const { issuer } = buildAcmeIssuer(name, args, this, opts?.dependsOn);
        this.issuerName = issuer.metadata.name;
        this.serverUrl = pulumi.output(letsEncryptServers[args.server] as string);
        this.registerOutputs({ issuerName: this.issuerName, serverUrl: this.serverUrl });
    }
}

export function buildAcmeIssuer(name: string, args: AcmeIssuerArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    const issuerName = args.issuerName ?? `letsencrypt-${args.server}`;
    const issuer = new k8s.apiextensions.CustomResource(
        `${name}-issuer`,
        {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: issuerName, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: {
                acme: {
                    server: letsEncryptServers[args.server],
                    email: args.email,
                    privateKeySecretRef: { name: args.accountKeySecretName ?? `${issuerName}-account-key` },
                    solvers: acmeSolvers(args),
                },
            },
        },
        { parent, dependsOn },
    );
    return { issuer };
}
