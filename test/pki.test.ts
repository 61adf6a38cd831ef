import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import "../offline/fakes/index";
import { runOffline, type OfflineRun, type RecordedResource } from "../offline/engine";
import { AcmeIssuer, validateAcmeIssuerArgs } from "../components/acmeIssuer";
import { Certificate, certificateSpec, formatGoDuration, parseGoDuration, validateCertificateArgs, type CertificateArgs } from "../components/certificate";
import { mountCertificateInPodSpec, mountCertificateInVirtualMachine } from "../components/certificateMounts";
import { CertManager, certManagerChartVersion } from "../components/certManager";
import { IntermediateCa, validateIntermediateCaArgs } from "../components/intermediateCa";
import { Reloader, reloaderChartVersion, reloadOnSecretChange } from "../components/reloader";
import { RootCa, validateRootCaArgs } from "../components/rootCa";
import { SelfSignedIssuer } from "../components/selfSignedIssuer";
import { TrustManager, trustManagerChartVersion } from "../components/trustManager";
import { pkiSchema } from "../stacks/config/pki";

const byName = (run: OfflineRun, name: string): RecordedResource => {
    const found = run.resources.find((r) => r.name === name);
    assert.ok(found, `resource ${name} not registered; have ${run.resources.map((r) => r.name).join(", ")}`);
    return found;
};

const restrictedContainer = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

