import { strict as assert } from "node:assert";
import { workloadTypes } from "../../policy/kubernetes";
import { parseImage, qualifiedImage } from "../../policy/workloadHygiene";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const deployment = {
    metadata: { name: "api", namespace: "payments" },
    spec: {
        template: {
            metadata: { labels: { app: "api" } },
            spec: {
                automountServiceAccountToken: false,
                containers: [
                    {
                        name: "api",
                        image: "docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
                        env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }, { name: "LOG_LEVEL", value: "info" }],
                        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                        securityContext: { readOnlyRootFilesystem: true },
                    },
                ],
            },
        },
    },
};
const c = "spec.template.spec.containers.0";
const registries = { environment: "prod" as const, allowedRegistries: ["docker.io/library/", "mcr.microsoft.com/"] };

describe("policy: workload hygiene", () => {
    policyTable("kubernetes:apps/v1:Deployment", deployment, [
        { policy: "workload-resource-requests", path: `${c}.resources.requests.cpu`, value: undefined },
        { policy: "workload-resource-requests", path: `${c}.resources.requests`, value: null },
        { policy: "workload-memory-limits", path: `${c}.resources.limits`, value: { cpu: "1" } },
        { policy: "workload-image-tag", path: `${c}.image`, value: "docker.io/library/nginx:latest" },
        { policy: "workload-image-tag", path: `${c}.image`, value: "nginx" },
        { policy: "workload-image-digest", path: `${c}.image`, value: "docker.io/library/nginx:1.27.0" },
        { policy: "workload-image-registry", path: `${c}.image`, value: "evil.example.com/nginx@sha256:abc", config: registries },
        { policy: "workload-image-registry", path: `${c}.image`, value: "someone/nginx:1.0", config: registries },
        { policy: "workload-env-secret-literals", path: `${c}.env.0`, value: { name: "DB_PASSWORD", value: "hunter2" } },
        { policy: "workload-env-secret-literals", path: `${c}.env.1`, value: { name: "API_TOKEN", value: "abc" } },
        { policy: "workload-automount-service-account-token", path: "spec.template.spec.automountServiceAccountToken", value: undefined },
        { policy: "workload-read-only-root-filesystem", path: `${c}.securityContext.readOnlyRootFilesystem`, value: false },
        { policy: "workload-default-namespace", path: "metadata.namespace", value: "default" },
    ]);

    it("lets a workload that needs the API keep its token when it says why", () => {
        const props = structuredClone(deployment) as any;
        delete props.spec.template.spec.automountServiceAccountToken;
        props.spec.template.metadata.annotations = { "trustmesh.io/kubernetes-api-access": "watches ConfigMaps to reload" };
        assert.deepEqual(violationsOf("workload-automount-service-account-token", [subject("kubernetes:apps/v1:Deployment", props)]), []);
    });

    it("parses image references like the container runtime", () => {
        assert.deepEqual(parseImage("nginx"), { registry: "docker.io", repository: "library/nginx", tag: undefined, digest: undefined });
        assert.deepEqual(parseImage("localhost:5000/app:1.0@sha256:ab"), { registry: "localhost:5000", repository: "app", tag: "1.0", digest: "sha256:ab" });
        assert.equal(qualifiedImage("quay.io/jetstack/cert-manager-controller:v1.18.2"), "quay.io/jetstack/cert-manager-controller");
        assert.equal(qualifiedImage("bitnami/mysql:8"), "docker.io/bitnami/mysql");
    });

    it("skips the registry check when the pack config lists no registries", () => {
        const props = structuredClone(deployment) as any;
        props.spec.template.spec.containers[0].image = "evil.example.com/x:1";
        assert.deepEqual(violationsOf("workload-image-registry", [subject("kubernetes:apps/v1:Deployment", props)], { config: { environment: "prod" } }), []);
    });

    nullSafety("workload-hygiene", workloadTypes);
});
