import * as dns from "@pulumi/gcp/dns";
import * as pulumi from "@pulumi/pulumi";
import { AcmeIssuer, type AcmeIssuerArgs } from "../components/acmeIssuer";
import { CertManager } from "../components/certManager";
import { IntermediateCa } from "../components/intermediateCa";
import { Reloader } from "../components/reloader";
import { RootCa } from "../components/rootCa";
import { SelfSignedIssuer } from "../components/selfSignedIssuer";
import { TrustManager } from "../components/trustManager";
import type { ClusterTarget, WorkloadIdentityBinding } from "./clusters";
import type { ClusterName, EnvironmentConfig, PkiConfig } from "./config";
import { rotationPhaseMeaning } from "./config/pki";

/** An issuer reference as a cert-manager Certificate takes it. */
export interface IssuerRef {
    name: string;
    kind: "ClusterIssuer";
}

/** What one cluster's PKI offers the rest of the program (the mesh's gateway certificates, workloads). */
export interface ClusterPki {
    certManager: CertManager;
    intermediateCa: IntermediateCa;
    /** ClusterIssuer `internal-ca`: leaves chaining to the environment root. */
    internalIssuer: IssuerRef;
    /** ClusterIssuer for bootstrapping only. */
    selfSignedIssuer: IssuerRef;
    selfSigned: SelfSignedIssuer;
    /** Let's Encrypt ClusterIssuer for public names, when ACME is configured and a solver exists. */
    acmeIssuer?: IssuerRef;
    trustManager: TrustManager;
    /** Undefined when Reloader is installed outside the stack (it has no CRDs to check). */
    reloader?: Reloader;
    /** Certificates must wait for these (the issuers, and thereby cert-manager's webhook). */
    ready: pulumi.Resource[];
}

export interface PkiDeployment {
    rootCa: RootCa;
    /** The root a rotation moves to, while one runs. */
    nextRootCa?: RootCa;
    /** The environment's root CA certificate, PEM: public, both clusters trust it. */
    rootCaCertPem: pulumi.Output<string>;
    /** Every root both clusters trust, PEM (the trust-manager bundle and the meshes' trust anchors). */
    trustAnchorsPem: pulumi.Output<string>;
    clusters: Partial<Record<ClusterName, ClusterPki>>;
    /** Stack outputs. */
    outputs: { rootCaCertificate: pulumi.Output<string>; trustAnchors: pulumi.Output<string>; pkiRotation: PkiRotationOutput };
}

/** Where a root rotation stands, as a stack output: the runbook reads `phase` into the next update's `deployedPhase`. */
export interface PkiRotationOutput {
    phase: number;
    meaning: string;
    issuingRootGeneration: number;
    trustedRootGenerations: number[];
}

const certManagerNamespace = "cert-manager";
const certManagerServiceAccount = "cert-manager";

/**
 * The environment's PKI: one root CA, and per cluster cert-manager, an intermediate CA signed by the root
 * behind ClusterIssuer `internal-ca`, a bootstrap self-signed issuer, Let's Encrypt when configured
 * (staging outside prod, production in prod), trust-manager publishing the root, and Reloader.
 */
