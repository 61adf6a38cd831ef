import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Istio, validateIstioArgs } from "../components/istio";
import { MeshLink, validateMeshLinkArgs, type MeshLinkArgs } from "../components/meshLink";
import { validateMtlsServerArgs } from "../components/mtlsServer";
import { NamespaceBaseline } from "../components/namespaceBaseline";
import { runOffline, type OfflineRun } from "../offline/engine";
import { stableTestNetIp } from "../offline/fakeOutputs";
import { manifestsOf, type Manifest } from "../offline/manifests";
import { validateObject } from "../offline/schemas";
import { readStackFile } from "../offline/stackFile";
import type { ClusterTarget } from "../stacks/clusters";
import { parseEnvironmentConfig, type ClusterName, type EnvironmentConfig } from "../stacks/config";
import { deployMesh } from "../stacks/mesh";
import "../offline/fakes/index";

/** Cluster targets with providers named like the real ones, so manifests land on "gke" / "aks". */
function clusterTargets(): Partial<Record<ClusterName, ClusterTarget>> {
    return {
        gke: { key: "gke", cloud: "gcp", provider: new k8s.Provider("gke", { kubeconfig: "{}" }), ready: [] },
        aks: { key: "aks", cloud: "azure", provider: new k8s.Provider("aks", { kubeconfig: "{}" }), ready: [] },
    };
}

/** The prod config with `count` links, alternating direction, each with its own host and link port. */
function configWithLinks(count: number): EnvironmentConfig {
    const values = structuredClone(readStackFile("prod").trustmesh) as Record<string, any>;
    if (count > 1) {
        values.namespaces.push({ name: "svc", clusters: ["gke", "aks"] }, { name: "callers", clusters: ["gke", "aks"] });
        values.mesh.links = Array.from({ length: count }, (_, i) => ({
            name: `link-${i}`,
            service: `svc-${i}`,
            namespace: "svc",
            port: 3306 + (i % 3),
            linkPort: 20000 + i,
            host: `svc-${i}.mesh.prod.example.com`,
            server: i % 2 === 0 ? "aks" : "gke",
            client: i % 2 === 0 ? "gke" : "aks",
            clientNamespace: "callers",
        }));
    }
    return parseEnvironmentConfig(values);
}

async function planMesh(config: EnvironmentConfig): Promise<{ run: OfflineRun; manifests: Manifest[] }> {
    const run = await runOffline(() => {
        const clusters = clusterTargets();
        const mesh = deployMesh(config, clusters);
        return { meshLinks: mesh.outputs.meshLinks };
    }, { stack: config.environment });
    return { run, manifests: manifestsOf(run.resources) };
}

function find(manifests: Manifest[], cluster: string, kind: string, name: string): Manifest {
    const found = manifests.filter((m) => m.cluster === cluster && m.kind === kind && m.name === name);
    assert.equal(found.length, 1, `expected one ${kind} ${name} on ${cluster}, found ${found.length}`);
    return found[0]!;
}

