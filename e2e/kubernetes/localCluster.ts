import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { createClientCa, createClusterPki, type ClusterPki, type E2eCa } from "./clusterPki";
import { KubeClient } from "./kubeClient";
import { freePort, portInUse, startProcess, stopProcess, type StartedProcess } from "./processes";

/** The binaries a local cluster runs, built by `npm run e2e:setup`. */
export interface KubernetesBinaries {
    kubeApiserver: string;
    kubeControllerManager: string;
    etcd: string;
}

/**
 * A local cluster: etcd, a kube-apiserver and a kube-controller-manager on 127.0.0.1, standing for
 * one of the environment's clusters. No kubelet, no scheduler, no container runtime: objects are
 * stored, defaulted, validated and admitted, controllers reconcile them (namespaces finalize,
 * ServiceAccounts and ReplicaSets appear, quotas are counted), and no pod ever runs.
 */
export interface LocalCluster {
    /** The environment's cluster key it stands for: `gke` or `aks`. */
    name: string;
    /** `https://127.0.0.1:<port>` */
    server: string;
    /** The cluster CA that signed the API server's serving certificate (PEM). */
    caCertPem: string;
    /** gitVersion the API server reports. */
    version: string;
    /** Seconds from starting etcd to the API server answering /readyz. */
    startSeconds: number;
    /** An admin kubeconfig (cluster CA, client certificate in system:masters), context named after the cluster. */
    kubeconfig: string;
    kubeconfigPath: string;
    client: KubeClient;
    /** Ports the cluster's processes listen on (for the check that they are all released). */
    ports: number[];
    stop(): Promise<void>;
}

function kubeconfigFor(name: string, server: string, pki: ClusterPki, user: string, certPem: string, keyPem: string): string {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server, "certificate-authority-data": b64(pki.caCertPem) } }],
        users: [{ name: user, user: { "client-certificate-data": b64(certPem), "client-key-data": b64(keyPem) } }],
        contexts: [{ name, context: { cluster: name, user } }],
        "current-context": name,
    });
}

