// Real keys and certificates for @pulumi/tls resources, so the offline plan holds a PKI that actually
// verifies (the trust proof test does mutual TLS with it). They honour their inputs: algorithm, curve and
// bits, subject, validity, CA flag, path length, key usages, SANs.
//
// Determinism (planning twice gives byte-identical JSON and manifests; certificates and CSRs are public
// values that land in inputs):
// - ECDSA and Ed25519 private keys are derived from a hash of the resource's type, name and inputs;
// - ECDSA signatures are deterministic (RFC 6979, @noble/curves), Ed25519 and RSA PKCS#1 v1.5 are by nature;
// - serial numbers are hashes, notBefore is the start of the current UTC day (valid now, same all day).
// RSA keys cannot be derived cheaply from a seed: they are generated once per process and cached by the
// same hash, so a process plans deterministically, but two processes get different RSA keys.
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from "node:crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import { fakeOutputs, type OutputFaker } from "../fakeOutputs";
import { unwrapSecrets } from "../values";

type Inputs = Record<string, unknown>;

const curves: Record<string, { node: string; jwk: string; bytes: number; hash: string; noble: typeof p256 }> = {
    P256: { node: "prime256v1", jwk: "P-256", bytes: 32, hash: "SHA-256", noble: p256 },
    P384: { node: "secp384r1", jwk: "P-384", bytes: 48, hash: "SHA-384", noble: p384 },
    P521: { node: "secp521r1", jwk: "P-521", bytes: 66, hash: "SHA-512", noble: p521 },
};

/** JSON with sorted keys, so the same inputs always hash the same. */
function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value as object)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableJson((value as Inputs)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value ?? null);
}

function seedOf(args: MockResourceArgs, ...extra: string[]): Buffer {
    return createHash("sha512").update([args.type, args.name, stableJson(args.inputs), ...extra].join("\u0000")).digest();
}

const b64url = (buf: Buffer | Uint8Array) => Buffer.from(buf).toString("base64url");

/** A valid ECDSA scalar derived from the seed (re-hashed until it lies in [1, n-1]). */
function deriveEcdsaKey(curveName: string, seed: Buffer): KeyObject {
    const curve = curves[curveName];
    if (!curve) throw new Error(`offline tls: ecdsaCurve "${curveName}" is not supported offline (use P256, P384 or P521)`);
    for (let counter = 0; ; counter++) {
        const material = Buffer.concat([createHash("sha512").update(seed).update(String(counter)).digest(), createHash("sha512").update(String(counter)).update(seed).digest()]);
        const d = material.subarray(0, curve.bytes);
        if (curveName === "P521") d[0] = (d[0] as number) & 0x01;
        const ecdh = createECDH(curve.node);
        try {
            ecdh.setPrivateKey(d);
        } catch {
            continue;
        }
        const point = ecdh.getPublicKey();
        const x = point.subarray(1, 1 + curve.bytes);
        const y = point.subarray(1 + curve.bytes);
        return createPrivateKey({ key: { kty: "EC", crv: curve.jwk, d: b64url(d), x: b64url(x), y: b64url(y) }, format: "jwk" });
    }
}

const rsaCache = new Map<string, KeyObject>();

function rsaKey(bits: number, seed: Buffer): KeyObject {
    const cacheKey = seed.toString("hex");
    let key = rsaCache.get(cacheKey);
    if (!key) {
        key = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: 65537 }).privateKey;
        rsaCache.set(cacheKey, key);
    }
    return key;
}

function ed25519Key(seed: Buffer): KeyObject {
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed.subarray(0, 32)]);
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

function sshString(data: Buffer | string): Buffer {
    const body = typeof data === "string" ? Buffer.from(data) : data;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
}

function sshMpint(data: Buffer): Buffer {
    let body = data;
    while (body.length > 1 && body[0] === 0) body = body.subarray(1);
    if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return sshString(body);
}

/** The OpenSSH public key blob (RFC 4253 / 5656 / 8709). */
function sshPublicBlob(key: KeyObject, algorithm: string, curveName: string): { type: string; blob: Buffer } {
    const jwk = createPublicKey(key).export({ format: "jwk" }) as Record<string, string>;
    if (algorithm === "RSA") {
        return { type: "ssh-rsa", blob: Buffer.concat([sshString("ssh-rsa"), sshMpint(Buffer.from(jwk.e as string, "base64url")), sshMpint(Buffer.from(jwk.n as string, "base64url"))]) };
    }
    if (algorithm === "ED25519") {
        return { type: "ssh-ed25519", blob: Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(jwk.x as string, "base64url"))]) };
    }
    const id = `nistp${curveName.slice(1)}`;
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, "base64url"), Buffer.from(jwk.y as string, "base64url")]);
    return { type: `ecdsa-sha2-${id}`, blob: Buffer.concat([sshString(`ecdsa-sha2-${id}`), sshString(id), sshString(point)]) };
}