/** Every object of every link, on the right cluster, with values that agree across the two clusters. */
function assertLinksAgree(config: EnvironmentConfig, manifests: Manifest[]): void {
    for (const link of config.mesh.links) {
        const L = link.name;
        const server = link.server;
        const client = link.client;
        const linkObjects = manifests.filter(
            (m) => m.object.metadata?.labels?.["trustmesh.io/mesh-link"] === L || (m.kind === "Certificate" && [`${L}-server`, `${L}-client`].includes(m.name)),
        );
        // Server: cert, Gateway, VirtualService, NetworkPolicy, 2 AuthorizationPolicies. Client: cert, Gateway,
        // ServiceEntry, VS, 2 DRs, NetworkPolicy, AuthorizationPolicy.
        assert.equal(linkObjects.filter((m) => m.cluster === server).length, 6, `${L}: server objects on ${server}`);
        assert.equal(linkObjects.filter((m) => m.cluster === client).length, 8, `${L}: client objects on ${client}`);
        assert.equal(linkObjects.filter((m) => m.cluster !== server && m.cluster !== client).length, 0);

        // --- server cluster
        const serverCert = find(manifests, server, "Certificate", `${L}-server`).object;
        const ingressGw = find(manifests, server, "Gateway", `${L}-ingress`).object;
        const ingressVs = find(manifests, server, "VirtualService", `${L}-ingress`).object;
        const allowIngress = find(manifests, server, "NetworkPolicy", `${L}-allow-ingress-gateway`).object;
        // --- client cluster
        const clientCert = find(manifests, client, "Certificate", `${L}-client`).object;
        const egressGw = find(manifests, client, "Gateway", `${L}-egress`).object;
        const serviceEntry = find(manifests, client, "ServiceEntry", `${L}-remote`).object;
        const egressVs = find(manifests, client, "VirtualService", `${L}-via-egress`).object;
        const toEgress = find(manifests, client, "DestinationRule", `${L}-to-egress-gateway`).object;
        const originate = find(manifests, client, "DestinationRule", `${L}-originate-mtls`).object;
        const allowEgress = find(manifests, client, "NetworkPolicy", `${L}-to-egress-gateway`).object;

        // Certificates from the internal CA, with their Secrets in the gateways' namespace.
        for (const cert of [serverCert, clientCert]) {
            assert.deepEqual(cert.spec.issuerRef, { name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
            assert.equal(cert.metadata.namespace, "istio-system");
            assert.equal(cert.spec.privateKey.rotationPolicy, "Always");
        }
        assert.deepEqual(serverCert.spec.dnsNames, [link.host]);
        assert.ok(serverCert.spec.usages.includes("server auth"));
        assert.ok(clientCert.spec.usages.includes("client auth"));
        assert.ok(!clientCert.spec.usages.includes("server auth"));

        // Ingress: mutual TLS on the link port with the server credential; only this link's client cert admitted.
        const ingressServer = ingressGw.spec.servers[0];
        assert.deepEqual(ingressGw.spec.selector, { istio: "ingressgateway" });
        assert.equal(ingressGw.metadata.namespace, "istio-system");
        assert.deepEqual(ingressServer.port, { number: link.linkPort, name: `tls-${L}`, protocol: "TLS" });
        assert.deepEqual(ingressServer.hosts, [link.host]);
        assert.equal(ingressServer.tls.mode, "MUTUAL");
        assert.equal(ingressServer.tls.credentialName, serverCert.spec.secretName);
        assert.deepEqual(ingressServer.tls.subjectAltNames, clientCert.spec.dnsNames);
        // ... and, by identity, only the principal the client certificate carries, on the link port.
        const admitClient = find(manifests, server, "AuthorizationPolicy", `${L}-ingress-client`).object;
        assert.deepEqual(admitClient.spec.rules, [{ from: [{ source: { principals: clientCert.spec.uris.map((u: string) => u.replace("spiffe://", "")) } }], to: [{ operation: { ports: [String(link.linkPort)] } }] }]);
        assert.deepEqual(ingressVs.spec.hosts, [link.host]);
        assert.deepEqual(ingressVs.spec.gateways, [`istio-system/${L}-ingress`]);
        assert.deepEqual(ingressVs.spec.tcp, [
            { match: [{ port: link.linkPort }], route: [{ destination: { host: `${link.service}.${link.namespace}.svc.cluster.local`, port: { number: link.port } } }] },
        ]);
        assert.equal(allowIngress.metadata.namespace, link.namespace);
        assert.deepEqual(allowIngress.spec.ingress[0].from[0].podSelector.matchLabels, { istio: "ingressgateway" });
        assert.deepEqual(allowIngress.spec.ingress[0].ports, [{ protocol: "TCP", port: link.port }]);

        // Egress: ISTIO_MUTUAL on 15443 for the host.
        const egressServer = egressGw.spec.servers[0];
        assert.deepEqual(egressGw.spec.selector, { istio: "egressgateway" });
        assert.equal(egressServer.port.number, 15443);
        assert.equal(egressServer.port.protocol, "TLS");
        assert.deepEqual(egressServer.hosts, [link.host]);
        assert.deepEqual(egressServer.tls, { mode: "ISTIO_MUTUAL" });

        // ServiceEntry: the host, external, DNS, app port and link port, visible to the client namespace only.
        assert.deepEqual(serviceEntry.spec.hosts, [link.host]);
        assert.equal(serviceEntry.spec.location, "MESH_EXTERNAL");
        assert.equal(serviceEntry.spec.resolution, "DNS");
        assert.deepEqual(
            serviceEntry.spec.ports.map((p: { number: number; protocol: string }) => [p.number, p.protocol]),
            [[link.port, "TCP"], [link.linkPort, "TLS"]],
        );
        assert.deepEqual(serviceEntry.spec.exportTo, [".", link.clientNamespace]);

        // VirtualService: mesh -> egress gateway subset on 15443, egress gateway -> host:linkPort.
        const egressHost = "istio-egressgateway.istio-system.svc.cluster.local";
        assert.deepEqual(egressVs.spec.hosts, [link.host]);
        assert.deepEqual(egressVs.spec.gateways, [`istio-system/${L}-egress`, "mesh"]);
        assert.deepEqual(egressVs.spec.tcp[0].match, [{ gateways: ["mesh"], port: link.port }]);
        assert.deepEqual(egressVs.spec.tcp[0].route[0].destination, { host: egressHost, subset: L, port: { number: 15443 } });
        assert.deepEqual(egressVs.spec.tcp[1].match, [{ gateways: [`istio-system/${L}-egress`], port: 15443 }]);
        assert.deepEqual(egressVs.spec.tcp[1].route[0].destination, { host: link.host, port: { number: link.linkPort } });

        // DestinationRule to the egress gateway: the VS's subset, ISTIO_MUTUAL, SNI = host.
        assert.equal(toEgress.spec.host, egressHost);
        assert.equal(toEgress.spec.subsets[0].name, L);
        assert.deepEqual(toEgress.spec.subsets[0].trafficPolicy.portLevelSettings, [{ port: { number: 15443 }, tls: { mode: "ISTIO_MUTUAL", sni: link.host } }]);
        assert.equal(toEgress.spec.trafficPolicy, undefined, "no top-level policy, so rules of many links merge");

        // DestinationRule to the host: MUTUAL with the client credential, SNI and the server cert's name checked.
        assert.equal(originate.spec.host, link.host);
        assert.deepEqual(originate.spec.exportTo, ["."]);
        // Only the egress gateway can read credentialName: the rule selects it (istioctl analyze otherwise
        // reads the rule as one sidecars apply without verifying the server).
        assert.deepEqual(originate.spec.workloadSelector, { matchLabels: { istio: "egressgateway" } });
        assert.deepEqual(originate.spec.trafficPolicy.portLevelSettings, [
            { port: { number: link.linkPort }, tls: { mode: "MUTUAL", credentialName: clientCert.spec.secretName, sni: link.host, subjectAltNames: serverCert.spec.dnsNames } },
        ]);
        assert.equal(allowEgress.metadata.namespace, link.clientNamespace);
        assert.deepEqual(allowEgress.spec.egress[0].ports, [{ protocol: "TCP", port: 15443 }]);

        // The server's ingress gateway declares the link port itself (no Service patch).
        const ingressRelease = releaseOn(manifests, server, "ingress-gateway");
        assert.ok(
            (ingressRelease.inputs.values as any).service.ports.some((p: { port: number; targetPort: number }) => p.port === link.linkPort && p.targetPort === link.linkPort),
            `${L}: link port ${link.linkPort} declared on the ${server} ingress gateway`,
        );
    }
}

let currentRun: OfflineRun;
function releaseOn(_manifests: Manifest[], cluster: string, role: string) {
    const release = currentRun.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === `${cluster}-istio-${role}`);
    assert.ok(release, `release ${cluster}-istio-${role}`);
    return release;
}

function assertUniqueNames(manifests: Manifest[]): void {
    const seen = new Map<string, string>();
    for (const m of manifests) {
        const key = `${m.cluster}/${m.kind}/${m.namespace ?? ""}/${m.name}`;
        assert.ok(!seen.has(key), `two objects share ${key}: ${seen.get(key)} and ${m.urn}`);
        seen.set(key, m.urn);
    }
}

async function assertSchemasValid(manifests: Manifest[]): Promise<number> {
    let checked = 0;
    for (const m of manifests) {
        if (!/istio\.io|cert-manager\.io/.test(m.apiVersion) && m.kind !== "NetworkPolicy") continue;
        const result = await validateObject(m.object);
        assert.equal(result.status, "valid", `${m.cluster} ${m.kind} ${m.name}: ${result.status} ${result.errors.join("; ")}`);
        checked++;
    }
    return checked;
}

describe("mesh: Istio on both clusters and the cross-cluster links", () => {
    it("installs pinned Istio charts on both clusters: registry-only, access logs, STRICT mTLS, gateways on the static IPs", async () => {
        const config = configWithLinks(1);
        const { run, manifests } = await planMesh(config);
        currentRun = run;
        for (const cluster of ["gke", "aks"]) {
            const releases = run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.startsWith(`${cluster}-istio-`));
            assert.deepEqual(releases.map((r) => r.name.slice(`${cluster}-istio-`.length)).sort(), ["base", "cni", "egress-gateway", "ingress-gateway", "istiod"]);
            for (const r of releases) {
                assert.equal(r.inputs.version, "1.28.1");
                assert.deepEqual(r.inputs.repositoryOpts, { repo: "https://istio-release.storage.googleapis.com/charts" });
                assert.equal(run.resources.find((p) => p.urn === r.provider)?.name, cluster);
            }
            const istiod = releases.find((r) => r.name === `${cluster}-istio-istiod`)!;
            const meshConfig = (istiod.inputs.values as any).meshConfig;
            assert.deepEqual(meshConfig.outboundTrafficPolicy, { mode: "REGISTRY_ONLY" });
            assert.equal(meshConfig.accessLogFile, "/dev/stdout");
            // Plain TCP to a link host is routed by host only with DNS capture and allocated addresses
            // (v2: istiod's controller; the proxy-side ISTIO_META_DNS_AUTO_ALLOCATE is deprecated).
            assert.deepEqual(meshConfig.defaultConfig.proxyMetadata, { ISTIO_META_DNS_CAPTURE: "true" });
            assert.equal((istiod.inputs.values as any).pilot.env.PILOT_ENABLE_IP_AUTOALLOCATE, "true");
            const egress = releases.find((r) => r.name === `${cluster}-istio-egress-gateway`)!;
            assert.equal((egress.inputs.values as any).service.type, "ClusterIP");
            const ingress = releases.find((r) => r.name === `${cluster}-istio-ingress-gateway`)!;
            assert.equal((ingress.inputs.values as any).service.type, "LoadBalancer");
            // istio-system denies by default; the egress gateway leaves only for this cluster's client link ports.
            assert.deepEqual(find(manifests, cluster, "NetworkPolicy", "default-deny-all").object.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            const egressPolicy = find(manifests, cluster, "NetworkPolicy", "allow-egress-gateway").object;
            const outbound = egressPolicy.spec.egress.flatMap((rule: { ports?: Array<{ port: number }> }) => (rule.ports ?? []).map((p) => p.port));
            assert.deepEqual(outbound, cluster === "gke" ? [15012, 13306] : [15012]);
            const ingressPolicy = find(manifests, cluster, "NetworkPolicy", "allow-ingress-gateway").object;
            assert.deepEqual(ingressPolicy.spec.ingress[0].ports.map((p: { port: number }) => p.port), cluster === "aks" ? [15021, 13306] : [15021]);
            const peer = find(manifests, cluster, "PeerAuthentication", "default");
            assert.equal(peer.namespace, "istio-system");
            assert.deepEqual(peer.object.spec, { mtls: { mode: "STRICT" } });
        }
        // GKE: a regional external address as loadBalancerIP. AKS: a Standard static public IP by name + group.
        const address = run.resources.find((r) => r.type === "gcp:compute/address:Address")!;
        assert.equal(address.inputs.addressType, "EXTERNAL");
        assert.equal(address.inputs.region, "europe-west1");
        const gkeIngress = run.resources.find((r) => r.name === "gke-istio-ingress-gateway")!;
        assert.match(String((gkeIngress.inputs.values as any).service.loadBalancerIP), /^203\.0\.113\.\d+$/);
        const pip = run.resources.find((r) => r.type === "azure-native:network:PublicIPAddress")!;
        assert.deepEqual(pip.inputs.sku, { name: "Standard", tier: "Regional" });
        assert.equal(pip.inputs.publicIPAllocationMethod, "Static");
        assert.deepEqual(pip.inputs.zones, ["1", "2", "3"]);
        const aksIngress = run.resources.find((r) => r.name === "aks-istio-ingress-gateway")!;
        assert.deepEqual((aksIngress.inputs.values as any).service.annotations, {
            "service.beta.kubernetes.io/azure-load-balancer-resource-group": "trustmesh-prod-mesh",
            "service.beta.kubernetes.io/azure-pip-name": pip.inputs.publicIpAddressName,
        });
        // The DNS record for the host points at the server's (aks) static IP.
        const record = run.resources.find((r) => r.type === "gcp:dns/recordSet:RecordSet")!;
        assert.equal(record.inputs.name, "mysql.mesh.prod.example.com.");
        assert.equal(record.inputs.managedZone, "mesh-prod");
        assert.deepEqual(record.inputs.rrdatas, [stableTestNetIp("azure-public-ip", "aks-istio-ingress")]);
        assert.deepEqual(run.outputs.meshLinks, { mysql: "mysql.mesh.prod.example.com" });
    });

    it("1 link (seed 001): every object on the right cluster, agreeing across clusters, valid against the Istio and cert-manager schemas", async () => {
        const config = configWithLinks(1);
        const { run, manifests } = await planMesh(config);
        currentRun = run;
        assertLinksAgree(config, manifests);
        assertUniqueNames(manifests);
        const checked = await assertSchemasValid(manifests);
        assert.ok(checked >= 13, `validated ${checked} objects`);
    });

    it("20 links: all agree, no two objects share kind+namespace+name on a cluster, all valid", async () => {
        const config = configWithLinks(20);
        const { run, manifests } = await planMesh(config);
        currentRun = run;
        assert.equal(config.mesh.links.length, 20);
        assertLinksAgree(config, manifests);
        assertUniqueNames(manifests);
        const checked = await assertSchemasValid(manifests);
        assert.ok(checked >= 20 * 11, `validated ${checked} objects`);
        // Pulumi resource names are unique too (a clash would fail registration, but say it plainly).
        const urns = run.resources.map((r) => r.urn);
        assert.equal(new Set(urns).size, urns.length);
    });

    it("negative path: a namespace without sidecar injection gets no route, no export and no egress to the link", async () => {
        const config = configWithLinks(1);
        const run = await runOffline(() => {
            const clusters = clusterTargets();
            deployMesh(config, clusters);
            new NamespaceBaseline("gke-unencrypted", { name: "unencrypted", sidecarInjection: false }, { provider: clusters.gke!.provider });
            return {};
        }, { stack: "prod" });
        const manifests = manifestsOf(run.resources);
        const ns = find(manifests, "gke", "Namespace", "unencrypted").object;
        assert.equal(ns.metadata.labels["istio-injection"], "disabled");
        const policies = manifests.filter((m) => m.kind === "NetworkPolicy" && m.namespace === "unencrypted");
        // Default deny plus DNS only: no path to the egress gateway, and none to the internet.
        assert.deepEqual(policies.map((p) => p.name).sort(), ["allow-dns-egress", "default-deny-all"]);
        for (const m of manifests.filter((x) => ["ServiceEntry", "VirtualService", "DestinationRule"].includes(x.kind))) {
            assert.ok(!(m.object.spec.exportTo ?? ["*"]).includes("unencrypted") && !(m.object.spec.exportTo ?? []).includes("*"), `${m.kind} ${m.name} is exported beyond the client namespace`);
        }
        const istiod = run.resources.find((r) => r.name === "gke-istio-istiod")!;
        assert.equal((istiod.inputs.values as any).meshConfig.outboundTrafficPolicy.mode, "REGISTRY_ONLY");
    });

    it("seed 001's MySQL server is restricted-compliant and its password a secret", async () => {
        const config = configWithLinks(1);
        const { run, manifests } = await planMesh(config);
        const deployment = find(manifests, "aks", "Deployment", "mysql").object;
        const pod = deployment.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
        const container = pod.containers[0];
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
        assert.ok(container.resources.limits.memory);
        const service = find(manifests, "aks", "Service", "mysql").object;
        assert.equal(service.metadata.namespace, "mysql");
        assert.equal(service.spec.ports[0].port, 3306);
        const secret = run.resources.find((r) => r.name === "aks-mysql-example-root-password")!;
        assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), "root password is a Pulumi secret");
        assert.ok(!JSON.stringify(secret.inputs).includes(config.mesh.example!.rootPassword), "password never in the recorded inputs");
        assert.equal((await validateObject(deployment)).status, "valid");
    });
});

