import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface RootCaArgs {
    /** Subject common name, e.g. "trustmesh prod root CA". */
    commonName: string;
    /** Subject organization. @default "trustmesh" */
    organization?: string;
    /** "ECDSA" or "RSA". @default "ECDSA" */
    algorithm?: string;
    /** ECDSA curve: "P256", "P384" or "P521". @default "P384" */
    ecdsaCurve?: string;
    /** RSA key size, at least 2048 (3072+ for a root that lives for years). @default 4096 */
    rsaBits?: number;
    /** Validity in hours. @default 87600 (10 years) */
    validityHours?: number;
    /** Re-issue this many hours before expiry, below validityHours. @default 8760 (1 year) */
    earlyRenewalHours?: number;
    /**
     * Intermediate CAs allowed below the root. 1 = root -> intermediate -> leaf, and an intermediate
     * cannot mint another CA. @default 1
     */
    maxPathLength?: number;
}

/** The root's uses: sign CA certificates and CRLs, nothing else. */
export const rootCaAllowedUses = ["cert_signing", "crl_signing", "digital_signature"];

export function validateKeyArgs(prefix: string, algorithm: string, ecdsaCurve: string, rsaBits: number): string[] {
    const problems: string[] = [];
    if (algorithm === "RSA") {
        if (!Number.isInteger(rsaBits) || rsaBits < 2048) problems.push(`${prefix}rsaBits ${rsaBits} is refused: RSA keys need at least 2048 bits`);
    } else if (algorithm === "ECDSA") {
        if (!["P256", "P384", "P521"].includes(ecdsaCurve)) problems.push(`${prefix}ecdsaCurve "${ecdsaCurve}" must be "P256", "P384" or "P521"`);
    } else {
        problems.push(`${prefix}algorithm "${algorithm}" must be "ECDSA" or "RSA"`);
    }
    return problems;
}

export function validateValidity(prefix: string, validityHours: number, earlyRenewalHours: number): string[] {
    const problems: string[] = [];
    if (!Number.isInteger(validityHours) || validityHours <= 0) problems.push(`${prefix}validityHours ${validityHours} must be a positive whole number of hours`);
    if (!Number.isInteger(earlyRenewalHours) || earlyRenewalHours < 0) problems.push(`${prefix}earlyRenewalHours ${earlyRenewalHours} must be a whole number of hours, 0 or more`);
    else if (earlyRenewalHours >= validityHours) {
        problems.push(`${prefix}earlyRenewalHours ${earlyRenewalHours} must be below validityHours ${validityHours}, or the CA is re-issued on every run`);
    }
    return problems;
}

export function validateRootCaArgs(args: RootCaArgs): string[] {
    const problems: string[] = [];
    if (!args.commonName || args.commonName.length > 64) problems.push(`commonName "${args.commonName}" must be 1 to 64 characters`);
    problems.push(...validateKeyArgs("", args.algorithm ?? "ECDSA", args.ecdsaCurve ?? "P384", args.rsaBits ?? 4096));
    problems.push(...validateValidity("", args.validityHours ?? 87600, args.earlyRenewalHours ?? 8760));
    const pathLength = args.maxPathLength ?? 1;
    if (!Number.isInteger(pathLength) || pathLength < 0) problems.push(`maxPathLength ${pathLength} must be a whole number, 0 or more`);
    return problems;
}

/**
 * The environment's root CA: a self-signed CA certificate whose key stays in Pulumi state as a secret.
 * Only intermediates are signed with it. Pass `protect: true` in opts for anything but a throwaway stack.
 */
export class RootCa extends pulumi.ComponentResource {
    /** The root certificate, PEM (public). */
    public readonly certPem: pulumi.Output<string>;
    /** The root's private key, PEM (secret). */
    public readonly privateKeyPem: pulumi.Output<string>;
    /** "ECDSA" or "RSA". */
    public readonly keyAlgorithm: pulumi.Output<string>;
    public readonly key: tls.PrivateKey;
    public readonly cert: tls.SelfSignedCert;

    constructor(name: string, args: RootCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:RootCa", name, args, opts);
        const problems = validateRootCaArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`RootCa ${name}: ${problems.join("; ")}`, this);
        const built = buildRootCa(name, args, this);
        this.key = built.key;
        this.cert = built.cert;
        this.certPem = built.cert.certPem;
        this.privateKeyPem = pulumi.secret(built.key.privateKeyPem);
        this.keyAlgorithm = built.key.algorithm;
        this.registerOutputs({ certPem: this.certPem, privateKeyPem: this.privateKeyPem, keyAlgorithm: this.keyAlgorithm });
    }
}

export function buildRootCa(name: string, args: RootCaArgs, parent: pulumi.Resource) {
    const algorithm = args.algorithm ?? "ECDSA";
    // Explicit so a provider default change cannot leak the key into state in the clear.
    const key = new tls.PrivateKey(
        `${name}-key`,
        {
            algorithm,
            ...(algorithm === "RSA" ? { rsaBits: args.rsaBits ?? 4096 } : { ecdsaCurve: args.ecdsaCurve ?? "P384" }),
        },
        { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] },
    );
    const cert = new tls.SelfSignedCert(
        `${name}-cert`,
        {
            privateKeyPem: pulumi.secret(key.privateKeyPem),
            subject: { commonName: args.commonName, organization: args.organization ?? "trustmesh" },
            isCaCertificate: true,
            maxPathLength: args.maxPathLength ?? 1,
            setSubjectKeyId: true,
            setAuthorityKeyId: true,
            allowedUses: rootCaAllowedUses,
            validityPeriodHours: args.validityHours ?? 87600,
            earlyRenewalHours: args.earlyRenewalHours ?? 8760,
        },
        { parent },
    );
    return { key, cert };
}