export function deployPki(config: EnvironmentConfig, clusters: Partial<Record<ClusterName, ClusterTarget>>): PkiDeployment {
    const pki = config.pki;
    const rootCa = deployRootCa(config, pki.root);
    // A rotation: the next root exists beside the current one; the phase decides which issues and which are trusted.
    const nextRootCa = pki.nextRoot ? deployRootCa(config, pki.nextRoot) : undefined;
    const phase = pki.rotation?.phase ?? 0;
    const issuing = nextRootCa && phase >= 2 ? { ca: nextRootCa, config: pki.nextRoot! } : { ca: rootCa, config: pki.root };
    const trusted = nextRootCa ? (phase === 3 ? [nextRootCa] : [rootCa, nextRootCa]) : [rootCa];
    const trustAnchorsPem = pulumi.all(trusted.map((ca) => ca.certPem)).apply((pems) => pems.map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`)).join(""));

    const deployed: Partial<Record<ClusterName, ClusterPki>> = {};
    for (const cluster of Object.values(clusters)) {
        if (cluster) deployed[cluster.key] = deployClusterPki(config, cluster, issuing.ca, issuing.config, trustAnchorsPem);
    }
    const rotation = { phase, meaning: rotationPhaseMeaning[phase]!, issuingRootGeneration: issuing.config.generation, trustedRootGenerations: nextRootCa ? (phase === 3 ? [pki.nextRoot!.generation] : [pki.root.generation, pki.nextRoot!.generation]) : [pki.root.generation] };
    return {
        rootCa,
        nextRootCa,
        rootCaCertPem: rootCa.certPem,
        trustAnchorsPem,
        clusters: deployed,
        outputs: { rootCaCertificate: rootCa.certPem, trustAnchors: trustAnchorsPem, pkiRotation: rotation },
    };
}

/** A root CA from its config; generation 1 keeps the original resource name, later ones add theirs. */
function deployRootCa(config: EnvironmentConfig, root: PkiConfig["root"]): RootCa {
    const generationSuffix = root.generation === 1 ? "" : ` G${root.generation}`;
    return new RootCa(
        root.generation === 1 ? "pki-root-ca" : `pki-root-ca-g${root.generation}`,
        {
            commonName: root.commonName ?? `trustmesh ${config.environment} root CA${generationSuffix}`,
            organization: root.organization,
            algorithm: root.key.algorithm,
            ecdsaCurve: root.key.ecdsaCurve,
            rsaBits: root.key.rsaBits,
            validityHours: root.validityHours,
            earlyRenewalHours: root.earlyRenewalHours,
        },
        // Losing the prod root means re-issuing every certificate in both clusters: keep it from deletion.
        { protect: config.environment === "prod" },
    );
}

function deployClusterPki(config: EnvironmentConfig, cluster: ClusterTarget, rootCa: RootCa, root: PkiConfig["root"], trustAnchorsPem: pulumi.Output<string>): ClusterPki {
    const pki = config.pki;
    const key = cluster.key;
    const clusterOpts = { provider: cluster.provider, dependsOn: cluster.ready };
    const binding = pki.acme ? bindDns01Identity(config, cluster) : undefined;
    const outside = new Set(config.platform.installedOutside);

    const certManager = new CertManager(
        `${key}-cert-manager`,
        {
            namespace: certManagerNamespace,
            serviceAccountAnnotations: binding?.serviceAccountAnnotations,
            podLabels: binding?.podLabels,
            // Two webhooks in prod: every Certificate write goes through it.
            webhookReplicas: config.environment === "prod" ? 2 : 1,
            installedOutside: outside.has("cert-manager"),
            // DNS01 on GKE takes its Google token from the metadata server; GkeCluster always runs Dataplane V2.
            gkeMetadataServer: binding && cluster.cloud === "gcp" ? "dataplane-v2" : undefined,
        },
        { provider: cluster.provider, dependsOn: [...cluster.ready, ...(binding?.ready ?? [])] },
    );
    const afterCertManager = { provider: cluster.provider, dependsOn: [certManager] };

    const intermediateCa = new IntermediateCa(
        `${key}-internal-ca`,
        {
            clusterName: key,
            organization: root.organization,
            rootCertPem: rootCa.certPem,
            rootPrivateKeyPem: rootCa.privateKeyPem,
            algorithm: root.key.algorithm,
            ecdsaCurve: root.key.ecdsaCurve,
            rsaBits: root.key.rsaBits,
            validityHours: pki.intermediate.validityHours,
            earlyRenewalHours: pki.intermediate.earlyRenewalHours,
            rootValidityHours: root.validityHours,
            namespace: certManagerNamespace,
        },
        afterCertManager,
    );
    const selfSigned = new SelfSignedIssuer(`${key}-selfsigned-issuer`, {}, afterCertManager);

    let acmeIssuer: AcmeIssuer | undefined;
    const acmeArgs = pki.acme ? acmeIssuerArgs(config, cluster, binding) : undefined;
    if (acmeArgs) acmeIssuer = new AcmeIssuer(`${key}-letsencrypt`, acmeArgs, afterCertManager);

    const trustManager = new TrustManager(
        `${key}-trust-manager`,
        {
            rootCaCertPem: trustAnchorsPem,
            namespace: certManagerNamespace,
            namespaceSelector: { [pki.trustBundleNamespaceLabel]: "enabled" },
            installedOutside: outside.has("trust-manager"),
        },
        afterCertManager,
    );
    const reloader = outside.has("reloader") ? undefined : new Reloader(`${key}-reloader`, {}, clusterOpts);

    return {
        certManager,
        intermediateCa,
        internalIssuer: { name: "internal-ca", kind: "ClusterIssuer" },
        selfSignedIssuer: { name: "selfsigned-bootstrap", kind: "ClusterIssuer" },
        selfSigned,
        acmeIssuer: acmeArgs ? { name: `letsencrypt-${acmeArgs.server}`, kind: "ClusterIssuer" } : undefined,
        trustManager,
        reloader,
        ready: [certManager, intermediateCa, ...(acmeIssuer ? [acmeIssuer] : [])],
    };
}

/** The DNS01 identity for cert-manager's controller, when the cluster side offers workload identity. */
function bindDns01Identity(config: EnvironmentConfig, cluster: ClusterTarget): WorkloadIdentityBinding | undefined {
    if (!cluster.bindWorkloadIdentity) return undefined;
    const acme = config.pki.acme;
    const request = {
        name: `${cluster.key}-cert-manager`,
        namespace: certManagerNamespace,
        serviceAccountName: certManagerServiceAccount,
        // The chart creates the ServiceAccount; it only needs the annotations and pod labels.
        createServiceAccount: false,
    };
    if (cluster.cloud === "gcp") {
        // No project-wide DNS role: roles/dns.admin on the one managed zone the issuer solves in
        // (the issuer names it as hostedZoneName, so cert-manager never lists the project's zones).
        const zone = acme?.gcpDnsZone;
        if (!zone) return undefined;
        const binding = cluster.bindWorkloadIdentity(request);
        const zoneGrant = new dns.DnsManagedZoneIamMember(
            `${cluster.key}-cert-manager-dns-zone`,
            { project: acme?.gcpDnsProject ?? config.gcp?.project, managedZone: zone, role: "roles/dns.admin", member: pulumi.interpolate`serviceAccount:${binding.identity}` },
            { dependsOn: cluster.cloudReady ?? [] },
        );
        return { ...binding, ready: [...binding.ready, zoneGrant] };
    }
    if (!acme?.azureDnsZone || !acme.azureDnsResourceGroup || !config.azure) return undefined;
    // DNS Zone Contributor on the one zone, not the resource group or subscription.
    const scope = `/subscriptions/${config.azure.subscriptionId}/resourceGroups/${acme.azureDnsResourceGroup}/providers/Microsoft.Network/dnszones/${acme.azureDnsZone}`;
    return cluster.bindWorkloadIdentity({ ...request, azureRoles: [{ roleDefinitionName: "DNS Zone Contributor", scope }] });
}

/** The ACME issuer for a cluster, or undefined (with a warning) when the cluster has no usable solver. */
function acmeIssuerArgs(config: EnvironmentConfig, cluster: ClusterTarget, binding: WorkloadIdentityBinding | undefined): AcmeIssuerArgs | undefined {
    const acme = config.pki.acme;
    if (!acme) return undefined;
    const server = acme.server ?? (config.environment === "prod" ? "production" : "staging");
    const base = { server, email: acme.email, dnsZones: acme.dnsZones, http01IngressClassName: acme.http01IngressClassName };
    if (cluster.cloud === "gcp" && binding) {
        return { ...base, dns01Provider: "cloudDNS", gcpProject: acme.gcpDnsProject ?? config.gcp?.project, gcpDnsZone: acme.gcpDnsZone };
    }
    if (cluster.cloud === "azure" && binding && acme.azureDnsZone && config.azure) {
        return {
            ...base,
            dns01Provider: "azureDNS",
            azureSubscriptionId: config.azure.subscriptionId,
            azureResourceGroup: acme.azureDnsResourceGroup,
            azureDnsZone: acme.azureDnsZone,
            azureManagedIdentityClientId: binding.identity,
        };
    }
    if (acme.http01IngressClassName) return { ...base, dns01Provider: "none" };
    void pulumi.log.warn(
        `pki: no Let's Encrypt issuer on ${cluster.key}: DNS01 needs the cluster's workload identity` +
            (cluster.cloud === "azure" ? " and trustmesh:pki.acme.azureDnsZone/azureDnsResourceGroup" : "") +
            ", or set trustmesh:pki.acme.http01IngressClassName",
    );
    return undefined;
}
