import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { isIP } from "node:net";

/** Key usages cert-manager accepts (`spec.usages`). */
export const certificateUsages = [
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
] as const;
export type CertificateUsage = (typeof certificateUsages)[number];

export interface CertificatePrivateKeyArgs {
    /** Key algorithm: "RSA", "ECDSA" or "Ed25519". @default "ECDSA" */
    algorithm: string;
    /** RSA bits (at least 2048) or ECDSA curve size (256, 384, 521); none for Ed25519. @default - 256 for ECDSA, 3072 for RSA */
    size?: number;
    /** Key encoding in the Secret: "PKCS1" or "PKCS8". @default "PKCS1" (cert-manager's default) */
    encoding?: string;
}

export interface CertificateKeystoreArgs {
    /** Secret (in the certificate's namespace) holding the keystore password. */
    passwordSecretName: string;
    /** Key of the password in that Secret. @default "password" */
    passwordSecretKey?: string;
    /** JKS only: alias of the key entry. @default "certificate" (cert-manager's default) */
    alias?: string;
    /** PKCS12 only: "LegacyRC2", "LegacyDES" or "Modern2023". @default "Modern2023" */
    profile?: string;
}

export interface CertificateArgs {
    /** Namespace of the Certificate and its Secret. */
    namespace: pulumi.Input<string>;
    /** Secret cert-manager writes `tls.crt`, `tls.key` and `ca.crt` to (RFC 1123 name). */
    secretName: string;
    /** Name of the Certificate object. @default - the secretName */
    certificateName?: string;
    /** Subject common name (at most 64 characters). Also put it in dnsNames: clients ignore the CN. @default - none */
    commonName?: string;
    /** DNS subject alternative names; wildcards like `*.example.com` allowed. @default [] */
    dnsNames?: string[];
    /** IP subject alternative names. @default [] */
    ipAddresses?: string[];
    /** URI subject alternative names, e.g. SPIFFE IDs. @default [] */
    uris?: string[];
    /** Subject organizations. @default - none */
    organizations?: string[];
    /** Issuer that signs the certificate, e.g. "internal-ca" or "letsencrypt-production". */
    issuerName: string;
    /** "ClusterIssuer" or "Issuer". @default "ClusterIssuer" */
    issuerKind?: string;
    /** API group of the issuer. @default "cert-manager.io" */
    issuerGroup?: string;
    /** Lifetime as a Go duration ("2160h"). @default "2160h" (90 days) */
    duration?: string;
    /** Renew this long before expiry, below duration. @default - a third of the duration */
    renewBefore?: string;
    /** Allow a leaf lifetime above 90 days (e.g. for a client that cannot reload). @default false */
    allowLongLived?: boolean;
    /** The private key; always rotated on renewal (`rotationPolicy: Always`). @default - ECDSA P-256 */
    privateKey?: CertificatePrivateKeyArgs;
    /** Key usages. @default - ["digital signature", "server auth"] (+ "key encipherment" for RSA) */
    usages?: string[];
    /** Labels for the Secret (e.g. for Reloader or trust-manager selection). @default {} */
    secretLabels?: Record<string, string>;
    /** Annotations for the Secret. @default {} */
    secretAnnotations?: Record<string, string>;
    /** Also write a Java keystore (`keystore.jks`, `truststore.jks`) to the Secret. @default - none */
    jks?: CertificateKeystoreArgs;
    /** Also write a PKCS#12 keystore (`keystore.p12`, `truststore.p12`) to the Secret. @default - none */
    pkcs12?: CertificateKeystoreArgs;
    /** CertificateRequests kept per Certificate. @default 3 */
    revisionHistoryLimit?: number;
}

/** Leaf certificates longer than this need `allowLongLived` (the CA/Browser Forum is heading well below). */
export const maxLeafDurationSeconds = 90 * 24 * 3600;
/** cert-manager refuses anything shorter. */
const minDurationSeconds = 3600;
const minRenewBeforeSeconds = 5 * 60;

const goDurationUnits: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/**
 * Parses a Go duration as cert-manager does ("2160h", "1h30m", "720h0m0s"). Returns the number of
 * seconds, or undefined when the value is not a positive duration (days, "d", are not Go units).
 */
