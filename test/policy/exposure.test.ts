import { nullSafety, policyTable } from "./harness";

const service = { metadata: { name: "api", namespace: "payments", labels: { app: "api" } }, spec: { type: "ClusterIP", selector: { app: "api" }, ports: [{ port: 80, targetPort: 8080 }] } };
const gateway = { metadata: { name: "istio-ingressgateway", namespace: "istio-ingress", labels: { istio: "ingressgateway" } }, spec: { type: "LoadBalancer", ports: [{ port: 443 }] } };
const ingress = {
    metadata: { name: "web", namespace: "payments" },
    spec: { tls: [{ hosts: ["web.example.com"], secretName: "web-tls" }], rules: [{ host: "web.example.com", http: { paths: [] } }] },
};

describe("policy: exposure", () => {
    policyTable("kubernetes:core/v1:Service", service, [
        { policy: "exposure-load-balancer-gateways-only", path: "spec.type", value: "LoadBalancer" },
        { policy: "exposure-load-balancer-gateways-only", path: "metadata.labels.istio", value: "sidecar", base: gateway },
        { policy: "exposure-no-node-port", path: "spec.type", value: "NodePort" },
        { policy: "exposure-no-external-ips", path: "spec.externalIPs", value: ["203.0.113.10"] },
        { policy: "exposure-no-external-name", path: "spec.type", value: "ExternalName" },
    ]);
    policyTable("kubernetes:networking.k8s.io/v1:Ingress", ingress, [
        { policy: "exposure-ingress-tls", path: "spec.tls", value: undefined },
        { policy: "exposure-ingress-tls", path: "spec.rules.0.host", value: "other.example.com" },
    ]);
    nullSafety("exposure", ["kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress"]);
});
