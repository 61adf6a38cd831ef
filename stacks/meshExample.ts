import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "./clusters";
import type { MeshExampleConfig } from "./config/mesh";

/** The pod security context of the example: everything the restricted Pod Security level asks for. */
const mysqlUid = 999; // the `mysql` user of the official image

/**
 * Seed 001's MySQL server, restricted-compliant: non-root, no privilege escalation, no capabilities,
 * RuntimeDefault seccomp, read-only root filesystem with emptyDir scratch space, requests and limits,
 * the root password from a Secret. Data lives in an emptyDir: it is a link target, not a database.
 * It is a mesh workload: `dependsOn` must include the cluster's Istio, because a pod created before
 * istiod's injection webhook exists starts without a sidecar, and nothing would ever add one.
 */
export function deployMeshExample(example: MeshExampleConfig, cluster: ClusterTarget, dependsOn: pulumi.Resource[] = []) {
    const name = `${cluster.key}-mysql-example`;
    const opts = { provider: cluster.provider, dependsOn: [...cluster.ready, ...dependsOn] };
    const labels = { app: "mysql", "app.kubernetes.io/name": "mysql", "app.kubernetes.io/managed-by": "trustmesh" };

    const secret = new k8s.core.v1.Secret(
        `${name}-root-password`,
        {
            metadata: { name: "mysql-root-password", namespace: example.namespace, labels },
            type: "Opaque",
            stringData: { password: pulumi.secret(example.rootPassword) },
        },
        { ...opts, additionalSecretOutputs: ["stringData", "data"] },
    );

    const scratch = (volume: string) => ({ name: volume, emptyDir: {} });
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: { name: "mysql", namespace: example.namespace, labels },
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: { app: "mysql" } },
                template: {
                    metadata: {
                        // Asks for the sidecar explicitly (what the mesh-injection policy checks), and starts
                        // MySQL only once the proxy is ready where sidecars are not native init containers.
                        labels: { ...labels, "sidecar.istio.io/inject": "true" },
                        annotations: { "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }) },
                    },
                    spec: {
                        automountServiceAccountToken: false,
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: mysqlUid,
                            runAsGroup: mysqlUid,
                            fsGroup: mysqlUid,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [
                            {
                                name: "mysql",
                                image: example.image,
                                ports: [{ name: "tcp-mysql", containerPort: 3306, protocol: "TCP" }],
                                env: [{ name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-root-password", key: "password" } } }],
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    readOnlyRootFilesystem: true,
                                    runAsNonRoot: true,
                                    capabilities: { drop: ["ALL"] },
                                },
                                resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                                readinessProbe: { tcpSocket: { port: 3306 }, initialDelaySeconds: 15, periodSeconds: 10 },
                                livenessProbe: { tcpSocket: { port: 3306 }, initialDelaySeconds: 60, periodSeconds: 20 },
                                volumeMounts: [
                                    { name: "data", mountPath: "/var/lib/mysql" },
                                    { name: "run", mountPath: "/var/run/mysqld" },
                                    { name: "tmp", mountPath: "/tmp" },
                                ],
                            },
                        ],
                        volumes: [scratch("data"), scratch("run"), scratch("tmp")],
                    },
                },
            },
        },
        { ...opts, dependsOn: [...opts.dependsOn, secret] },
    );

    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: "mysql", namespace: example.namespace, labels },
            spec: {
                type: "ClusterIP",
                selector: { app: "mysql" },
                // The tcp- prefix tells Istio the protocol, so it does not sniff MySQL's server-first handshake.
                ports: [{ name: "tcp-mysql", port: 3306, targetPort: 3306, protocol: "TCP" }],
            },
        },
        opts,
    );
    return { secret, deployment, service };
}
