// Offline trust proof: the root and intermediates the program builds (real keys and certificates from
// the offline tls fakes) verify in a real mutual-TLS handshake on 127.0.0.1, and only they do.
import { strict as assert } from "node:assert";
import { createPrivateKey, webcrypto } from "node:crypto";
import type { AddressInfo } from "node:net";
import * as tlsNode from "node:tls";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import "../offline/fakes/index";
import * as x509 from "@peculiar/x509";
import { runOffline, type OfflineRun } from "../offline/engine";
import { planStack } from "../offline/plan";
import { RootCa } from "../components/rootCa";
import { plannedStack, prodWithRotation } from "./helpers/plans";
import type { PlanResult } from "../offline/plan";

interface Ca {
    certPem: string;
    keyPem: string;
    /** PEM chain to send with a leaf (the CA's own certificate, and its parents below the root). */
    chainPem: string;
}

interface Leaf {
    certPem: string;
    keyPem: string;
}

async function importKey(pem: string) {
    const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
    const ec = createPrivateKey(pem).export({ format: "jwk" }) as { crv: string };
    return webcrypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: ec.crv }, true, ["sign"]);
}

/**
 * Signs a leaf as cert-manager would: fresh P-256 key, SANs, server or client auth, chain to the CA. A
 * `spiffe` identity makes it a mesh workload certificate as istio-csr issues it: the SPIFFE URI SAN and
 * both usages (a sidecar is client and server).
 */
async function signLeaf(ca: Ca, commonName: string, usage: "server" | "client" | "workload", spiffe?: string, dnsNames: string[] = ["localhost"]): Promise<Leaf> {
    const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const caCert = new x509.X509Certificate(ca.certPem);
    const caKey = await importKey(ca.keyPem);
    const caCurve = (createPrivateKey(ca.keyPem).export({ format: "jwk" }) as { crv: string }).crv;
    const now = Date.now();
    const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: "0" + Math.floor(Math.random() * 1e15).toString(16),
        subject: `CN=${commonName}`,
        issuer: caCert.subjectName,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 3600_000),
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm: { name: "ECDSA", hash: caCurve === "P-384" ? "SHA-384" : "SHA-256" },
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension(
                usage === "workload" ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
            ),
            new x509.SubjectAlternativeNameExtension([...dnsNames.map((value) => ({ type: "dns" as const, value })), { type: "ip", value: "127.0.0.1" }, ...(spiffe ? [{ type: "url" as const, value: spiffe }] : [])]),
            ...(ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] : []),
        ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
    return { certPem: cert.toString("pem") + "\n" + ca.chainPem, keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n` };
}

interface HandshakeResult {
    ok: boolean;
    /** Why the server refused the client, or the client the server. */
    error?: string;
}

/**
 * One mTLS exchange on 127.0.0.1: the server requires a client certificate; both trust only `rootPem`
 * (one or more roots). With `allowedPrincipal`, the server then admits only a client whose certificate
 * carries that SPIFFE identity, as an Istio AuthorizationPolicy on `principals` does.
 */
async function mtls(server: Leaf, client: Leaf | undefined, rootPem: string, clientRootPem = rootPem, allowedPrincipal?: string, servername = "localhost"): Promise<HandshakeResult> {
    // The server requests a client certificate and OpenSSL verifies it against `rootPem`; the verdict
    // (socket.authorized / authorizationError) is read explicitly, so a failure says why.
    const srv = tlsNode.createServer({ key: server.keyPem, cert: server.certPem, ca: [rootPem], requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.3" }, (socket) => {
        if (!socket.getPeerCertificate()?.raw) socket.end("rejected: no client certificate");
        else if (socket.authorized && allowedPrincipal !== undefined && !(socket.getPeerCertificate().subjectaltname ?? "").split(", ").includes(`URI:spiffe://${allowedPrincipal}`)) {
            socket.end(`rejected: principal ${(socket.getPeerCertificate().subjectaltname ?? "").split(", ").find((san) => san.startsWith("URI:")) ?? "none"} is not ${allowedPrincipal}`);
        } else if (socket.authorized) socket.end("ok");
        else socket.end(`rejected: ${String(socket.authorizationError ?? "no client certificate")}`);
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const port = (srv.address() as AddressInfo).port;
    try {
        return await new Promise<HandshakeResult>((resolve) => {
            let data = "";
            const socket = tlsNode.connect({ host: "127.0.0.1", port, servername, ca: [clientRootPem], ...(client ? { key: client.keyPem, cert: client.certPem } : {}) });
            socket.setEncoding("utf8");
            socket.on("data", (chunk) => (data += chunk));
            socket.on("error", (error) => resolve({ ok: false, error: `client refused the server: ${error.message}` }));
            socket.on("close", () => resolve(data === "ok" ? { ok: true } : { ok: false, error: `server ${data || "closed the connection"}` }));
        });
    } finally {
        await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
}

