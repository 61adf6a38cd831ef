import { strict as assert } from "node:assert";
import { dnsNameCovers, fqdn, visibleFrom } from "../../policy/mesh";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const GW = "kubernetes:networking.istio.io/v1:Gateway";
const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
const SE = "kubernetes:networking.istio.io/v1:ServiceEntry";
const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";
const CERT = "kubernetes:cert-manager.io/v1:Certificate";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const host = "mysql.mesh.prod.example.com";

const ingressGateway = {
    metadata: { name: "mysql-ingress", namespace: "istio-system" },
    spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ hosts: [host], port: { name: "tls-mysql", number: 13306, protocol: "TLS" }, tls: { mode: "MUTUAL", credentialName: "mysql-server-credential" } }],
    },
};
const serverCert = subject(CERT, { metadata: { name: "mysql-server", namespace: "istio-system" }, spec: { secretName: "mysql-server-credential", dnsNames: [host], issuerRef: { kind: "ClusterIssuer", name: "internal-ca" } } });
const clientCert = subject(CERT, { metadata: { name: "mysql-client", namespace: "istio-system" }, spec: { secretName: "mysql-client-credential", dnsNames: [`client.${host}`], issuerRef: { kind: "ClusterIssuer", name: "internal-ca" } } });
const gatewayRelease = subject(RELEASE, { name: "istio-ingressgateway", chart: "gateway", namespace: "istio-system", values: {} });
const virtualService = {
    metadata: { name: "mysql-ingress", namespace: "istio-system" },
    spec: { gateways: ["istio-system/mysql-ingress"], hosts: [host], tcp: [{ match: [{ port: 13306 }], route: [{ destination: { host: "mysql.mysql.svc.cluster.local", port: { number: 3306 }, subset: "v1" } }] }] },
};
const mysqlRule = subject(DR, { metadata: { name: "mysql", namespace: "mysql" }, spec: { host: "mysql", subsets: [{ name: "v1", labels: { version: "v1" } }] } });
const originate = {
    metadata: { name: "mysql-originate-mtls", namespace: "istio-system" },
    spec: { host, trafficPolicy: { portLevelSettings: [{ port: { number: 13306 }, tls: { mode: "MUTUAL", credentialName: "mysql-client-credential", sni: host } }] } },
};
const serviceEntry = subject(SE, { metadata: { name: "mysql-remote", namespace: "istio-system" }, spec: { hosts: [host], ports: [{ number: 3306, name: "tcp", protocol: "TCP" }, { number: 13306, name: "tls", protocol: "TLS" }], resolution: "DNS" } });
const egressVs = {
    metadata: { name: "mysql-via-egress", namespace: "istio-system" },
    spec: { hosts: [host], gateways: ["mesh"], tcp: [{ match: [{ gateways: ["mesh"], port: 3306 }], route: [{ destination: { host, port: { number: 13306 } } }] }] },
};