async function waitFor(what: string, check: () => Promise<boolean>, processes: StartedProcess[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        for (const p of processes) {
            if (p.child.exitCode !== null || p.child.signalCode !== null) {
                const tail = readFileSync(p.logFile, "utf8").split("\n").slice(-15).join("\n");
                throw new Error(`${p.name} exited while waiting for ${what}; last lines of ${p.logFile}:\n${tail}`);
            }
        }
        if (await check().catch(() => false)) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
}

/**
 * Starts a local cluster named `name` with its data, certificates and logs under `workDir/<name>`.
 * If any part fails to start, what did start is stopped before the error is thrown.
 */
export async function startLocalCluster(name: string, binaries: KubernetesBinaries, workDir: string, clientCa: E2eCa): Promise<LocalCluster> {
    const dir = path.join(workDir, name);
    mkdirSync(path.join(dir, "etcd"), { recursive: true, mode: 0o700 });
    const pki = await createClusterPki(name, clientCa);
    const file = (fileName: string, content: string) => {
        const target = path.join(dir, fileName);
        writeFileSync(target, content, { mode: 0o600 });
        return target;
    };
    const caFile = file("ca.crt", pki.caCertPem);
    const clientCaFile = file("client-ca.crt", pki.clientCaCertPem);
    const servingCert = file("apiserver.crt", pki.servingCertPem);
    const servingKey = file("apiserver.key", pki.servingKeyPem);
    const saPub = file("service-account.pub", pki.serviceAccountPublicKeyPem);
    const saKey = file("service-account.key", pki.serviceAccountPrivateKeyPem);

    const [etcdClientPort, etcdPeerPort, apiPort, controllerManagerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = kubeconfigFor(name, server, pki, "admin", pki.adminCertPem, pki.adminKeyPem);
    const kubeconfigPath = file("admin.kubeconfig", kubeconfig);
    const controllerManagerKubeconfig = file(
        "controller-manager.kubeconfig",
        kubeconfigFor(name, server, pki, "system:kube-controller-manager", pki.controllerManagerCertPem, pki.controllerManagerKeyPem),
    );
    const client = new KubeClient({ server, caCertPem: pki.caCertPem, clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem });

    const started: StartedProcess[] = [];
    const stopAll = async () => {
        client.close();
        // Reverse order: controllers, then the API server, then its storage.
        for (const p of [...started].reverse()) await stopProcess(p);
    };
    const startedAt = Date.now();
    try {
        // etcd speaks plain HTTP on loopback only, as Kubernetes' own integration tests run it.
        const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
        const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
        started.push(
            startProcess("etcd", binaries.etcd, [
                "--name", name,
                "--data-dir", path.join(dir, "etcd"),
                "--listen-client-urls", etcdUrl,
                "--advertise-client-urls", etcdUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", `${name}=${peerUrl}`,
                "--log-level", "warn",
            ], path.join(dir, "etcd.log"), dir),
        );
        started.push(
            startProcess("kube-apiserver", binaries.kubeApiserver, [
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                // The `kubernetes` Service's endpoints may not be loopback; nothing here runs pods that would call it.
                "--endpoint-reconciler-type=none",
                `--secure-port=${apiPort}`,
                `--etcd-servers=${etcdUrl}`,
                `--tls-cert-file=${servingCert}`,
                `--tls-private-key-file=${servingKey}`,
                `--client-ca-file=${clientCaFile}`,
                "--anonymous-auth=false",
                "--authorization-mode=RBAC",
                // PodSecurity is in the default set already; named so that dropping it is a visible change.
                "--enable-admission-plugins=PodSecurity,NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota",
                // As on GKE and AKS: privileged pods are allowed by the API, so refusing one is Pod Security's doing.
                "--allow-privileged=true",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                `--service-account-key-file=${saPub}`,
                `--service-account-signing-key-file=${saKey}`,
                "--service-cluster-ip-range=10.96.0.0/16",
                "--profiling=false",
            ], path.join(dir, "kube-apiserver.log"), dir),
        );
        await waitFor(`${name} API server /readyz`, async () => (await client.request("GET", "/readyz")).status === 200, started, 180_000);
        const startSeconds = (Date.now() - startedAt) / 1000;
        started.push(
            startProcess("kube-controller-manager", binaries.kubeControllerManager, [
                "--bind-address=127.0.0.1",
                `--secure-port=${controllerManagerPort}`,
                `--kubeconfig=${controllerManagerKubeconfig}`,
                `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
                `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
                `--root-ca-file=${caFile}`,
                `--service-account-private-key-file=${saKey}`,
                "--use-service-account-credentials=true", // each controller acts as its own ServiceAccount, as on a real control plane
                "--leader-elect=false",
                "--profiling=false",
            ], path.join(dir, "kube-controller-manager.log"), dir),
        );
        const version = String((await client.request("GET", "/version")).body.gitVersion ?? "unknown");
        return {
            name,
            server,
            caCertPem: pki.caCertPem,
            version,
            startSeconds,
            kubeconfig,
            kubeconfigPath,
            client,
            ports: [etcdClientPort, etcdPeerPort, apiPort, controllerManagerPort],
            stop: stopAll,
        };
    } catch (error) {
        await stopAll();
        throw error;
    }
}

/**
 * Starts one local cluster per name, runs `body`, and stops every cluster afterwards, also when `body`
 * or a start fails. Then checks that no port of theirs is still held.
 */
export async function withLocalClusters<T>(
    names: string[],
    binaries: KubernetesBinaries,
    workDir: string,
    body: (clusters: Record<string, LocalCluster>, clientCa: E2eCa) => Promise<T>,
): Promise<T> {
    const clusters: Record<string, LocalCluster> = {};
    const clientCa = await createClientCa();
    try {
        for (const name of names) clusters[name] = await startLocalCluster(name, binaries, workDir, clientCa);
        return await body(clusters, clientCa);
    } finally {
        for (const cluster of Object.values(clusters).reverse()) await cluster.stop();
        const held = [];
        for (const cluster of Object.values(clusters)) for (const port of cluster.ports) if (await portInUse(port)) held.push(`${cluster.name}:${port}`);
        if (held.length) throw new Error(`ports still held after stopping the local clusters: ${held.join(", ")}`);
    }
}