/** The intermediate CA as cert-manager sees it: the `internal-ca` Secret of a cluster in the plan. */
function intermediateFromPlan(run: OfflineRun, cluster: "gke" | "aks"): Ca {
    const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === `${cluster}-internal-ca-secret`);
    assert.ok(secret, `no ${cluster}-internal-ca-secret in the plan`);
    const data = secret.rawInputs.stringData as Record<string, string>;
    const chain = data["tls.crt"] as string;
    const first = chain.slice(0, chain.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length) + "\n";
    return { certPem: first, keyPem: data["tls.key"] as string, chainPem: first };
}

/** Runs the CA pieces with one change, to show the proof fails when the chain is wrong. */
async function variantIntermediate(mode: "valid" | "not-ca" | "foreign-root"): Promise<{ root: string; intermediate: Ca }> {
    const run = await runOffline(() => {
        const root = new RootCa("root", { commonName: "trustmesh proof root CA" });
        const foreign = new RootCa("foreign", { commonName: "someone else's root CA" });
        const key = new tls.PrivateKey("bad-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
        const csr = new tls.CertRequest("bad-csr", { privateKeyPem: key.privateKeyPem, subject: { commonName: "bad intermediate", organization: "trustmesh" } });
        const signer = mode === "foreign-root" ? foreign : root;
        const cert = new tls.LocallySignedCert("bad-cert", {
            certRequestPem: csr.certRequestPem,
            caCertPem: signer.certPem,
            caPrivateKeyPem: signer.privateKeyPem,
            isCaCertificate: mode !== "not-ca",
            maxPathLength: 0,
            setSubjectKeyId: true,
            allowedUses: mode === "not-ca" ? ["digital_signature", "key_encipherment", "server_auth"] : ["cert_signing", "crl_signing", "digital_signature"],
            validityPeriodHours: 1000,
        });
        return { root: root.certPem, cert: cert.certPem, key: pulumi.unsecret(key.privateKeyPem) };
    }, { stack: "dev" });
    const cert = run.outputs.cert as string;
    return { root: run.outputs.root as string, intermediate: { certPem: cert, keyPem: run.outputs.key as string, chainPem: cert } };
}

describe("pki: offline trust proof (real mTLS on 127.0.0.1)", function () {
    this.timeout(300_000);
    let root: string;
    let gke: Ca;
    let aks: Ca;
    let server: Leaf;
    let client: Leaf;

    before(async () => {
        const plan = await plannedStack("dev");
        root = plan.run.outputs.rootCaCertificate as string;
        assert.match(root, /^-----BEGIN CERTIFICATE-----/);
        gke = intermediateFromPlan(plan.run, "gke");
        aks = intermediateFromPlan(plan.run, "aks");
        server = await signLeaf(gke, "mysql.gke.trustmesh.internal", "server");
        client = await signLeaf(aks, "mysql-client.aks.trustmesh.internal", "client");
    });

    it("the plan's intermediates are CAs with path length 0, signed by the root", async () => {
        const rootCert = new x509.X509Certificate(root);
        for (const ca of [gke, aks]) {
            const cert = new x509.X509Certificate(ca.certPem);
            const bc = cert.getExtension(x509.BasicConstraintsExtension);
            assert.equal(bc?.ca, true);
            assert.equal(bc?.pathLength, 0);
            const ku = cert.getExtension(x509.KeyUsagesExtension);
            assert.ok(ku && ku.usages & x509.KeyUsageFlags.keyCertSign && ku.usages & x509.KeyUsageFlags.cRLSign);
            assert.equal(cert.issuer, rootCert.subject);
            assert.ok(await cert.verify({ publicKey: rootCert.publicKey, signatureOnly: true }));
        }
        assert.notEqual(gke.certPem, aks.certPem, "one intermediate per cluster");
    });

    it("mutual TLS succeeds when both sides trust the environment root (GKE server, AKS client)", async () => {
        assert.deepEqual(await mtls(server, client, root), { ok: true });
    });

    it("seed 000: the MongoDB VM's server certificate and its client Job's both chain to the root the trust-manager bundle publishes (staging)", async () => {
        const staging = await plannedStack("staging");
        const of = (type: string) => staging.run.resources.filter((r) => r.type === type);
        const bundle = of("kubernetes:trust.cert-manager.io/v1alpha1:Bundle").find((r) => r.name.startsWith("gke-"));
        const bundleRoots = ((bundle?.rawInputs.spec as { sources: Array<{ inLine?: string }> }).sources ?? []).map((source) => source.inLine ?? "").join("\n");
        assert.ok(bundleRoots.includes((staging.run.outputs.rootCaCertificate as string).trim()), "the bundle does not carry the environment root");
        const vm = of("kubernetes:kubevirt.io/v1:VirtualMachine")[0]!.inputs as Record<string, any>;
        const job = of("kubernetes:batch/v1:Job")[0]!.inputs as Record<string, any>;
        const certificateFor = (secretName: string, namespace: string) =>
            of("kubernetes:cert-manager.io/v1:Certificate").map((r) => r.inputs as Record<string, any>).find((c) => c.spec.secretName === secretName && c.metadata.namespace === namespace);
        const serverSpec = certificateFor(vm.spec.template.spec.volumes.find((v: any) => v.secret).secret.secretName, vm.metadata.namespace)?.spec;
        const clientSpec = certificateFor(job.spec.template.spec.volumes.find((v: any) => v.secret).secret.secretName, job.metadata.namespace)?.spec;
        assert.ok(serverSpec && clientSpec, "the VM's disk or the Job's volume is not a Certificate's Secret");
        assert.equal(serverSpec.issuerRef.name, "internal-ca");
        assert.equal(clientSpec.issuerRef.name, "internal-ca");

        // What cert-manager's internal-ca on gke issues for those two specs, then the handshake mongosh does.
        const ca = intermediateFromPlan(staging.run, "gke");
        const mongod = await signLeaf(ca, serverSpec.commonName, "server", undefined, serverSpec.dnsNames);
        const mongosh = await signLeaf(ca, clientSpec.commonName, "client", undefined, []);
        const host = (serverSpec.dnsNames as string[]).find((name) => name.endsWith(".svc.cluster.local"))!;
        assert.ok((job.spec.template.spec.containers[0].command as string[]).join(" ").includes(`--host ${host}`), "the Job dials another name than the certificate's");
        assert.deepEqual(await mtls(mongod, mongosh, bundleRoots, bundleRoots, undefined, host), { ok: true });
        // A server certificate without the Service's name is refused, chain or not.
        const elsewhere = await signLeaf(ca, "elsewhere", "server", undefined, ["elsewhere.example.internal"]);
        assert.equal((await mtls(elsewhere, mongosh, bundleRoots, bundleRoots, undefined, host)).ok, false);
    });

    it("fails when the client presents no certificate", async () => {
        const result = await mtls(server, undefined, root);
        assert.equal(result.ok, false);
        assert.equal(result.error, "server rejected: no client certificate");
    });

    it("fails when the client's certificate comes from a foreign CA", async () => {
        const foreign = await variantIntermediate("foreign-root");
        const stranger = await signLeaf(foreign.intermediate, "intruder", "client");
        const result = await mtls(server, stranger, root);
        assert.equal(result.ok, false);
        assert.equal(result.error, "server rejected: UNABLE_TO_GET_ISSUER_CERT_LOCALLY");
    });

    it("fails when the server does not chain to the root the client trusts", async () => {
        const foreign = await variantIntermediate("foreign-root");
        const result = await mtls(server, client, root, foreign.root);
        assert.equal(result.ok, false);
        assert.equal(result.error, "client refused the server: unable to get local issuer certificate");
    });

    it("fails when an intermediate is not a CA", async () => {
        const notCa = await variantIntermediate("not-ca");
        assert.equal(new x509.X509Certificate(notCa.intermediate.certPem).getExtension(x509.BasicConstraintsExtension)?.ca, false);
        const leaf = await signLeaf(notCa.intermediate, "client-from-non-ca", "client");
        // The non-CA certificate is signed by the very root the server trusts: only the CA flag is wrong.
        const result = await mtls(server, leaf, notCa.root, root);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /^server rejected: /);
        // Control: the same flow with the CA flag set is accepted, so the CA flag alone made the difference.
        const valid = await variantIntermediate("valid");
        assert.equal(valid.root, notCa.root, "deterministic: the same proof root in both runs");
        assert.deepEqual(await mtls(server, await signLeaf(valid.intermediate, "client-from-ca", "client"), valid.root, root), { ok: true });
    });

    it("the offline PKI is deterministic: same root and intermediates on a second plan", async () => {
        const again = await planStack({ stack: "dev" });
        assert.equal(again.run.outputs.rootCaCertificate, root);
        assert.equal(intermediateFromPlan(again.run, "gke").certPem, gke.certPem);
        assert.equal(intermediateFromPlan(again.run, "aks").keyPem, aks.keyPem);
    });
});

