import { strict as assert } from "node:assert";
import { readStackFile } from "../offline/stackFile";
import { parseEnvironmentConfig } from "../stacks/config";
import { problemsOf } from "./helpers/stacks";

/** The prod stack's config, which carries seed 001's link. */
function prodConfig(): Record<string, any> {
    return structuredClone(readStackFile("prod").trustmesh) as Record<string, any>;
}


const link = (overrides: Record<string, unknown> = {}) => ({
    name: "mysql",
    service: "mysql",
    namespace: "mysql",
    port: 3306,
    linkPort: 13306,
    host: "mysql.mesh.prod.example.com",
    server: "aks",
    client: "gke",
    clientNamespace: "mysql-client",
    ...overrides,
});

describe("mesh config", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: carries seed 001's link aks -> gke and the unencrypted namespace without sidecars`, () => {
            const file = readStackFile(stack);
            const config = parseEnvironmentConfig(file.trustmesh, file.path);
            assert.deepEqual(
                config.mesh.links.map((l) => [l.name, l.server, l.client, l.namespace, l.port, l.linkPort, l.clientNamespace]),
                [["mysql", "aks", "gke", "mysql", 3306, 13306, "mysql-client"]],
            );
            assert.equal(config.mesh.example?.cluster, "aks");
            assert.equal(config.mesh.example?.namespace, "mysql");
            const unencrypted = config.namespaces.find((n) => n.name === "unencrypted");
            assert.equal(unencrypted?.sidecarInjection, false);
            assert.deepEqual(unencrypted?.clusters, ["gke"]);
        });
    }

    it("accepts the same linkPort on two different server clusters", () => {
        const values = prodConfig();
        values.namespaces.push({ name: "svc-b", clusters: ["gke"] }, { name: "callers-b", clusters: ["aks"] });
        values.mesh.links.push(link({ name: "other", host: "other.mesh.prod.example.com", server: "gke", client: "aks", namespace: "svc-b", clientNamespace: "callers-b" }));
        const config = parseEnvironmentConfig(values);
        assert.equal(config.mesh.links.length, 2);
    });

    // Each case: what to change, the key the problem must name, and a phrase of its message.
    const bad: Array<{ why: string; edit: (v: Record<string, any>) => void; key: string; says: RegExp }> = [
        {
            why: "two links on one server cluster share a linkPort",
            edit: (v) => v.mesh.links.push(link({ name: "mysql-2", host: "mysql2.mesh.prod.example.com" })),
            key: "trustmesh:mesh.links[1].linkPort",
            says: /13306 is already used by links\[0\] on the aks ingress gateway/,
        },
        { why: "a linkPort in Istio's reserved range", edit: (v) => (v.mesh.links[0].linkPort = 15021), key: "trustmesh:mesh.links[0].linkPort", says: /reserved range 15000-15090/ },
        { why: "an app port in Istio's reserved range", edit: (v) => (v.mesh.links[0].port = 15006), key: "trustmesh:mesh.links[0].port", says: /reserved range/ },
        { why: "the app port is the egress gateway's", edit: (v) => (v.mesh.links[0].port = 15443), key: "trustmesh:mesh.links[0].port", says: /egress gateway's port 15443/ },
        { why: "port equals linkPort", edit: (v) => (v.mesh.links[0].linkPort = 3306), key: "trustmesh:mesh.links[0].linkPort", says: /equals port 3306/ },
        { why: "a port out of range", edit: (v) => (v.mesh.links[0].linkPort = 70000), key: "trustmesh:mesh.links[0].linkPort", says: /65535/ },
        { why: "a host that is not a DNS name", edit: (v) => (v.mesh.links[0].host = "mysql server"), key: "trustmesh:mesh.links[0].host", says: /fully qualified DNS name/ },
        { why: "a host that is an IP address", edit: (v) => (v.mesh.links[0].host = "203.0.113.7"), key: "trustmesh:mesh.links[0].host", says: /fully qualified DNS name/ },
        { why: "an uppercase host", edit: (v) => (v.mesh.links[0].host = "MySQL.mesh.prod.example.com"), key: "trustmesh:mesh.links[0].host", says: /lowercase/ },
        { why: "a single-label host", edit: (v) => (v.mesh.links[0].host = "mysql"), key: "trustmesh:mesh.links[0].host", says: /fully qualified/ },
        { why: "server and client are the same cluster", edit: (v) => (v.mesh.links[0].client = "aks"), key: "trustmesh:mesh.links[0].client", says: /server cluster "aks" too/ },
        {
            why: "two links with one name",
            edit: (v) => v.mesh.links.push(link({ linkPort: 13307, host: "mysql2.mesh.prod.example.com" })),
            key: "trustmesh:mesh.links[1].name",
            says: /already the name of links\[0\]/,
        },
        {
            why: "two links with one host",
            edit: (v) => v.mesh.links.push(link({ name: "mysql-2", linkPort: 13307 })),
            key: "trustmesh:mesh.links[1].host",
            says: /already the host of links\[0\]/,
        },
        { why: "a link name too long for its derived names", edit: (v) => (v.mesh.links[0].name = "a".repeat(38)), key: "trustmesh:mesh.links[0].name", says: /at most 37/ },
        {
            why: "a link to a cluster with no section",
            edit: (v) => {
                delete v.azure;
                v.namespaces = v.namespaces.filter((n: { name: string }) => n.name !== "mysql" && n.name !== "payments");
                delete v.mesh.example;
            },
            key: "trustmesh:mesh.links[0].server",
            says: /no trustmesh:azure section/,
        },
        { why: "a server namespace not configured on the server", edit: (v) => (v.mesh.links[0].namespace = "nowhere"), key: "trustmesh:mesh.links[0].namespace", says: /not in trustmesh:namespaces for cluster "aks"/ },
        {
            why: "a client namespace not configured on the client",
            edit: (v) => (v.mesh.links[0].clientNamespace = "mysql"),
            key: "trustmesh:mesh.links[0].clientNamespace",
            says: /"mysql" is not in trustmesh:namespaces for cluster "gke"/,
        },
        { why: "a host outside the DNS zone", edit: (v) => (v.mesh.links[0].host = "mysql.elsewhere.example.org"), key: "trustmesh:mesh.links[0].host", says: /not inside the DNS zone mesh.prod.example.com/ },
        { why: "a DNS zone in both clouds", edit: (v) => (v.mesh.dns.azureResourceGroup = "dns-rg"), key: "trustmesh:mesh.dns", says: /exactly one of gcpManagedZone/ },
        {
            why: "a Cloud DNS zone without a gcp section",
            edit: (v) => {
                delete v.gcp;
                v.namespaces = v.namespaces.filter((n: { clusters: string[] }) => !n.clusters.includes("gke"));
                v.mesh.links = [];
            },
            key: "trustmesh:mesh.dns.gcpManagedZone",
            says: /needs a trustmesh:gcp section/,
        },
        { why: "an unpinned Istio version", edit: (v) => (v.mesh.istioVersion = "latest"), key: "trustmesh:mesh.istioVersion", says: /pinned version/ },
        { why: "the example on an unpinned image", edit: (v) => (v.mesh.example.image = "docker.io/library/mysql:latest"), key: "trustmesh:mesh.example.image", says: /latest/ },
        { why: "a misspelled link key", edit: (v) => (v.mesh.links[0].linkport = 1), key: "trustmesh:mesh.links[0].linkport", says: /did you mean "linkPort"/ },
    ];
    for (const c of bad) {
        it(`refuses ${c.why}`, () => {
            const values = prodConfig();
            c.edit(values);
            const problems = problemsOf(values);
            const match = problems.find((p) => p.key === c.key && c.says.test(p.message));
            assert.ok(match, `expected a problem at ${c.key} matching ${c.says}; got:\n${problems.map((p) => `${p.key}: ${p.message}`).join("\n")}`);
        });
    }

    it("lists every link problem at once", () => {
        const values = prodConfig();
        values.mesh.links[0].client = "aks";
        values.mesh.links[0].linkPort = 15000;
        values.mesh.links[0].host = "bad host";
        const keys = problemsOf(values).map((p) => p.key);
        for (const key of ["trustmesh:mesh.links[0].client", "trustmesh:mesh.links[0].linkPort", "trustmesh:mesh.links[0].host"]) {
            assert.ok(keys.includes(key), `${key} missing from ${keys.join(", ")}`);
        }
    });
});