describe("policy: mesh (Istio)", () => {
    policyTable(PA, { metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } }, [
        { policy: "mesh-peer-authentication-strict", path: "spec.mtls.mode", value: "PERMISSIVE" },
        { policy: "mesh-peer-authentication-strict", path: "spec.portLevelMtls", value: { 8080: { mode: "DISABLE" } } },
    ]);
    policyTable(DR, originate, [
        { policy: "mesh-destination-rule-tls-external", path: "spec.trafficPolicy.portLevelSettings.0.tls.mode", value: "DISABLE" },
        { policy: "mesh-mutual-credential-name", path: "spec.trafficPolicy.portLevelSettings.0.tls.credentialName", value: undefined },
        { policy: "mesh-credential-name-resolves", path: "spec.trafficPolicy.portLevelSettings.0.tls.credentialName", value: "nope", others: [clientCert] },
    ]);
    const selectedOriginate = { ...originate, spec: { ...originate.spec, workloadSelector: { matchLabels: { istio: "egressgateway" } } } };
    policyTable(DR, selectedOriginate, [
        { policy: "mesh-destination-rule-verifies-server", path: "spec.workloadSelector", value: undefined },
        { policy: "mesh-destination-rule-verifies-server", path: "spec.trafficPolicy.portLevelSettings.0.tls.credentialName", value: undefined },
    ]);
    it("accepts server verification by caCertificates without a workloadSelector", () => {
        const withCa = { ...originate, spec: { ...originate.spec, trafficPolicy: { tls: { mode: "SIMPLE", caCertificates: "/etc/certs/ca.pem" } } } };
        assert.deepEqual(violationsOf("mesh-destination-rule-verifies-server", [subject(DR, withCa)]), []);
        assert.deepEqual(violationsOf("mesh-destination-rule-verifies-server", [subject(DR, { ...withCa, spec: { host, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } } })]), []);
    });
    policyTable(GW, ingressGateway, [
        { policy: "mesh-mutual-credential-name", path: "spec.servers.0.tls.credentialName", value: "" },
        { policy: "mesh-cross-cluster-gateway-mutual", path: "spec.servers.0.tls.mode", value: "SIMPLE" },
        { policy: "mesh-gateway-https-redirect", path: "spec.servers.0", value: { hosts: ["web.example.com"], port: { number: 80, name: "http", protocol: "HTTP" } } },
        { policy: "mesh-gateway-selector-matches", path: "spec.selector.istio", value: "eastwestgateway", others: [gatewayRelease] },
        { policy: "mesh-credential-name-resolves", path: "spec.servers.0.hosts.0", value: "other.example.com", others: [serverCert, gatewayRelease] },
        { policy: "mesh-credential-name-resolves", path: "spec.servers.0.tls.credentialName", value: "elsewhere", others: [serverCert, gatewayRelease] },
    ]);
    policyTable(VS, virtualService, [
        { policy: "mesh-virtual-service-gateways-exist", path: "spec.gateways.0", value: "istio-system/missing", others: [subject(GW, ingressGateway)] },
        { policy: "mesh-destination-rule-subsets-exist", path: "spec.tcp.0.route.0.destination.subset", value: "v2", others: [mysqlRule] },
    ]);
    policyTable(VS, egressVs, [
        { policy: "mesh-service-entry-ports-agree", path: "spec.tcp.0.route.0.destination.port.number", value: 443, others: [serviceEntry] },
        { policy: "mesh-service-entry-ports-agree", path: "spec.tcp.0.match.0.port", value: 3307, others: [serviceEntry] },
    ]);

    it("accepts ISTIO_MUTUAL on the egress side and the cross-cluster marker", () => {
        const egress = { metadata: { name: "mysql-egress", namespace: "istio-system" }, spec: { selector: { istio: "egressgateway" }, servers: [{ hosts: [host], port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "ISTIO_MUTUAL" } }] } };
        assert.deepEqual(violationsOf("mesh-cross-cluster-gateway-mutual", [subject(GW, egress)]), []);
        const marked = { ...egress, metadata: { ...egress.metadata, annotations: { "trustmesh.io/cross-cluster": "true" } }, spec: { ...egress.spec, servers: [{ hosts: [host], port: { number: 443, name: "https", protocol: "HTTPS" }, tls: { mode: "SIMPLE", credentialName: "x" } }] } };
        assert.equal(violationsOf("mesh-cross-cluster-gateway-mutual", [subject(GW, marked)]).length, 1);
    });

    it("resolves references within one cluster only", () => {
        const gke = { provider: "urn:pulumi:prod::trustmesh::pulumi:providers:kubernetes::gke::id" };
        const aks = { provider: "urn:pulumi:prod::trustmesh::pulumi:providers:kubernetes::aks::id" };
        const found = violationsOf("mesh-virtual-service-gateways-exist", [subject(VS, virtualService, gke), subject(GW, ingressGateway, aks)]);
        assert.equal(found.length, 1);
    });

    it("judges gateway selectors only when some gateway install is visible", () => {
        const app = subject("kubernetes:apps/v1:Deployment", { metadata: { name: "mysql", namespace: "mysql" }, spec: { template: { metadata: { labels: { app: "mysql" } }, spec: { containers: [] } } } });
        assert.deepEqual(violationsOf("mesh-gateway-selector-matches", [subject(GW, ingressGateway), app]), []);
        assert.equal(violationsOf("mesh-gateway-selector-matches", [subject(GW, { ...ingressGateway, spec: { ...ingressGateway.spec, selector: { istio: "nope" } } }), app, gatewayRelease]).length, 1);
    });

    it("never judges a reference whose namespace is unknown", () => {
        const unknownNs = { ...ingressGateway, metadata: { name: "mysql-ingress", namespace: undefined } };
        assert.deepEqual(violationsOf("mesh-virtual-service-gateways-exist", [subject(VS, virtualService), subject(GW, unknownNs)]), []);
    });

    it("resolves hosts like Istio and matches wildcard certificates", () => {
        assert.equal(fqdn("mysql", "db"), "mysql.db.svc.cluster.local");
        assert.equal(fqdn("mysql.db", "other"), "mysql.db.svc.cluster.local");
        assert.equal(fqdn(host, "db"), host);
        assert.ok(dnsNameCovers("*.mesh.prod.example.com", host));
        assert.ok(!dnsNameCovers("*.prod.example.com", host));
    });

    it("reads a Gateway's credential from the namespace of the gateway workload it selects, not the Gateway's", () => {
        const inApps = subject(GW, { ...ingressGateway, metadata: { name: "mysql-ingress", namespace: "apps" } });
        assert.deepEqual(violationsOf("mesh-credential-name-resolves", [inApps, serverCert, gatewayRelease]), [], "certificate beside the gateway workload in istio-system");
        const certBesideObject = subject(CERT, { ...serverCert.props, metadata: { name: "mysql-server", namespace: "apps" } });
        const found = violationsOf("mesh-credential-name-resolves", [inApps, certBesideObject, gatewayRelease]);
        assert.equal(found.length, 1);
        assert.match(found[0]!.message, /namespace istio-system, where the proxy that reads it runs/);
        assert.deepEqual(violationsOf("mesh-credential-name-resolves", [inApps, certBesideObject]), [], "no gateway install visible: nothing to judge");
    });

    it("reads a DestinationRule's credential in the namespace of the workloads its workloadSelector picks", () => {
        const egressRelease = subject(RELEASE, { name: "istio-egressgateway", chart: "gateway", namespace: "istio-system", values: {} });
        const selected = { ...originate, spec: { ...originate.spec, workloadSelector: { matchLabels: { istio: "egressgateway" } }, exportTo: ["."] } };
        assert.deepEqual(violationsOf("mesh-credential-name-resolves", [subject(DR, selected), clientCert, egressRelease]), []);
        const clientCertElsewhere = subject(CERT, { ...clientCert.props, metadata: { name: "mysql-client", namespace: "apps" } });
        assert.equal(violationsOf("mesh-credential-name-resolves", [subject(DR, selected), clientCertElsewhere, egressRelease]).length, 1);
    });

    it("checks the subsets of mirror and mirrors destinations like route destinations", () => {
        const http = (route: Record<string, unknown>) => subject(VS, { metadata: { name: "web", namespace: "mysql" }, spec: { hosts: ["mysql"], http: [{ route: [{ destination: { host: "mysql", subset: "v1" } }], ...route }] } });
        assert.deepEqual(violationsOf("mesh-destination-rule-subsets-exist", [http({ mirror: { host: "mysql", subset: "v1" } }), mysqlRule]), []);
        assert.match(violationsOf("mesh-destination-rule-subsets-exist", [http({ mirror: { host: "mysql", subset: "shadow" } }), mysqlRule])[0]?.message ?? "", /subset shadow of mysql/);
        assert.equal(violationsOf("mesh-destination-rule-subsets-exist", [http({ mirrors: [{ destination: { host: "mysql", subset: "canary" } }] }), mysqlRule]).length, 1);
    });

    it("sees a DestinationRule's subsets only from the namespaces it is exported to", () => {
        const exported = (exportTo: string[]) => subject(DR, { ...mysqlRule.props, spec: { ...mysqlRule.props.spec, exportTo } });
        assert.equal(violationsOf("mesh-destination-rule-subsets-exist", [subject(VS, virtualService), exported(["."])]).length, 1, "exported to mysql only; the VirtualService is in istio-system");
        assert.deepEqual(violationsOf("mesh-destination-rule-subsets-exist", [subject(VS, virtualService), exported(["istio-system"])]), []);
        assert.deepEqual(violationsOf("mesh-destination-rule-subsets-exist", [subject(VS, virtualService), exported(["*"])]), []);
    });

    it("compares ports only with ServiceEntries exported to the VirtualService's namespace", () => {
        const hidden = subject(SE, { ...serviceEntry.props, metadata: { name: "mysql-remote", namespace: "other" }, spec: { ...serviceEntry.props.spec, exportTo: ["."] } });
        const wrongPort = { ...egressVs, spec: { ...egressVs.spec, tcp: [{ match: [{ gateways: ["mesh"], port: 3306 }], route: [{ destination: { host, port: { number: 443 } } }] }] } };
        assert.deepEqual(violationsOf("mesh-service-entry-ports-agree", [subject(VS, wrongPort), hidden]), []);
        assert.equal(violationsOf("mesh-service-entry-ports-agree", [subject(VS, wrongPort), serviceEntry]).length, 1);
    });

    it("applies exportTo as Istio does", () => {
        assert.ok(visibleFrom(undefined, "a", "b"));
        assert.ok(visibleFrom(["*"], "a", "b"));
        assert.ok(visibleFrom(["."], "a", "a"));
        assert.ok(!visibleFrom(["."], "a", "b"));
        assert.ok(visibleFrom(["b"], "a", "b"));
        assert.ok(!visibleFrom(["~"], "a", "a"));
    });

    it("skips the PeerAuthentication rule outside prod", () => {
        assert.deepEqual(violationsOf("mesh-peer-authentication-strict", [subject(PA, { spec: { mtls: { mode: "PERMISSIVE" } } })], { config: { environment: "dev" } }), []);
    });

    nullSafety("mesh", [GW, VS, DR, SE, PA]);
});