/** A cluster's mesh trust anchors as istio-csr gets them: its ConfigMap in the plan. */
function meshTrustAnchors(plan: PlanResult, cluster: "gke" | "aks"): string {
    const anchors = plan.run.resources.find((r) => r.name === `${cluster}-istio-istio-csr-trust-anchors`);
    assert.ok(anchors, `no ${cluster} mesh trust anchors in the plan`);
    return (anchors.inputs.data as Record<string, string>)["root-cas.pem"]!;
}

/** The SPIFFE trust domain istio-csr issues under on a cluster. */
function trustDomain(plan: PlanResult, cluster: "gke" | "aks"): string {
    const release = plan.run.resources.find((r) => r.name === `${cluster}-istio-istio-csr-release`);
    return (release!.inputs.values as any).app.tls.trustDomain as string;
}

describe("mesh: workload identities of both meshes through the shared root (real mTLS on 127.0.0.1)", function () {
    this.timeout(300_000);
    let plan: PlanResult;
    let gkeWorkload: Leaf;
    let aksWorkload: Leaf;
    let gkeId: string;
    let aksId: string;

    before(async () => {
        plan = await plannedStack("prod");
        gkeId = `${trustDomain(plan, "gke")}/ns/mysql-client/sa/default`;
        aksId = `${trustDomain(plan, "aks")}/ns/mysql/sa/mysql`;
        // As istio-csr issues them: signed by each cluster's own intermediate, identity in the URI SAN.
        gkeWorkload = await signLeaf(intermediateFromPlan(plan.run, "gke"), "gke workload", "workload", `spiffe://${gkeId}`);
        aksWorkload = await signLeaf(intermediateFromPlan(plan.run, "aks"), "aks workload", "workload", `spiffe://${aksId}`);
    });

    it("a GKE workload and an AKS workload verify each other, each trusting its own mesh's anchors", async () => {
        assert.notEqual(trustDomain(plan, "gke"), trustDomain(plan, "aks"));
        // GKE serves, AKS calls: the server trusts GKE's anchors, the client AKS's; and the other way round.
        assert.deepEqual(await mtls(gkeWorkload, aksWorkload, meshTrustAnchors(plan, "gke"), meshTrustAnchors(plan, "aks"), aksId), { ok: true });
        assert.deepEqual(await mtls(aksWorkload, gkeWorkload, meshTrustAnchors(plan, "aks"), meshTrustAnchors(plan, "gke"), gkeId), { ok: true });
    });

    it("an identity of the other mesh that policy does not name is refused after the handshake", async () => {
        const other = await signLeaf(intermediateFromPlan(plan.run, "aks"), "aks other", "workload", `spiffe://${trustDomain(plan, "aks")}/ns/payments/sa/default`);
        const result = await mtls(gkeWorkload, other, meshTrustAnchors(plan, "gke"), meshTrustAnchors(plan, "aks"), aksId);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /^server rejected: principal URI:spiffe:\/\/aks\.prod\.westeurope\/ns\/payments\/sa\/default is not /);
    });

    it("a workload leaf from a foreign root is refused by the mesh", async () => {
        const foreign = await variantIntermediate("foreign-root");
        const stranger = await signLeaf(foreign.intermediate, "intruder", "workload", `spiffe://${aksId}`);
        const result = await mtls(gkeWorkload, stranger, meshTrustAnchors(plan, "gke"), meshTrustAnchors(plan, "aks"), aksId);
        assert.equal(result.ok, false);
        assert.equal(result.error, "server rejected: UNABLE_TO_GET_ISSUER_CERT_LOCALLY");
    });

    describe("root rotation", () => {
        let phase1: PlanResult;
        let phase2: PlanResult;
        let phase3: PlanResult;
        before(async () => {
            phase1 = await prodWithRotation(1, 0);
            phase2 = await prodWithRotation(2, 1);
            phase3 = await prodWithRotation(3, 2);
        });

        it("phase 1: leaves from the old chain and from the new chain both verify, on both meshes", async () => {
            const oldGke = await signLeaf(intermediateFromPlan(phase1.run, "gke"), "old gke", "workload", `spiffe://${gkeId}`);
            const newAks = await signLeaf(intermediateFromPlan(phase2.run, "aks"), "new aks", "workload", `spiffe://${aksId}`);
            const oldAks = await signLeaf(intermediateFromPlan(phase1.run, "aks"), "old aks", "workload", `spiffe://${aksId}`);
            const newGke = await signLeaf(intermediateFromPlan(phase2.run, "gke"), "new gke", "workload", `spiffe://${gkeId}`);
            assert.notEqual(intermediateFromPlan(phase1.run, "aks").certPem, intermediateFromPlan(phase2.run, "aks").certPem, "phase 2 re-issued the intermediate");
            for (const [server, client] of [[oldGke, newAks], [newGke, oldAks], [oldGke, oldAks], [newGke, newAks]] as const) {
                assert.deepEqual(await mtls(server, client, meshTrustAnchors(phase1, "gke"), meshTrustAnchors(phase1, "aks")), { ok: true });
            }
        });

        it("after phase 3, a leaf of the old chain is refused and the new chain verifies", async () => {
            const newGke = await signLeaf(intermediateFromPlan(phase3.run, "gke"), "new gke", "workload", `spiffe://${gkeId}`);
            const newAks = await signLeaf(intermediateFromPlan(phase3.run, "aks"), "new aks", "workload", `spiffe://${aksId}`);
            const oldAks = await signLeaf(intermediateFromPlan(phase1.run, "aks"), "old aks", "workload", `spiffe://${aksId}`);
            assert.deepEqual(await mtls(newGke, newAks, meshTrustAnchors(phase3, "gke"), meshTrustAnchors(phase3, "aks")), { ok: true });
            const refused = await mtls(newGke, oldAks, meshTrustAnchors(phase3, "gke"), meshTrustAnchors(phase3, "aks"));
            assert.equal(refused.ok, false);
            assert.equal(refused.error, "server rejected: UNABLE_TO_GET_ISSUER_CERT_LOCALLY");
        });
    });
});