export function parseGoDuration(value: string): number | undefined {
    if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(value)) return undefined;
    let seconds = 0;
    for (const match of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
        seconds += Number(match[1]) * (goDurationUnits[match[2] as string] as number);
    }
    return seconds > 0 ? seconds : undefined;
}

/** Formats seconds as a Go duration in whole hours, minutes or seconds. */
export function formatGoDuration(seconds: number): string {
    const whole = Math.floor(seconds);
    if (whole % 3600 === 0) return `${whole / 3600}h`;
    if (whole % 60 === 0) return `${whole / 60}m`;
    return `${whole}s`;
}

const rfc1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsSan = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const ecdsaSizes = [256, 384, 521];

/** The private key settings after defaults. */
export function certificatePrivateKey(args: CertificateArgs): { algorithm: string; size?: number; encoding?: string } {
    const algorithm = args.privateKey?.algorithm ?? "ECDSA";
    const size = args.privateKey?.size ?? (algorithm === "RSA" ? 3072 : algorithm === "ECDSA" ? 256 : undefined);
    return { algorithm, size, encoding: args.privateKey?.encoding };
}

/** The usages after defaults: digital signature + server auth, plus key encipherment for RSA key exchange. */
export function certificateUsagesFor(args: CertificateArgs): string[] {
    if (args.usages) return args.usages;
    return certificatePrivateKey(args).algorithm === "RSA"
        ? ["digital signature", "key encipherment", "server auth"]
        : ["digital signature", "server auth"];
}

