import type { ResourceValidationArgs } from "@pulumi/policy";
import { isKind, metadataOf } from "./kubernetes";
import type { TrustmeshResourcePolicy, TrustmeshStackPolicy } from "./types";
import { arr, cloneData, durationSeconds, isUnknownField, obj, packConfig, packConfigSchema } from "./values";

/**
 * PKI (seeds 000 and 004): cert-manager Issuers, ClusterIssuers and Certificates
 * (`kubernetes:cert-manager.io/v1:*`, fields from the cert-manager CRDs).
 */

/** The namespace cert-manager reads ClusterIssuer secrets from (its cluster resource namespace). */
export const certManagerNamespace = "cert-manager";
/** Issuers prod certificates may come from (DESIGN.md: the internal CA and Let's Encrypt). */
export const prodIssuers = new Set(["internal-ca", "letsencrypt"]);
export const letsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory";
/** The longest leaf certificate lifetime: 90 days, Let's Encrypt's and the CA/B Forum's direction. */
export const maxLeafDurationSeconds = 90 * 24 * 3600;

const isCertificate = (type: string) => isKind(type, "cert-manager.io", "Certificate");
const isIssuer = (type: string) => isKind(type, "cert-manager.io", "Issuer") || isKind(type, "cert-manager.io", "ClusterIssuer");

function certificatePolicy(
    name: string,
    severity: TrustmeshResourcePolicy["severity"],
    description: string,
    check: (spec: Record<string, any>, report: (message: string) => void, args: ResourceValidationArgs) => void,
    extra: Partial<TrustmeshResourcePolicy> = {},
): TrustmeshResourcePolicy {
    return {
        name,
        domain: "pki",
        severity,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (isCertificate(args.type)) check(obj(args.props?.spec), reportViolation, args);
        },
        ...extra,
    };
}

export const prodCertificateIssuer = certificatePolicy(
    "pki-prod-certificate-issuer",
    "high",
    `Checks that prod certificates come from the ClusterIssuers ${[...prodIssuers].join(" or ")} (CA certificates from a bootstrap issuer excepted).`,
    (spec, report, args) => {
        if (packConfig(args.getConfig).environment !== "prod" || spec.isCA === true) return;
        const ref = obj(spec.issuerRef);
        if (isUnknownField(ref, "name")) return;
        if (ref.group !== undefined && ref.group !== "cert-manager.io") return; // external issuers (e.g. Google CAS) are judged by their own checks
        if (!prodIssuers.has(ref.name) || (ref.kind !== undefined && ref.kind !== "ClusterIssuer")) {
            report(`issuerRef is ${ref.kind ?? "Issuer"} "${ref.name ?? "<unset>"}"; prod certificates must use ClusterIssuer internal-ca (internal names) or letsencrypt (public names).`);
        }
    },
    { configSchema: packConfigSchema },
);

export const leafDuration = certificatePolicy(
    "pki-leaf-duration",
    "medium",
    "Checks that leaf certificates live at most 90 days (spec.duration ≤ 2160h).",
    (spec, report) => {
        if (spec.isCA === true || spec.duration === undefined || spec.duration === null) return;
        const seconds = durationSeconds(spec.duration);
        if (seconds === undefined) report(`spec.duration "${spec.duration}" is not a duration; write it like 2160h.`);
        else if (seconds > maxLeafDurationSeconds) report(`spec.duration is ${spec.duration}; leaf certificates must live at most 2160h (90 days).`);
    },
);

export const renewBefore = certificatePolicy(
    "pki-renew-before",
    "medium",
    "Checks that renewBefore is sane: shorter than the certificate's duration and at least a tenth of it, so renewal has time to fail and be retried.",
    (spec, report) => {
        if (spec.renewBefore === undefined || spec.renewBefore === null) {
            const pct = spec.renewBeforePercentage;
            if (typeof pct === "number" && (pct < 10 || pct >= 100)) report(`spec.renewBeforePercentage is ${pct}; use 10 to 99 (33 is cert-manager's default).`);
            return;
        }
        const before = durationSeconds(spec.renewBefore);
        const duration = durationSeconds(spec.duration ?? "2160h");
        if (before === undefined || duration === undefined) {
            report(`spec.renewBefore "${spec.renewBefore}" is not a duration; write it like 720h.`);
            return;
        }
        if (before >= duration) report(`spec.renewBefore (${spec.renewBefore}) must be shorter than spec.duration (${spec.duration ?? "2160h"}).`);
        else if (before < duration / 10) report(`spec.renewBefore (${spec.renewBefore}) leaves too little time to renew; use at least a tenth of the duration (a third is usual).`);
    },
);

function remediateRotation(args: ResourceValidationArgs): Record<string, any> | undefined {
    if (!isCertificate(args.type)) return undefined;
    const spec = obj(args.props?.spec);
    if (obj(spec.privateKey).rotationPolicy === "Always") return undefined;
    const props = cloneData(args.props);
    props.spec ??= {};
    props.spec.privateKey = { ...(props.spec.privateKey ?? {}), rotationPolicy: "Always" };
    return props;
}

