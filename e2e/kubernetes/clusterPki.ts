import "reflect-metadata"; // @peculiar/x509 resolves its ASN.1 types through decorators
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/**
 * The certificates one local API server needs, made fresh for every run (never written outside the
 * run's own folder): a cluster CA and the API server's serving certificate for 127.0.0.1/localhost,
 * the service-account token signing key pair, and client certificates (admin in `system:masters`,
 * the controller manager) from the run's client CA, which both local clusters trust, as one
 * identity provider serves both real clusters' users.
 */
export interface ClusterPki {
    caCertPem: string;
    caKeyPem: string;
    /** The CA client certificates chain to (`--client-ca-file`). */
    clientCaCertPem: string;
    servingCertPem: string;
    servingKeyPem: string;
    adminCertPem: string;
    adminKeyPem: string;
    controllerManagerCertPem: string;
    controllerManagerKeyPem: string;
    serviceAccountPublicKeyPem: string;
    serviceAccountPrivateKeyPem: string;
}

// Passed explicitly: the offline engine installs a deterministic provider globally for its fakes.
const crypto = webcrypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const ecdsa = { name: "ECDSA", namedCurve: "P-256" } as const;
const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" } as const;

async function newKeyPair(): Promise<CryptoKeyPair> {
    return (await webcrypto.subtle.generateKey(ecdsa, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
    return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
    return x509.PemConverter.encode(await webcrypto.subtle.exportKey("spki", key), "PUBLIC KEY");
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
    const notBefore = new Date(Date.now() - 60_000); // a minute back, for clock skew between processes
    return { notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000) };
}

async function leaf(
    ca: { cert: x509.X509Certificate; keys: CryptoKeyPair },
    subject: string,
    usage: "server" | "client",
    sans: x509.JsonGeneralName[] = [],
): Promise<{ certPem: string; keyPem: string }> {
    const keys = await newKeyPair();
    const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, crypto),
    ];
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
    const cert = await x509.X509CertificateGenerator.create(
        { subject, issuer: ca.cert.subject, publicKey: keys.publicKey, signingKey: ca.keys.privateKey, signingAlgorithm, extensions, ...validity(2) },
        crypto,
    );
    return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A CA of the run: self-signed, may sign leaves only, valid for two days. */
export interface E2eCa {
    cert: x509.X509Certificate;
    keys: CryptoKeyPair;
}

async function createCa(commonName: string): Promise<E2eCa> {
    const keys = await newKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
        {
            name: `CN=${commonName}`,
            keys,
            signingAlgorithm,
            extensions: [
                new x509.BasicConstraintsExtension(true, 0, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
                await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
            ],
            ...validity(2),
        },
        crypto,
    );
    return { cert, keys };
}

/** The run's client CA: every local cluster trusts the client certificates it signs. */
export function createClientCa(): Promise<E2eCa> {
    return createCa("trustmesh-e2e client CA");
}

/** A client certificate from the client CA, for `subject` (e.g. `CN=admin, O=system:masters`). */
export async function clientCertificate(clientCa: E2eCa, subject: string): Promise<{ certPem: string; keyPem: string }> {
    return leaf(clientCa, subject, "client");
}

/** Creates the certificates of the local cluster `cluster` (a name for the subjects only). */
export async function createClusterPki(cluster: string, clientCa: E2eCa): Promise<ClusterPki> {
    const ca = await createCa(`trustmesh-e2e ${cluster} cluster CA`);
    const serving = await leaf(ca, "CN=kube-apiserver", "server", [
        { type: "ip", value: "127.0.0.1" },
        { type: "dns", value: "localhost" },
        { type: "dns", value: "kubernetes.default.svc" },
    ]);
    // system:masters is the bootstrap superuser group: what a cluster admin's kubeconfig carries.
    const admin = await clientCertificate(clientCa, "CN=trustmesh-e2e-admin, O=system:masters");
    // The controller-manager's own identity; its RBAC role is bootstrapped by the API server.
    const controllerManager = await clientCertificate(clientCa, "CN=system:kube-controller-manager");
    const serviceAccount = await newKeyPair();
    return {
        caCertPem: ca.cert.toString("pem"),
        caKeyPem: await privateKeyPem(ca.keys.privateKey),
        clientCaCertPem: clientCa.cert.toString("pem"),
        servingCertPem: serving.certPem,
        servingKeyPem: serving.keyPem,
        adminCertPem: admin.certPem,
        adminKeyPem: admin.keyPem,
        controllerManagerCertPem: controllerManager.certPem,
        controllerManagerKeyPem: controllerManager.keyPem,
        serviceAccountPublicKeyPem: await publicKeyPem(serviceAccount.publicKey),
        serviceAccountPrivateKeyPem: await privateKeyPem(serviceAccount.privateKey),
    };
}