/** Every problem with the arguments, each naming the argument, the bad value and what is allowed. */
export function validateCertificateArgs(args: CertificateArgs): string[] {
    const problems: string[] = [];
    if (!rfc1123Subdomain.test(args.secretName)) {
        problems.push(`secretName "${args.secretName}" must be a lowercase RFC 1123 name`);
    }
    if (args.certificateName !== undefined && !rfc1123Subdomain.test(args.certificateName)) {
        problems.push(`certificateName "${args.certificateName}" must be a lowercase RFC 1123 name`);
    }
    const dnsNames = args.dnsNames ?? [];
    const ips = args.ipAddresses ?? [];
    const uris = args.uris ?? [];
    if (!args.commonName && dnsNames.length === 0 && ips.length === 0 && uris.length === 0) {
        problems.push("the certificate names no subject: set commonName or at least one of dnsNames, ipAddresses, uris");
    }
    if (args.commonName !== undefined && (args.commonName.length === 0 || args.commonName.length > 64)) {
        problems.push(`commonName "${args.commonName}" must be 1 to 64 characters (X.509 upper bound)`);
    }
    for (const name of dnsNames) {
        if (!dnsSan.test(name)) problems.push(`dnsNames entry "${name}" must be a lowercase DNS name, optionally starting with "*."`);
    }
    const seen = new Set<string>();
    for (const name of dnsNames) {
        if (seen.has(name)) problems.push(`dnsNames lists "${name}" twice`);
        seen.add(name);
    }
    for (const ip of ips) {
        if (isIP(ip) === 0) problems.push(`ipAddresses entry "${ip}" must be an IPv4 or IPv6 address`);
    }
    for (const uri of uris) {
        if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(uri) || !URL.canParse(uri)) problems.push(`uris entry "${uri}" must be an absolute URI such as spiffe://cluster.local/ns/app/sa/app`);
    }
    if (!args.issuerName) problems.push("issuerName must name the issuer that signs the certificate");
    const kind = args.issuerKind ?? "ClusterIssuer";
    if ((args.issuerGroup ?? "cert-manager.io") === "cert-manager.io" && kind !== "ClusterIssuer" && kind !== "Issuer") {
        problems.push(`issuerKind "${kind}" must be "ClusterIssuer" or "Issuer"`);
    }

    const durationText = args.duration ?? "2160h";
    const duration = parseGoDuration(durationText);
    if (duration === undefined) {
        problems.push(`duration "${durationText}" must be a Go duration such as "2160h" (units h, m, s; no days)`);
    } else {
        if (duration < minDurationSeconds) problems.push(`duration "${durationText}" must be at least 1h (cert-manager's minimum)`);
        if (duration > maxLeafDurationSeconds && !args.allowLongLived) {
            problems.push(`duration "${durationText}" is above 90 days (2160h); shorten it or set allowLongLived: true for a client that cannot rotate`);
        }
    }
    if (args.renewBefore !== undefined) {
        const renewBefore = parseGoDuration(args.renewBefore);
        if (renewBefore === undefined) {
            problems.push(`renewBefore "${args.renewBefore}" must be a Go duration such as "720h"`);
        } else {
            if (renewBefore < minRenewBeforeSeconds) problems.push(`renewBefore "${args.renewBefore}" must be at least 5m (cert-manager's minimum)`);
            if (duration !== undefined && renewBefore >= duration) {
                problems.push(`renewBefore "${args.renewBefore}" must be below duration "${durationText}", or the certificate is renewed forever`);
            }
        }
    }

    const key = certificatePrivateKey(args);
    if (key.algorithm === "RSA") {
        if (key.size === undefined || key.size < 2048 || key.size > 8192) {
            problems.push(`privateKey.size ${key.size} is not allowed for RSA: use 2048 to 8192 bits (RSA below 2048 bits is refused)`);
        }
    } else if (key.algorithm === "ECDSA") {
        if (!ecdsaSizes.includes(key.size as number)) problems.push(`privateKey.size ${key.size} is not an ECDSA curve size: use 256, 384 or 521`);
    } else if (key.algorithm === "Ed25519") {
        if (args.privateKey?.size !== undefined) problems.push(`privateKey.size ${args.privateKey.size} is meaningless for Ed25519: leave it unset`);
    } else {
        problems.push(`privateKey.algorithm "${key.algorithm}" must be "RSA", "ECDSA" or "Ed25519"`);
    }
    if (key.encoding !== undefined && key.encoding !== "PKCS1" && key.encoding !== "PKCS8") {
        problems.push(`privateKey.encoding "${key.encoding}" must be "PKCS1" or "PKCS8"`);
    }

    const usages = certificateUsagesFor(args);
    if (usages.length === 0) problems.push("usages must not be empty");
    for (const usage of usages) {
        if (!(certificateUsages as readonly string[]).includes(usage)) {
            problems.push(`usages entry "${usage}" is not a cert-manager key usage; allowed: ${certificateUsages.join(", ")}`);
        }
    }
    if (usages.includes("cert sign")) problems.push(`usages "cert sign" would make a leaf a CA; intermediates come from IntermediateCa`);

    for (const [store, ks] of [["jks", args.jks], ["pkcs12", args.pkcs12]] as const) {
        if (!ks) continue;
        if (!rfc1123Subdomain.test(ks.passwordSecretName ?? "")) {
            problems.push(`${store}.passwordSecretName "${ks.passwordSecretName}" must name a Secret (RFC 1123) holding the keystore password`);
        }
        if (store === "jks" && ks.profile !== undefined) problems.push("jks.profile is only for pkcs12");
        if (store === "pkcs12" && ks.alias !== undefined) problems.push("pkcs12.alias is only for jks");
        if (store === "pkcs12" && ks.profile !== undefined && !["LegacyRC2", "LegacyDES", "Modern2023"].includes(ks.profile)) {
            problems.push(`pkcs12.profile "${ks.profile}" must be "LegacyRC2", "LegacyDES" or "Modern2023"`);
        }
    }
    if (args.revisionHistoryLimit !== undefined && (!Number.isInteger(args.revisionHistoryLimit) || args.revisionHistoryLimit < 1)) {
        problems.push(`revisionHistoryLimit ${args.revisionHistoryLimit} must be a whole number of at least 1`);
    }
    for (const key of Object.keys(args.secretLabels ?? {})) {
        if (key.startsWith("controller.cert-manager.io/")) problems.push(`secretLabels may not set "${key}": cert-manager owns it`);
    }
    return problems;
}