export const rotationPolicy = certificatePolicy(
    "pki-private-key-rotation",
    "medium",
    "Checks that certificates get a new private key on every renewal (spec.privateKey.rotationPolicy: Always).",
    (spec, report) => {
        if (isUnknownField(obj(spec.privateKey), "rotationPolicy")) return;
        if (obj(spec.privateKey).rotationPolicy !== "Always") report("set spec.privateKey.rotationPolicy: Always so a renewal never reuses a key that may have leaked.");
    },
    { remediateResource: remediateRotation },
);

export const keySize = certificatePolicy(
    "pki-key-size",
    "high",
    "Checks that private keys are strong enough: RSA at least 2048 bits (3072 for CAs), ECDSA at least 256.",
    (spec, report) => {
        const key = obj(spec.privateKey);
        const algorithm = typeof key.algorithm === "string" ? key.algorithm : "RSA";
        const size = key.size;
        if (typeof size !== "number") return;
        if (algorithm === "RSA") {
            const min = spec.isCA === true ? 3072 : 2048;
            if (size < min) report(`spec.privateKey.size is ${size} for RSA; use at least ${min}.`);
        } else if (algorithm === "ECDSA" && size < 256) {
            report(`spec.privateKey.size is ${size} for ECDSA; use 256 or 384.`);
        }
    },
);

export const acmeProduction: TrustmeshResourcePolicy = {
    name: "pki-acme-production-server",
    domain: "pki",
    severity: "high",
    description: "Checks that prod ACME issuers use Let's Encrypt's production directory, not staging or another CA.",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        if (!isIssuer(args.type) || packConfig(args.getConfig).environment !== "prod") return;
        const acme = obj(args.props?.spec).acme;
        if (!acme || typeof acme !== "object" || isUnknownField(acme, "server")) return;
        if (acme.server !== letsEncryptProduction) reportViolation(`spec.acme.server is ${acme.server ?? "<unset>"}; prod issuers must use ${letsEncryptProduction}.`);
    },
};

/** Namespaced key of an issuer reference as cert-manager resolves it. */
function issuerKey(kind: string | undefined, name: string, namespace: string | undefined): string {
    return kind === "ClusterIssuer" ? `ClusterIssuer/${name}` : `Issuer/${namespace ?? "?"}/${name}`;
}

export const selfSignedBootstrapOnly: TrustmeshStackPolicy = {
    name: "pki-self-signed-bootstrap-only",
    domain: "pki",
    severity: "high",
    description: "Checks that self-signed issuers only bootstrap CAs: every Certificate they issue is isCA: true.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const selfSigned = new Set<string>();
        for (const r of args.resources.filter((r) => isIssuer(r.type))) {
            const metadata = metadataOf(r.props);
            if (obj(r.props?.spec).selfSigned !== undefined && typeof metadata.name === "string") {
                selfSigned.add(issuerKey(isKind(r.type, "cert-manager.io", "ClusterIssuer") ? "ClusterIssuer" : "Issuer", metadata.name, metadata.namespace));
            }
        }
        for (const r of args.resources.filter((r) => isCertificate(r.type))) {
            const spec = obj(r.props?.spec);
            const ref = obj(spec.issuerRef);
            if (typeof ref.name !== "string") continue;
            const key = issuerKey(ref.kind ?? "Issuer", ref.name, metadataOf(r.props).namespace);
            if (selfSigned.has(key) && spec.isCA !== true) {
                reportViolation(`Certificate "${metadataOf(r.props).name ?? r.name}" is issued by the self-signed issuer ${ref.name} but is not a CA; issue it from internal-ca (self-signed issuers only bootstrap CAs).`, r.urn);
            }
        }
    },
};

export const caSecretNamespace: TrustmeshStackPolicy = {
    name: "pki-ca-secret-namespace",
    domain: "pki",
    severity: "critical",
    description: `Checks that CA key material lives only in cert-manager's namespace (${certManagerNamespace}): CA Certificates, CA Issuers and the Secrets ClusterIssuers read.`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const caSecretNames = new Set<string>();
        for (const r of args.resources) {
            const metadata = metadataOf(r.props);
            const spec = obj(r.props?.spec);
            if (isKind(r.type, "cert-manager.io", "ClusterIssuer") && typeof obj(spec.ca).secretName === "string") caSecretNames.add(spec.ca.secretName);
            if (typeof metadata.namespace !== "string") continue; // unknown or cluster-scoped
            if (isCertificate(r.type) && spec.isCA === true && metadata.namespace !== certManagerNamespace) {
                reportViolation(`CA Certificate "${metadata.name ?? r.name}" writes its key to namespace ${metadata.namespace}; issue CA certificates in ${certManagerNamespace} and use a ClusterIssuer.`, r.urn);
            }
            if (isKind(r.type, "cert-manager.io", "Issuer") && spec.ca && metadata.namespace !== certManagerNamespace) {
                reportViolation(`CA Issuer "${metadata.name ?? r.name}" reads its CA key from namespace ${metadata.namespace}; use a ClusterIssuer whose Secret is in ${certManagerNamespace}.`, r.urn);
            }
        }
        for (const r of args.resources.filter((r) => isKind(r.type, "core", "Secret"))) {
            const metadata = metadataOf(r.props);
            if (typeof metadata.name === "string" && caSecretNames.has(metadata.name) && typeof metadata.namespace === "string" && metadata.namespace !== certManagerNamespace) {
                reportViolation(`CA Secret "${metadata.name}" is in namespace ${metadata.namespace}; ClusterIssuers read it from ${certManagerNamespace}, and CA keys must live nowhere else.`, r.urn);
            }
        }
    },
};