function privateKeyOutputs(args: MockResourceArgs): Inputs {
    const algorithm = String(args.inputs.algorithm ?? "RSA");
    const curveName = String(args.inputs.ecdsaCurve ?? "P224");
    const bits = Number(args.inputs.rsaBits ?? 2048);
    const seed = seedOf(args);
    let key: KeyObject;
    if (algorithm === "ECDSA") key = deriveEcdsaKey(curveName, seed);
    else if (algorithm === "RSA") key = rsaKey(bits, seed);
    else if (algorithm === "ED25519") key = ed25519Key(seed);
    else throw new Error(`offline tls: PrivateKey ${args.name}: algorithm "${algorithm}" must be RSA, ECDSA or ED25519`);
    const pkcs8 = key.export({ type: "pkcs8", format: "pem" }) as string;
    // What the provider returns: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519.
    const pem = algorithm === "RSA" ? (key.export({ type: "pkcs1", format: "pem" }) as string) : algorithm === "ECDSA" ? (key.export({ type: "sec1", format: "pem" }) as string) : pkcs8;
    const ssh = sshPublicBlob(key, algorithm, curveName);
    const md5 = createHash("md5").update(ssh.blob).digest("hex").match(/../g)?.join(":") ?? "";
    return {
        algorithm,
        ecdsaCurve: curveName,
        rsaBits: bits,
        privateKeyPem: pem,
        privateKeyPemPkcs8: pkcs8,
        // Not produced offline: nothing in trustmesh uses the OpenSSH private key format.
        privateKeyOpenssh: "",
        publicKeyPem: createPublicKey(key).export({ type: "spki", format: "pem" }) as string,
        publicKeyOpenssh: `${ssh.type} ${ssh.blob.toString("base64")}\n`,
        publicKeyFingerprintMd5: md5,
        publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "")}`,
    };
}

/** A WebCrypto whose ECDSA signatures are RFC 6979 deterministic; everything else is Node's. */
const deterministicSubtle = new Proxy(webcrypto.subtle, {
    get(target, prop) {
        if (prop === "sign") {
            return async (algorithm: { name: string; hash?: string | { name: string } }, key: webcrypto.CryptoKey, data: ArrayBuffer | ArrayBufferView) => {
                if (algorithm.name !== "ECDSA") return target.sign(algorithm as webcrypto.AlgorithmIdentifier, key, data as ArrayBuffer);
                const jwk = await target.exportKey("jwk", key);
                const curve = Object.values(curves).find((c) => c.jwk === jwk.crv);
                if (!curve || !jwk.d) throw new Error(`offline tls: cannot sign with curve ${jwk.crv}`);
                const hashName = typeof algorithm.hash === "string" ? algorithm.hash : (algorithm.hash?.name ?? curve.hash);
                const bytes = data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
                const digest = createHash(hashName.replace("-", "").toLowerCase()).update(bytes).digest();
                // WebCrypto's ECDSA signature format is r || s, which @peculiar/x509 turns into DER.
                return curve.noble.sign(digest, Buffer.from(jwk.d, "base64url"), { prehash: false, format: "compact" }).slice().buffer;
            };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
    },
});
const deterministicCrypto = {
    subtle: deterministicSubtle,
    getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
    randomUUID: webcrypto.randomUUID.bind(webcrypto),
} as unknown as Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(deterministicCrypto);

interface Signer {
    privateKey: webcrypto.CryptoKey;
    publicKey: webcrypto.CryptoKey;
    signingAlgorithm: { name: string; hash: string };
    keyAlgorithm: string;
}

/** Imports a provider-format private key PEM into WebCrypto, with the hash Go's x509 would use. */
async function importSigner(pem: string): Promise<Signer> {
    const key = createPrivateKey(pem);
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    const subtle = webcrypto.subtle;
    if (key.asymmetricKeyType === "ec") {
        const crv = (key.export({ format: "jwk" }) as { crv: string }).crv;
        const curve = Object.values(curves).find((c) => c.jwk === crv);
        if (!curve) throw new Error(`offline tls: unsupported curve ${crv}`);
        const alg = { name: "ECDSA", namedCurve: crv };
        return {
            privateKey: await subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]),
            publicKey: await subtle.importKey("spki", spki, alg, true, ["verify"]),
            signingAlgorithm: { name: "ECDSA", hash: curve.hash },
            keyAlgorithm: "ECDSA",
        };
    }
    if (key.asymmetricKeyType === "rsa") {
        const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        return {
            privateKey: await subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]),
            publicKey: await subtle.importKey("spki", spki, alg, true, ["verify"]),
            signingAlgorithm: alg,
            keyAlgorithm: "RSA",
        };
    }
    if (key.asymmetricKeyType === "ed25519") {
        const alg = { name: "Ed25519" };
        return {
            privateKey: await subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]),
            publicKey: await subtle.importKey("spki", spki, alg, true, ["verify"]),
            signingAlgorithm: { name: "Ed25519", hash: "SHA-512" },
            keyAlgorithm: "ED25519",
        };
    }
    throw new Error(`offline tls: unsupported key type ${key.asymmetricKeyType}`);
}

/** Subject attributes in the order Go's pkix.Name writes them. */
function subjectName(subject: Inputs | undefined): x509.JsonName {
    const s = subject ?? {};
    const name: x509.JsonName = [];
    const add = (oid: string, value: unknown) => {
        if (typeof value === "string" && value) name.push({ [oid]: [value] });
    };
    add("2.5.4.6", s.country);
    add("2.5.4.8", s.province);
    add("2.5.4.7", s.locality);
    for (const street of (s.streetAddresses as string[] | undefined) ?? []) add("2.5.4.9", street);
    add("2.5.4.17", s.postalCode);
    add("2.5.4.10", s.organization);
    add("2.5.4.11", s.organizationalUnit);
    add("2.5.4.3", s.commonName);
    add("2.5.4.5", s.serialNumber);
    add("1.2.840.113549.1.9.1", s.emailAddress);
    return name;
}

const keyUsageFlags: Record<string, x509.KeyUsageFlags> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
    encipher_only: x509.KeyUsageFlags.encipherOnly,
    decipher_only: x509.KeyUsageFlags.decipherOnly,
};

const extendedKeyUsages: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/** Basic constraints, key usage and extended key usage from the provider's inputs. */
function usageExtensions(inputs: Inputs, resource: string): x509.Extension[] {
    const extensions: x509.Extension[] = [];
    const isCa = inputs.isCaCertificate === true;
    const maxPath = inputs.maxPathLength === undefined ? -1 : Number(inputs.maxPathLength);
    // Path length only on a CA, and only when given (>= 0); -1 / unset means unconstrained.
    extensions.push(new x509.BasicConstraintsExtension(isCa, isCa && maxPath >= 0 ? maxPath : undefined, true));
    let flags = 0;
    const ekus: string[] = [];
    for (const use of (inputs.allowedUses as string[] | undefined) ?? []) {
        if (use in keyUsageFlags) flags |= keyUsageFlags[use] as number;
        else if (use in extendedKeyUsages) ekus.push(extendedKeyUsages[use] as string);
        else throw new Error(`offline tls: ${resource}: allowedUses entry "${use}" is not a tls provider usage`);
    }
    if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
    if (ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
    return extensions;
}

function sanExtension(inputs: Inputs): x509.Extension[] {
    const names: x509.JsonGeneralName[] = [
        ...((inputs.dnsNames as string[] | undefined) ?? []).map((value) => ({ type: "dns" as const, value })),
        ...((inputs.ipAddresses as string[] | undefined) ?? []).map((value) => ({ type: "ip" as const, value })),
        ...((inputs.uris as string[] | undefined) ?? []).map((value) => ({ type: "url" as const, value })),
    ];
    return names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : [];
}

/** Start of the current UTC day: deterministic all day, and already valid. */
function notBeforeToday(): Date {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function validity(inputs: Inputs): { notBefore: Date; notAfter: Date } {
    const notBefore = notBeforeToday();
    const hours = Number(inputs.validityPeriodHours);
    return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3600_000) };
}

/** A positive 127-bit serial number derived from the resource. */
function serialOf(args: MockResourceArgs): string {
    const hex = seedOf(args, "serial").toString("hex").slice(0, 32);
    return ((parseInt(hex[0] as string, 16) & 0x7) | 0x1).toString(16) + hex.slice(1);
}

function pem(text: string): string {
    const normalised = text.replace(/\r\n/g, "\n");
    return normalised.endsWith("\n") ? normalised : `${normalised}\n`;
}

/** True when an input is a real PEM (not unknown during a preview). */
function isPem(value: unknown): value is string {
    return typeof value === "string" && value.startsWith("-----BEGIN");
}

function validityOutputs(notBefore: Date, notAfter: Date): Inputs {
    return {
        validityStartTime: notBefore.toISOString().replace(/\.\d{3}Z$/, "Z"),
        validityEndTime: notAfter.toISOString().replace(/\.\d{3}Z$/, "Z"),
        readyForRenewal: false,
    };
}

async function selfSignedCertOutputs(args: MockResourceArgs): Promise<Inputs> {
    if (!isPem(args.inputs.privateKeyPem)) return {};
    const signer = await importSigner(args.inputs.privateKeyPem);
    const { notBefore, notAfter } = validity(args.inputs);
    const extensions = [...usageExtensions(args.inputs, `SelfSignedCert ${args.name}`), ...sanExtension(args.inputs)];
    if (args.inputs.setSubjectKeyId === true || args.inputs.setAuthorityKeyId === true) {
        const ski = await x509.SubjectKeyIdentifierExtension.create(signer.publicKey, false, deterministicCrypto);
        if (args.inputs.setSubjectKeyId === true) extensions.push(ski);
        if (args.inputs.setAuthorityKeyId === true) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false));
    }
    const name = subjectName(args.inputs.subject as Inputs | undefined);
    const cert = await x509.X509CertificateGenerator.create(
        {
            serialNumber: serialOf(args),
            subject: name,
            issuer: name,
            notBefore,
            notAfter,
            publicKey: signer.publicKey,
            signingKey: signer.privateKey,
            signingAlgorithm: signer.signingAlgorithm,
            extensions,
        },
        deterministicCrypto,
    );
    return { certPem: pem(cert.toString("pem")), keyAlgorithm: signer.keyAlgorithm, ...validityOutputs(notBefore, notAfter) };
}

async function certRequestOutputs(args: MockResourceArgs): Promise<Inputs> {
    if (!isPem(args.inputs.privateKeyPem)) return {};
    const signer = await importSigner(args.inputs.privateKeyPem);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
        {
            name: subjectName(args.inputs.subject as Inputs | undefined),
            keys: { privateKey: signer.privateKey, publicKey: signer.publicKey },
            signingAlgorithm: signer.signingAlgorithm,
            extensions: sanExtension(args.inputs),
        },
        deterministicCrypto,
    );
    return { certRequestPem: pem(csr.toString("pem")), keyAlgorithm: signer.keyAlgorithm };
}

async function locallySignedCertOutputs(args: MockResourceArgs): Promise<Inputs> {
    const { certRequestPem, caCertPem, caPrivateKeyPem } = args.inputs;
    if (!isPem(certRequestPem) || !isPem(caCertPem) || !isPem(caPrivateKeyPem)) return {};
    const csr = new x509.Pkcs10CertificateRequest(certRequestPem);
    if (!(await csr.verify(deterministicCrypto))) throw new Error(`offline tls: LocallySignedCert ${args.name}: the CSR's signature does not verify`);
    const ca = new x509.X509Certificate(caCertPem);
    const signer = await importSigner(caPrivateKeyPem);
    const { notBefore, notAfter } = validity(args.inputs);
    // Like the provider: subject and SANs come from the CSR, constraints and usages from the inputs.
    const extensions = usageExtensions(args.inputs, `LocallySignedCert ${args.name}`);
    const san = csr.getExtension("2.5.29.17");
    if (san) extensions.push(san);
    const csrPublicKey = await csr.publicKey.export(deterministicCrypto);
    if (args.inputs.setSubjectKeyId === true) extensions.push(await x509.SubjectKeyIdentifierExtension.create(csrPublicKey, false, deterministicCrypto));
    const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension);
    if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false));
    const cert = await x509.X509CertificateGenerator.create(
        {
            serialNumber: serialOf(args),
            subject: csr.subjectName,
            issuer: ca.subjectName,
            notBefore,
            notAfter,
            publicKey: csrPublicKey,
            signingKey: signer.privateKey,
            signingAlgorithm: signer.signingAlgorithm,
            extensions,
        },
        deterministicCrypto,
    );
    return { certPem: pem(cert.toString("pem")), caKeyAlgorithm: signer.keyAlgorithm, ...validityOutputs(notBefore, notAfter) };
}

// Secret inputs (private keys) reach the mock wrapped; the fakes work on the plain values. The engine
// awaits fakers, so async ones are fine even though OutputFaker is typed synchronous.
const plainInputs = (args: MockResourceArgs): MockResourceArgs => ({ ...args, inputs: unwrapSecrets(args.inputs) as Inputs });
const faker = (fn: (args: MockResourceArgs) => Inputs | Promise<Inputs>) => ((args: MockResourceArgs) => fn(plainInputs(args))) as unknown as OutputFaker;

fakeOutputs("tls:index/privateKey:PrivateKey", faker(privateKeyOutputs));
fakeOutputs("tls:index/selfSignedCert:SelfSignedCert", faker(selfSignedCertOutputs));
fakeOutputs("tls:index/certRequest:CertRequest", faker(certRequestOutputs));
fakeOutputs("tls:index/locallySignedCert:LocallySignedCert", faker(locallySignedCertOutputs));