/** The `spec` of the cert-manager Certificate, defaults applied. Exported for tests and for callers that compare. */
export function certificateSpec(args: CertificateArgs): Record<string, unknown> {
    const duration = args.duration ?? "2160h";
    const renewBefore = args.renewBefore ?? formatGoDuration((parseGoDuration(duration) ?? maxLeafDurationSeconds) / 3);
    const key = certificatePrivateKey(args);
    const keystores: Record<string, unknown> = {};
    if (args.jks) {
        keystores.jks = {
            create: true,
            passwordSecretRef: { name: args.jks.passwordSecretName, key: args.jks.passwordSecretKey ?? "password" },
            ...(args.jks.alias ? { alias: args.jks.alias } : {}),
        };
    }
    if (args.pkcs12) {
        keystores.pkcs12 = {
            create: true,
            passwordSecretRef: { name: args.pkcs12.passwordSecretName, key: args.pkcs12.passwordSecretKey ?? "password" },
            // Modern2023 (AES-256 + PBKDF2) instead of the RC2/3DES legacy profile, which Java 11+ reads fine.
            profile: args.pkcs12.profile ?? "Modern2023",
        };
    }
    const secretLabels = { "app.kubernetes.io/managed-by": "trustmesh", ...(args.secretLabels ?? {}) };
    return {
        secretName: args.secretName,
        secretTemplate: { labels: secretLabels, ...(args.secretAnnotations ? { annotations: args.secretAnnotations } : {}) },
        ...(args.commonName ? { commonName: args.commonName } : {}),
        ...(args.dnsNames?.length ? { dnsNames: args.dnsNames } : {}),
        ...(args.ipAddresses?.length ? { ipAddresses: args.ipAddresses } : {}),
        ...(args.uris?.length ? { uris: args.uris } : {}),
        ...(args.organizations?.length ? { subject: { organizations: args.organizations } } : {}),
        duration,
        renewBefore,
        privateKey: {
            algorithm: key.algorithm,
            ...(key.size !== undefined ? { size: key.size } : {}),
            ...(key.encoding ? { encoding: key.encoding } : {}),
            // A renewed certificate gets a new key, so a leaked key dies with its certificate.
            rotationPolicy: "Always",
        },
        usages: certificateUsagesFor(args),
        issuerRef: { name: args.issuerName, kind: args.issuerKind ?? "ClusterIssuer", group: args.issuerGroup ?? "cert-manager.io" },
        ...(Object.keys(keystores).length ? { keystores } : {}),
        revisionHistoryLimit: args.revisionHistoryLimit ?? 3,
    };
}

/**
 * A cert-manager Certificate with checked lifetimes, a rotated private key and labelled Secret, optionally
 * with native JKS / PKCS#12 keystores for Java consumers. Pass `dependsOn` the issuer (or CertManager).
 */
export class Certificate extends pulumi.ComponentResource {
    /** The Secret holding `tls.crt`, `tls.key` and `ca.crt` (the name Istio's `credentialName` takes). */
    public readonly secretName: pulumi.Output<string>;
    /** The namespace of the Certificate and its Secret. */
    public readonly namespace: pulumi.Output<string>;
    /** The Certificate object's name. */
    public readonly certificateName: pulumi.Output<string>;

    constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:Certificate", name, args, opts);
        const problems = validateCertificateArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`Certificate ${name}: ${problems.join("; ")}`, this);
        }
        const built = buildCertificate(name, args, this, opts?.dependsOn);
        this.secretName = pulumi.output(args.secretName);
        this.namespace = pulumi.output(args.namespace);
        this.certificateName = built.certificate.metadata.name;
        this.registerOutputs({ secretName: this.secretName, namespace: this.namespace, certificateName: this.certificateName });
    }
}

export function buildCertificate(name: string, args: CertificateArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (CRDs installed, namespace created): pass it on.
    const certificate = new k8s.apiextensions.CustomResource(
        `${name}-certificate`,
        {
            apiVersion: "cert-manager.io/v1",
            kind: "Certificate",
            metadata: {
                name: args.certificateName ?? args.secretName,
                namespace: args.namespace,
                labels: { "app.kubernetes.io/managed-by": "trustmesh" },
            },
            spec: certificateSpec(args),
        },
        { parent, dependsOn },
    );
    return { certificate };
}
