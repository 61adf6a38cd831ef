import { strict as assert } from "node:assert";
import { remediate } from "../../offline/policyRunner";
import { pkiPolicies } from "../../policy/pki";
import { durationSeconds } from "../../policy/values";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const CERT = "kubernetes:cert-manager.io/v1:Certificate";
const CI = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const ISSUER = "kubernetes:cert-manager.io/v1:Issuer";
const SECRET = "kubernetes:core/v1:Secret";
const certificate = {
    metadata: { name: "gateway", namespace: "istio-system" },
    spec: {
        secretName: "gateway-credential",
        dnsNames: ["mysql.mesh.prod.example.com"],
        duration: "2160h",
        renewBefore: "720h",
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "internal-ca" },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
};
const acme = {
    metadata: { name: "letsencrypt" },
    spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "platform@example.com", privateKeySecretRef: { name: "le" }, solvers: [] } },
};
const selfSigned = subject(CI, { metadata: { name: "bootstrap" }, spec: { selfSigned: {} } });
const caIssuer = subject(CI, { metadata: { name: "internal-ca" }, spec: { ca: { secretName: "internal-ca" } } });

describe("policy: PKI (cert-manager)", () => {
    policyTable(CERT, certificate, [
        { policy: "pki-prod-certificate-issuer", path: "spec.issuerRef.name", value: "my-issuer" },
        { policy: "pki-prod-certificate-issuer", path: "spec.issuerRef.kind", value: "Issuer" },
        { policy: "pki-leaf-duration", path: "spec.duration", value: "8760h" },
        { policy: "pki-renew-before", path: "spec.renewBefore", value: "2160h" },
        { policy: "pki-renew-before", path: "spec.renewBefore", value: "1h" },
        { policy: "pki-private-key-rotation", path: "spec.privateKey.rotationPolicy", value: "Never" },
        { policy: "pki-key-size", path: "spec.privateKey", value: { algorithm: "RSA", size: 1024, rotationPolicy: "Always" } },
        { policy: "pki-key-size", path: "spec.privateKey.size", value: 224 },
        { policy: "pki-certificate-names", path: "spec.dnsNames", value: [] },
        { policy: "pki-self-signed-bootstrap-only", path: "spec.issuerRef.name", value: "bootstrap", others: [selfSigned] },
        { policy: "pki-ca-secret-namespace", path: "spec.isCA", value: true, base: { ...certificate, spec: { ...certificate.spec, isCA: false } } },
    ]);
    policyTable(CI, acme, [{ policy: "pki-acme-production-server", path: "spec.acme.server", value: "https://acme-staging-v02.api.letsencrypt.org/directory" }]);
    policyTable(SECRET, { metadata: { name: "internal-ca", namespace: "cert-manager" }, type: "kubernetes.io/tls" }, [
        { policy: "pki-ca-secret-namespace", path: "metadata.namespace", value: "payments", others: [caIssuer] },
    ]);
    policyTable(ISSUER, { metadata: { name: "ca", namespace: "cert-manager" }, spec: { ca: { secretName: "internal-ca" } } }, [
        { policy: "pki-ca-secret-namespace", path: "metadata.namespace", value: "payments" },
    ]);

    it("lets a self-signed issuer bootstrap a CA certificate in cert-manager's namespace", () => {
        const ca = { metadata: { name: "root", namespace: "cert-manager" }, spec: { isCA: true, secretName: "root", commonName: "root", issuerRef: { kind: "ClusterIssuer", name: "bootstrap" } } };
        const stack = [selfSigned, subject(CERT, ca)];
        for (const name of ["pki-self-signed-bootstrap-only", "pki-ca-secret-namespace", "pki-prod-certificate-issuer", "pki-certificate-names"]) {
            assert.deepEqual(violationsOf(name, stack), [], name);
        }
    });

    it("keeps the issuer and ACME server rules to prod", () => {
        const staging = { ...acme, spec: { acme: { ...acme.spec.acme, server: "https://acme-staging-v02.api.letsencrypt.org/directory" } } };
        assert.deepEqual(violationsOf("pki-acme-production-server", [subject(CI, staging)], { config: { environment: "dev" } }), []);
    });

    it("remediates a missing rotation policy to Always", () => {
        const { privateKey: _k, ...spec } = certificate.spec;
        const { subjects, remediations } = remediate([subject(CERT, { ...certificate, spec })], { policies: pkiPolicies });
        assert.deepEqual(remediations.map((r) => r.policy), ["pki-private-key-rotation"]);
        assert.equal(subjects[0]!.props.spec.privateKey.rotationPolicy, "Always");
    });

    it("reads Go durations", () => {
        assert.equal(durationSeconds("2160h"), 2160 * 3600);
        assert.equal(durationSeconds("1h30m"), 5400);
        assert.equal(durationSeconds("90d"), undefined);
    });

    nullSafety("pki", [CERT, CI, ISSUER, SECRET]);
});