describe("mesh components refuse bad arguments", () => {
    const provider = undefined as unknown as k8s.Provider;
    const good: MeshLinkArgs = {
        service: "mysql",
        namespace: "mysql",
        port: 3306,
        linkPort: 13306,
        host: "mysql.example.com",
        server: "aks",
        client: "gke",
        clientNamespace: "callers",
        serverProvider: provider,
        clientProvider: provider,
    };
    const cases: Array<[string, Partial<MeshLinkArgs>, RegExp]> = [
        ["server == client", { client: "aks" }, /server and client are both "aks"/],
        ["linkPort in the reserved range", { linkPort: 15090 }, /linkPort 15090 is in Istio's reserved range/],
        ["host not a DNS name", { host: "my host" }, /host "my host" must be a lowercase fully qualified DNS name/],
        ["port == linkPort", { linkPort: 3306 }, /port and linkPort are both 3306/],
        ["port is the egress gateway's", { port: 15443 }, /egress gateway's own port/],
        ["bad client namespace", { clientNamespace: "Callers" }, /clientNamespace "Callers"/],
    ];
    for (const [why, change, says] of cases) {
        it(`MeshLink: ${why}`, () => {
            const problems = validateMeshLinkArgs("mesh-mysql", { ...good, serverProvider: {} as k8s.Provider, clientProvider: {} as k8s.Provider, ...change });
            assert.ok(problems.some((p) => says.test(p)), problems.join("\n"));
        });
    }

    it("MeshLink: throws before creating anything, listing every problem", async () => {
        await assert.rejects(
            runOffline(() => {
                const p = new k8s.Provider("aks", { kubeconfig: "{}" });
                new MeshLink("mesh-bad", { ...good, serverProvider: p, clientProvider: p, client: "aks", linkPort: 15001, host: "x" });
                return {};
            }, { stack: "test" }),
            (error: Error) => /server and client are both "aks"/.test(error.message) && /15001/.test(error.message) && /host "x"/.test(error.message),
        );
    });

    it("MtlsServer: a DNS zone must name exactly one cloud and the record's address", () => {
        const server = { linkName: "mysql", host: "mysql.example.com", service: "mysql", namespace: "mysql", port: 3306, linkPort: 13306 };
        const problems = validateMtlsServerArgs({ ...server, dnsZone: { gcpManagedZone: "z", azureZoneName: "example.com", azureResourceGroupName: "rg" } });
        assert.ok(problems.some((p) => /exactly one of gcpManagedZone/.test(p)));
        assert.ok(problems.some((p) => /ingressAddress is required/.test(p)));
        const outside = validateMtlsServerArgs({ ...server, dnsZone: { azureZoneName: "other.org", azureResourceGroupName: "rg" }, ingressAddress: "203.0.113.1" });
        assert.deepEqual(outside, ['host "mysql.example.com" is not inside dnsZone.azureZoneName "other.org"']);
    });

    it("Istio: refuses an unpinned version, duplicate and reserved link ports", () => {
        const problems = validateIstioArgs({ version: "latest", linkPorts: [13306, 13306, 15021] });
        assert.ok(problems.some((p) => /version "latest" must be a pinned chart version/.test(p)));
        assert.ok(problems.some((p) => /linkPorts lists 13306 twice/.test(p)));
        assert.ok(problems.some((p) => /linkPorts entry 15021 is in Istio's reserved range/.test(p)));
        assert.deepEqual(validateIstioArgs({ version: "1.28.1", linkPorts: [13306] }), []);
    });

    it("Istio: a bad version fails the run as a ResourceError", async () => {
        await assert.rejects(
            runOffline(() => {
                new Istio("x", { version: "1.x" });
                return {};
            }, { stack: "test" }),
            /Istio x: version "1.x"/,
        );
        void pulumi;
    });
});
