import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { validateKeyArgs, validateValidity } from "./rootCa";
import { rfc1123Label } from "./names";

export interface IntermediateCaArgs {
    /** The cluster the intermediate serves (`gke`, `aks`): it goes into the subject's OU. */
    clusterName: string;
    /** Subject common name. @default "trustmesh <clusterName> intermediate CA" */
    commonName?: string;
    /** Subject organization. @default "trustmesh" */
    organization?: string;
    /** The root CA certificate, PEM. */
    rootCertPem: pulumi.Input<string>;
    /** The root CA private key, PEM (a secret). */
    rootPrivateKeyPem: pulumi.Input<string>;
    /** "ECDSA" or "RSA". @default "ECDSA" */
    algorithm?: string;
    /** ECDSA curve. @default "P384" */
    ecdsaCurve?: string;
    /** RSA bits, at least 2048. @default 4096 */
    rsaBits?: number;
    /** Validity in hours. @default 26280 (3 years) */
    validityHours?: number;
    /** Re-issue this many hours before expiry. @default 2160 (90 days, so every leaf it signed can be renewed meanwhile) */
    earlyRenewalHours?: number;
    /** The root's validity in hours: an intermediate may not outlive its root. @default - not checked */
    rootValidityHours?: number;
    /** cert-manager's namespace (a ClusterIssuer reads its Secret from there). @default "cert-manager" */
    namespace?: string;
    /** Name of the `kubernetes.io/tls` Secret holding the intermediate. @default "internal-ca" */
    secretName?: string;
    /** Name of the ClusterIssuer. @default "internal-ca" */
    issuerName?: string;
}

/** An intermediate signs leaves and CRLs only; path length 0 stops it from minting further CAs. */
export const intermediateCaAllowedUses = ["cert_signing", "crl_signing", "digital_signature"];


export function validateIntermediateCaArgs(args: IntermediateCaArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.clusterName)) problems.push(`clusterName "${args.clusterName}" must be a lowercase RFC 1123 label`);
    const commonName = args.commonName ?? `trustmesh ${args.clusterName} intermediate CA`;
    if (commonName.length > 64) problems.push(`commonName "${commonName}" must be at most 64 characters`);
    problems.push(...validateKeyArgs("", args.algorithm ?? "ECDSA", args.ecdsaCurve ?? "P384", args.rsaBits ?? 4096));
    const validity = args.validityHours ?? 26280;
    problems.push(...validateValidity("", validity, args.earlyRenewalHours ?? 2160));
    if (args.rootValidityHours !== undefined && validity > args.rootValidityHours) {
        problems.push(`validityHours ${validity} is longer than the root's ${args.rootValidityHours}: an intermediate may not outlive its root`);
    }
    for (const [key, value] of [["namespace", args.namespace], ["secretName", args.secretName], ["issuerName", args.issuerName]] as const) {
        if (value !== undefined && !rfc1123Label.test(value)) problems.push(`${key} "${value}" must be a lowercase RFC 1123 name`);
    }
    return problems;
}

/**
 * A cluster's intermediate CA, signed by the environment root, handed to cert-manager as a
 * `kubernetes.io/tls` Secret (intermediate + root chain, key, `ca.crt` = root) and exposed through a
 * ClusterIssuer, so every leaf cert-manager issues chains to the shared root. Pass the cluster's
 * provider and `dependsOn` the CertManager in opts.
 */
export class IntermediateCa extends pulumi.ComponentResource {
    /** The intermediate certificate, PEM (public). */
    public readonly certPem: pulumi.Output<string>;
    /** Intermediate followed by root, PEM (what `tls.crt` holds). */
    public readonly chainPem: pulumi.Output<string>;
    /** Name of the ClusterIssuer. */
    public readonly issuerName: pulumi.Output<string>;
    /** Name of the Secret in cert-manager's namespace. */
    public readonly secretName: pulumi.Output<string>;
    public readonly key: tls.PrivateKey;
    public readonly request: tls.CertRequest;
    public readonly cert: tls.LocallySignedCert;
    public readonly secret: k8s.core.v1.Secret;

    constructor(name: string, args: IntermediateCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:IntermediateCa", name, args, opts);
        const problems = validateIntermediateCaArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`IntermediateCa ${name}: ${problems.join("; ")}`, this);
        const built = buildIntermediateCa(name, args, this, opts?.dependsOn);
        this.key = built.key;
        this.request = built.request;
        this.cert = built.cert;
        this.secret = built.secret;
        this.certPem = built.cert.certPem;
        this.chainPem = built.chainPem;
        this.issuerName = built.issuer.metadata.name;
        this.secretName = built.secret.metadata.name;
        this.registerOutputs({ certPem: this.certPem, chainPem: this.chainPem, issuerName: this.issuerName, secretName: this.secretName });
    }
}

export function buildIntermediateCa(
    name: string,
    args: IntermediateCaArgs,
    parent: pulumi.Resource,
    dependsOn?: DependsOn,
) {
    const algorithm = args.algorithm ?? "ECDSA";
    const namespace = args.namespace ?? "cert-manager";
    const key = new tls.PrivateKey(
        `${name}-key`,
        { algorithm, ...(algorithm === "RSA" ? { rsaBits: args.rsaBits ?? 4096 } : { ecdsaCurve: args.ecdsaCurve ?? "P384" }) },
        { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] },
    );
    const request = new tls.CertRequest(
        `${name}-csr`,
        {
            privateKeyPem: pulumi.secret(key.privateKeyPem),
            subject: {
                commonName: args.commonName ?? `trustmesh ${args.clusterName} intermediate CA`,
                organization: args.organization ?? "trustmesh",
                organizationalUnit: args.clusterName,
            },
        },
        { parent },
    );
    const cert = new tls.LocallySignedCert(
        `${name}-cert`,
        {
            certRequestPem: request.certRequestPem,
            caCertPem: args.rootCertPem,
            caPrivateKeyPem: pulumi.secret(args.rootPrivateKeyPem),
            isCaCertificate: true,
            // Path length 0: this CA signs leaves only, so a stolen intermediate cannot mint sub-CAs.
            maxPathLength: 0,
            setSubjectKeyId: true,
            allowedUses: intermediateCaAllowedUses,
            validityPeriodHours: args.validityHours ?? 26280,
            earlyRenewalHours: args.earlyRenewalHours ?? 2160,
        },
        { parent },
    );
    // Leaves carry the full chain up to the root, so a peer that trusts only the root can verify them.
    const chainPem = pulumi.concat(cert.certPem, ensureNewline(args.rootCertPem));
    const secret = new k8s.core.v1.Secret(
        `${name}-secret`,
        {
            metadata: { name: args.secretName ?? "internal-ca", namespace, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            type: "kubernetes.io/tls",
            stringData: {
                "tls.crt": pulumi.secret(chainPem),
                "tls.key": pulumi.secret(key.privateKeyPem),
                "ca.crt": pulumi.secret(args.rootCertPem),
            },
        },
        { parent, dependsOn },
    );
    const issuer = new k8s.apiextensions.CustomResource(
        `${name}-issuer`,
        {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: args.issuerName ?? "internal-ca", labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: { ca: { secretName: secret.metadata.name } },
        },
        { parent, dependsOn: withDependsOn(dependsOn, secret) },
    );
    return { key, request, cert, secret, issuer, chainPem };
}

function ensureNewline(pem: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(pem).apply((text) => (text.endsWith("\n") ? text : `${text}\n`));
}