describe("pki: Certificate arguments", () => {
    const base: CertificateArgs = { namespace: "payments", secretName: "api-tls", dnsNames: ["api.example.com"], issuerName: "internal-ca" };

    const bad: Array<[string, Partial<CertificateArgs>, RegExp]> = [
        ["renewBefore equal to duration", { duration: "720h", renewBefore: "720h" }, /renewBefore "720h" must be below duration "720h"/],
        ["renewBefore above duration", { duration: "24h", renewBefore: "48h" }, /renewBefore "48h" must be below duration "24h"/],
        ["RSA 1024", { privateKey: { algorithm: "RSA", size: 1024 } }, /privateKey.size 1024 is not allowed for RSA.*2048/],
        ["RSA 2047", { privateKey: { algorithm: "RSA", size: 2047 } }, /RSA below 2048 bits is refused/],
        ["no subject at all", { dnsNames: [] }, /names no subject: set commonName or at least one of dnsNames, ipAddresses, uris/],
        ["leaf above 90 days", { duration: "2161h" }, /above 90 days.*allowLongLived/],
        ["duration in days", { duration: "90d" }, /duration "90d" must be a Go duration/],
        ["duration below 1h", { duration: "30m", renewBefore: "10m" }, /at least 1h/],
        ["bad DNS name", { dnsNames: ["API.example.com"] }, /dnsNames entry "API.example.com"/],
        ["bad IP", { ipAddresses: ["10.0.0.300"] }, /ipAddresses entry "10.0.0.300"/],
        ["relative URI", { uris: ["ns/app"] }, /uris entry "ns\/app"/],
        ["unknown usage", { usages: ["server-auth"] }, /usages entry "server-auth" is not a cert-manager key usage/],
        ["cert sign on a leaf", { usages: ["cert sign"] }, /would make a leaf a CA/],
        ["ECDSA 255", { privateKey: { algorithm: "ECDSA", size: 255 } }, /not an ECDSA curve size/],
        ["unknown algorithm", { privateKey: { algorithm: "DSA" } }, /algorithm "DSA"/],
        ["JKS without password Secret", { jks: { passwordSecretName: "" } }, /jks.passwordSecretName/],
        ["revision history 0", { revisionHistoryLimit: 0 }, /revisionHistoryLimit 0/],
        ["bad issuer kind", { issuerKind: "Cluster" }, /issuerKind "Cluster"/],
        ["bad secret name", { secretName: "Api_TLS" }, /secretName "Api_TLS"/],
    ];
    for (const [label, change, expected] of bad) {
        it(`refuses ${label}`, () => {
            const problems = validateCertificateArgs({ ...base, ...change });
            assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in ${JSON.stringify(problems)}`);
        });
    }

    it("accepts the base and lists every problem at once", () => {
        assert.deepEqual(validateCertificateArgs(base), []);
        assert.deepEqual(validateCertificateArgs({ ...base, duration: "2161h", allowLongLived: true }), []);
        const problems = validateCertificateArgs({ ...base, dnsNames: [], renewBefore: "3000h", privateKey: { algorithm: "RSA", size: 1024 } });
        assert.equal(problems.length, 3, JSON.stringify(problems));
    });

    it("throws a ResourceError naming the component before registering anything", async () => {
        await assert.rejects(
            runOffline(() => {
                new Certificate("bad", { ...base, dnsNames: [], duration: "720h", renewBefore: "720h" });
                return {};
            }, { stack: "dev" }),
            /Certificate bad: .*names no subject.*renewBefore "720h" must be below duration "720h"/,
        );
    });

    it("parses and formats Go durations", () => {
        const table: Array<[string, number | undefined]> = [["2160h", 7776000], ["1h30m", 5400], ["720h0m0s", 2592000], ["90d", undefined], ["", undefined], ["0h", undefined], ["1.5h", 5400]];
        for (const [text, seconds] of table) assert.equal(parseGoDuration(text), seconds, text);
        assert.equal(formatGoDuration(2592000), "720h");
        assert.equal(formatGoDuration(5400), "90m");
    });

    it("registers the exact spec: rotated key, usages, labels, keystores", async () => {
        const run = await runOffline(() => {
            new Certificate("api", {
                ...base,
                commonName: "api.example.com",
                ipAddresses: ["10.0.0.10"],
                uris: ["spiffe://cluster.local/ns/payments/sa/api"],
                usages: ["digital signature", "server auth", "client auth"],
                privateKey: { algorithm: "RSA", size: 3072 },
                duration: "720h",
                secretLabels: { app: "api" },
                jks: { passwordSecretName: "api-keystore-password" },
                pkcs12: { passwordSecretName: "api-keystore-password", passwordSecretKey: "p12" },
                revisionHistoryLimit: 2,
            });
            return {};
        }, { stack: "dev" });
        const cert = byName(run, "api-certificate");
        assert.equal(cert.type, "kubernetes:cert-manager.io/v1:Certificate");
        assert.equal(cert.parent?.endsWith("trustmesh:index:Certificate::api"), true);
        assert.deepEqual(cert.inputs.spec, {
            secretName: "api-tls",
            secretTemplate: { labels: { "app.kubernetes.io/managed-by": "trustmesh", app: "api" } },
            commonName: "api.example.com",
            dnsNames: ["api.example.com"],
            ipAddresses: ["10.0.0.10"],
            uris: ["spiffe://cluster.local/ns/payments/sa/api"],
            duration: "720h",
            renewBefore: "240h",
            privateKey: { algorithm: "RSA", size: 3072, rotationPolicy: "Always" },
            usages: ["digital signature", "server auth", "client auth"],
            issuerRef: { name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
            keystores: {
                jks: { create: true, passwordSecretRef: { name: "api-keystore-password", key: "password" } },
                pkcs12: { create: true, passwordSecretRef: { name: "api-keystore-password", key: "p12" }, profile: "Modern2023" },
            },
            revisionHistoryLimit: 2,
        });
    });

    it("defaults to ECDSA P-256, 90 days, renewal at 30 days, server auth", () => {
        const spec = certificateSpec(base);
        assert.deepEqual(spec.privateKey, { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" });
        assert.equal(spec.duration, "2160h");
        assert.equal(spec.renewBefore, "720h");
        assert.deepEqual(spec.usages, ["digital signature", "server auth"]);
        assert.deepEqual(certificateSpec({ ...base, privateKey: { algorithm: "RSA" } }).usages, ["digital signature", "key encipherment", "server auth"]);
    });
});

describe("pki: CA components", () => {
    it("refuses weak or inconsistent CA arguments", () => {
        assert.match(validateRootCaArgs({ commonName: "r", algorithm: "RSA", rsaBits: 1024 }).join(), /rsaBits 1024 is refused/);
        assert.match(validateRootCaArgs({ commonName: "r", validityHours: 100, earlyRenewalHours: 100 }).join(), /earlyRenewalHours 100 must be below validityHours 100/);
        assert.match(validateRootCaArgs({ commonName: "r", ecdsaCurve: "P224" }).join(), /ecdsaCurve "P224"/);
        assert.match(validateIntermediateCaArgs({ clusterName: "gke", rootCertPem: "", rootPrivateKeyPem: "", validityHours: 90000, rootValidityHours: 87600 }).join(), /may not outlive its root/);
    });

    it("builds root and intermediate with CA flags, path length and usages; key material is secret", async () => {
        const run = await runOffline(() => {
            const root = new RootCa("root", { commonName: "trustmesh test root CA" });
            const gkeProvider = new k8s.Provider("gke", { context: "gke" });
            new IntermediateCa("gke-internal-ca", { clusterName: "gke", rootCertPem: root.certPem, rootPrivateKeyPem: root.privateKeyPem }, { provider: gkeProvider });
            return {};
        }, { stack: "dev" });
        const rootKey = byName(run, "root-key");
        assert.deepEqual(rootKey.inputs, { algorithm: "ECDSA", ecdsaCurve: "P384" });
        const rootCert = byName(run, "root-cert");
        assert.equal(rootCert.inputs.isCaCertificate, true);
        assert.equal(rootCert.inputs.maxPathLength, 1);
        assert.deepEqual(rootCert.inputs.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
        assert.equal(rootCert.inputs.validityPeriodHours, 87600);
        assert.equal(rootCert.inputs.earlyRenewalHours, 8760);
        assert.ok(rootCert.secretPaths.includes("privateKeyPem"), "the root key reaches the cert as a secret");
        assert.equal(rootCert.protect, false, "protect is the caller's choice");

        const inter = byName(run, "gke-internal-ca-cert");
        assert.equal(inter.type, "tls:index/locallySignedCert:LocallySignedCert");
        assert.equal(inter.inputs.isCaCertificate, true);
        assert.equal(inter.inputs.maxPathLength, 0);
        assert.equal(inter.inputs.setSubjectKeyId, true);
        assert.deepEqual(inter.inputs.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
        assert.ok(inter.secretPaths.includes("caPrivateKeyPem"));
        assert.deepEqual(byName(run, "gke-internal-ca-csr").inputs.subject, { commonName: "trustmesh gke intermediate CA", organization: "trustmesh", organizationalUnit: "gke" });

        const secret = byName(run, "gke-internal-ca-secret");
        assert.equal(secret.inputs.type, "kubernetes.io/tls");
        assert.deepEqual(secret.inputs.metadata, { name: "internal-ca", namespace: "cert-manager", labels: { "app.kubernetes.io/managed-by": "trustmesh" } });
        assert.equal(JSON.stringify(secret.inputs).includes("PRIVATE KEY"), false, "no key in the redacted inputs");
        const data = secret.rawInputs.stringData as Record<string, string>;
        assert.deepEqual(Object.keys(data).sort(), ["ca.crt", "tls.crt", "tls.key"]);
        assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), "stringData is a Pulumi secret");
        assert.equal((data["tls.crt"].match(/BEGIN CERTIFICATE/g) ?? []).length, 2, "tls.crt holds intermediate + root");
        assert.match(data["tls.key"], /BEGIN EC PRIVATE KEY/);
        assert.ok(secret.provider?.endsWith("::gke"), "the Secret goes to the cluster's provider");

        const issuer = byName(run, "gke-internal-ca-issuer");
        assert.equal(issuer.type, "kubernetes:cert-manager.io/v1:ClusterIssuer");
        assert.deepEqual(issuer.inputs.spec, { ca: { secretName: "internal-ca" } });
        assert.ok(issuer.dependencies.includes(secret.urn), "the issuer waits for its Secret");
    });
});

describe("pki: Helm releases", () => {
    it("pins cert-manager with CRDs, restricted contexts, limits and the workload identity", async () => {
        const run = await runOffline(() => {
            new CertManager("gke-cert-manager", {
                serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": "cert-manager@p.iam.gserviceaccount.com" },
                podLabels: { "azure.workload.identity/use": "true" },
            });
            return {};
        }, { stack: "dev" });
        const release = byName(run, "gke-cert-manager-release");
        assert.equal(release.type, "kubernetes:helm.sh/v3:Release");
        assert.equal(release.inputs.version, certManagerChartVersion);
        assert.equal(certManagerChartVersion, "v1.19.2");
        assert.equal(release.inputs.chart, "cert-manager");
        assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://charts.jetstack.io" });
        const values = release.inputs.values as Record<string, any>;
        assert.deepEqual(values.crds, { enabled: true, keep: true });
        assert.deepEqual(values.serviceAccount.annotations, { "iam.gke.io/gcp-service-account": "cert-manager@p.iam.gserviceaccount.com" });
        assert.deepEqual(values.podLabels, { "azure.workload.identity/use": "true" });
        for (const part of [values, values.webhook, values.cainjector, values.startupapicheck]) {
            assert.deepEqual(part.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
            assert.deepEqual(part.containerSecurityContext, restrictedContainer);
            assert.deepEqual(part.resources, { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        }
        const ns = byName(run, "gke-cert-manager-namespace");
        assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.ok(release.dependencies.includes(ns.urn));
    });

    it("pins trust-manager and publishes the root to labelled namespaces only", async () => {
        const run = await runOffline(() => {
            new TrustManager("gke-trust-manager", { rootCaCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" });
            return {};
        }, { stack: "dev" });
        const release = byName(run, "gke-trust-manager-release");
        assert.equal(release.inputs.version, trustManagerChartVersion);
        assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://charts.jetstack.io" });
        const values = release.inputs.values as Record<string, any>;
        assert.deepEqual(values.defaultPackage, { enabled: false });
        assert.deepEqual(values.secretTargets, { enabled: false });
        assert.equal(values.app.trust.namespace, "cert-manager");
        const bundle = byName(run, "gke-trust-manager-bundle");
        assert.equal(bundle.type, "kubernetes:trust.cert-manager.io/v1alpha1:Bundle");
        assert.deepEqual((bundle.inputs.spec as any).target, { configMap: { key: "root-ca.pem" }, namespaceSelector: { matchLabels: { "trustmesh.io/trust-bundle": "enabled" } } });
        assert.ok(bundle.dependencies.includes(release.urn));
    });

    it("pins Reloader with a restricted deployment", async () => {
        const run = await runOffline(() => {
            new Reloader("gke-reloader", {});
            return {};
        }, { stack: "dev" });
        const release = byName(run, "gke-reloader-release");
        assert.equal(release.inputs.version, reloaderChartVersion);
        assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://stakater.github.io/stakater-charts" });
        const reloader = (release.inputs.values as any).reloader;
        assert.equal(reloader.autoReloadAll, false);
        assert.deepEqual(reloader.deployment.containerSecurityContext, restrictedContainer);
        assert.equal(reloader.deployment.securityContext.runAsNonRoot, true);
    });
});

describe("pki: issuers", () => {
    it("self-signed bootstrap and ACME issuers with workload-identity DNS01", async () => {
        const run = await runOffline(() => {
            new SelfSignedIssuer("boot", {});
            new AcmeIssuer("gke-le", { server: "staging", email: "ops@example.com", dns01Provider: "cloudDNS", gcpProject: "trustmesh-dev", gcpDnsZone: "public-zone" });
            new AcmeIssuer("aks-le", {
                server: "production",
                email: "ops@example.com",
                dns01Provider: "azureDNS",
                azureSubscriptionId: "11111111-2222-4333-8444-555555555555",
                azureResourceGroup: "dns",
                azureDnsZone: "example.com",
                azureManagedIdentityClientId: "client-id",
                http01IngressClassName: "nginx",
            });
            return {};
        }, { stack: "dev" });
        assert.deepEqual(byName(run, "boot-issuer").inputs.spec, { selfSigned: {} });
        assert.deepEqual(byName(run, "gke-le-issuer").inputs.spec, {
            acme: {
                server: "https://acme-staging-v02.api.letsencrypt.org/directory",
                email: "ops@example.com",
                privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
                solvers: [{ dns01: { cloudDNS: { project: "trustmesh-dev", hostedZoneName: "public-zone" } } }],
            },
        });
        const aks = byName(run, "aks-le-issuer").inputs.spec as any;
        assert.equal(aks.acme.server, "https://acme-v02.api.letsencrypt.org/directory");
        assert.deepEqual(aks.acme.solvers, [
            {
                dns01: {
                    azureDNS: {
                        subscriptionID: "11111111-2222-4333-8444-555555555555",
                        resourceGroupName: "dns",
                        hostedZoneName: "example.com",
                        environment: "AzurePublicCloud",
                        managedIdentity: { clientID: "client-id" },
                    },
                },
            },
            { http01: { ingress: { ingressClassName: "nginx" } } },
        ]);
        assert.equal(JSON.stringify(aks).includes("clientSecret"), false, "no stored credentials");
    });

    it("refuses an ACME issuer without email, server or solver", () => {
        const problems = validateAcmeIssuerArgs({ server: "prod", email: "nope" });
        assert.equal(problems.length, 3, JSON.stringify(problems));
        assert.match(problems.join(), /server "prod"/);
        assert.match(problems.join(), /email "nope"/);
        assert.match(problems.join(), /no solver/);
        assert.match(validateAcmeIssuerArgs({ server: "staging", email: "a@b.co", dns01Provider: "azureDNS" }).join(), /needs azureSubscriptionId.*needs azureManagedIdentityClientId/);
    });
});

describe("pki: consumption and rotation helpers", () => {
    it("mounts a certificate read-only into the chosen containers", () => {
        const spec: { containers: Array<{ name: string; image: string; volumeMounts?: unknown[] }>; volumes?: unknown[] } = { containers: [{ name: "app", image: "x" }, { name: "side", image: "y" }] };
        const out = mountCertificateInPodSpec(spec, { secretName: "api-tls", mountPath: "/etc/tls", containerNames: ["app"] });
        assert.deepEqual(out.volumes, [{ name: "tls-api-tls", secret: { secretName: "api-tls", defaultMode: 0o400 } }]);
        assert.deepEqual(out.containers[0]?.volumeMounts, [{ name: "tls-api-tls", mountPath: "/etc/tls", readOnly: true }]);
        assert.equal(out.containers[1]?.volumeMounts, undefined);
        assert.equal(spec.volumes, undefined, "the input is not mutated");
        assert.throws(() => mountCertificateInPodSpec(spec, { secretName: "api-tls", mountPath: "etc", containerNames: ["nope"], defaultMode: 0o666 }), /mountPath "etc".*containerNames lists "nope".*defaultMode 0666/);
    });

    it("mounts a certificate into a KubeVirt VM as a secret disk with a serial (seed 000)", () => {
        const vm = { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", spec: { template: { spec: { domain: { devices: { disks: [{ name: "root", disk: { bus: "virtio" } }] } }, volumes: [{ name: "root", containerDisk: { image: "img" } }] } } } };
        const out = mountCertificateInVirtualMachine(vm, { secretName: "mongodb-cert-tls", serial: "CERTS01" });
        assert.deepEqual(out.spec.template.spec.domain.devices.disks?.[1], { name: "tls-mongodb-cert-tls", disk: {}, serial: "CERTS01" });
        assert.deepEqual(out.spec.template.spec.volumes?.[1], { name: "tls-mongodb-cert-tls", secret: { secretName: "mongodb-cert-tls" } });
        assert.throws(() => mountCertificateInVirtualMachine(vm, { secretName: "x", serial: "has space" }), /serial "has space"/);
    });

    it("annotates a workload to restart when its certificate Secret renews", () => {
        const deployment = { metadata: { name: "api", annotations: { "secret.reloader.stakater.com/reload": "db-tls", team: "a" } }, spec: {} };
        const out = reloadOnSecretChange(deployment, ["api-tls", "db-tls"]);
        assert.deepEqual((out.metadata as any).annotations, { "secret.reloader.stakater.com/reload": "db-tls,api-tls", team: "a" });
        assert.throws(() => reloadOnSecretChange({}, []), /at least one Secret/);
    });
});

describe("pki: config", () => {
    it("requires an email for ACME and both Azure DNS fields together", () => {
        assert.equal(pkiSchema.safeParse({ acme: {} }).success, false);
        const azure = pkiSchema.safeParse({ acme: { email: "a@example.com", azureDnsZone: "example.com" } });
        assert.equal(azure.success, false);
        assert.match(JSON.stringify(azure.error?.issues), /azureDnsZone and azureDnsResourceGroup go together/);
    });

    it("refuses an intermediate outliving the root and early renewal at or above validity", () => {
        const result = pkiSchema.safeParse({ root: { validityHours: 1000, earlyRenewalHours: 1000 }, intermediate: { validityHours: 2000, earlyRenewalHours: 10 } });
        assert.equal(result.success, false);
        const messages = JSON.stringify(result.error?.issues);
        assert.match(messages, /must be below validityHours 1000/);
        assert.match(messages, /may not outlive its root/);
    });
});