export const certificateSubject = certificatePolicy(
    "pki-certificate-names",
    "low",
    "Checks that leaf certificates name their subject in dnsNames, uris or ipAddresses (commonName alone is ignored by TLS clients).",
    (spec, report) => {
        if (spec.isCA === true) return;
        if (["dnsNames", "uris", "ipAddresses", "emailAddresses"].some((f) => isUnknownField(spec, f) || arr(spec[f]).length > 0)) return;
        report("list the certificate's names in spec.dnsNames (or uris/ipAddresses); commonName alone is not checked by clients.");
    },
    { enforcementLevel: "advisory" },
);

/** The base64 bodies of every certificate in a PEM text, so formatting differences do not matter. */
export function pemCertificates(text: string): string[] {
    return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ""));
}

const isLocallySignedCert = (type: string) => type === "tls:index/locallySignedCert:LocallySignedCert";
/** Label of a ConfigMap holding a mesh's trust anchors (istio-csr's root CA file). */
export const meshTrustAnchorsLabel = "trustmesh.io/mesh-trust-anchors";

export const trustBundleHasIssuingRoots: TrustmeshStackPolicy = {
    name: "pki-trust-bundle-issuing-roots",
    domain: "pki",
    severity: "critical",
    description:
        `Checks that every trust bundle (trust-manager Bundle inLine sources, and ConfigMaps and Secrets labelled ${meshTrustAnchorsLabel}) holds the root that issued each cluster's intermediate CA, so no cluster's certificates go untrusted (e.g. a root retired while its intermediates are in use).`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const issuingRoots = new Map<string, string[]>();
        for (const r of args.resources.filter((r) => isLocallySignedCert(r.type) && r.props?.isCaCertificate === true)) {
            if (typeof r.props.caCertPem !== "string") continue; // unknown until the root exists
            for (const body of pemCertificates(r.props.caCertPem)) issuingRoots.set(body, [...(issuingRoots.get(body) ?? []), r.name]);
        }
        if (issuingRoots.size === 0) return;
        const judge = (pem: string, what: string, urn: string) => {
            const trusted = new Set(pemCertificates(pem));
            for (const [root, intermediates] of issuingRoots) {
                if (!trusted.has(root)) reportViolation(`${what} is missing the root that issued intermediate ${intermediates.join(", ")}; keep that root in the bundle until no intermediate it signed is in use.`, urn);
            }
        };
        for (const r of args.resources.filter((r) => isKind(r.type, "trust.cert-manager.io", "Bundle"))) {
            const sources = arr(obj(r.props?.spec).sources);
            if (sources.some((source) => obj(source).inLine === undefined || typeof source.inLine !== "string")) continue; // other sources: not visible here
            judge(sources.map((source) => source.inLine as string).join("\n"), `trust-manager Bundle "${metadataOf(r.props).name ?? r.name}"`, r.urn);
        }
        const isAnchorStore = (type: string) => isKind(type, "core", "ConfigMap") || isKind(type, "core", "Secret");
        for (const r of args.resources.filter((r) => isAnchorStore(r.type) && obj(metadataOf(r.props).labels)[meshTrustAnchorsLabel] === "true")) {
            const data = [...Object.values(obj(r.props?.data)), ...Object.values(obj(r.props?.stringData))];
            if (data.some((value) => typeof value !== "string")) continue;
            const kindName = isKind(r.type, "core", "Secret") ? "Secret" : "ConfigMap";
            // A Secret's data is base64: decode before looking for certificates.
            const text = data.map((value) => (kindName === "Secret" && obj(r.props?.data) && Object.values(obj(r.props?.data)).includes(value) ? Buffer.from(value as string, "base64").toString("utf8") : (value as string)));
            judge(text.join("\n"), `mesh trust anchors ${kindName} "${metadataOf(r.props).name ?? r.name}"`, r.urn);
        }
    },
};

export const pkiPolicies = [prodCertificateIssuer, acmeProduction, leafDuration, renewBefore, rotationPolicy, keySize, certificateSubject, selfSignedBootstrapOnly, caSecretNamespace, trustBundleHasIssuingRoots];
