import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    gkeRangeProblems,
    isServiceAccountId,
    roleProblem,
    serviceAccountIdFor,
    workloadIdentityMember,
    workloadIdentityPool,
} from "../components/gcpRules";
import { parseEnvironmentConfig } from "../stacks/config";
import { defaultGkeNodePools, resolveGkeSettings } from "../stacks/config/gcp";
import { problemsOf, stackConfig } from "./helpers/stacks";



describe("GCP config", () => {
    const invalid: Array<{ name: string; edit: (gcp: Record<string, any>) => void; key: string; message: RegExp }> = [
        { name: "a missing project", edit: (g) => delete g.project, key: "trustmesh:gcp.project", message: /is required/ },
        { name: "a missing region", edit: (g) => delete g.region, key: "trustmesh:gcp.region", message: /is required/ },
        { name: "a malformed project id", edit: (g) => (g.project = "Trustmesh_Dev"), key: "trustmesh:gcp.project", message: /GCP project id/ },
        { name: "a pod range smaller than a /21", edit: (g) => (g.network.podsCidr = "10.20.0.0/22"), key: "trustmesh:gcp.network.podsCidr", message: /too small: use at least a \/21/ },
        { name: "a service range smaller than a /24", edit: (g) => (g.network.servicesCidr = "10.30.0.0/25"), key: "trustmesh:gcp.network.servicesCidr", message: /at least a \/24/ },
        { name: "a node range smaller than a /29", edit: (g) => (g.network.nodesCidr = "10.10.0.0/30"), key: "trustmesh:gcp.network.nodesCidr", message: /at least a \/29/ },
        { name: "a master range that is not a /28", edit: (g) => (g.network.masterCidr = "172.16.0.0/27"), key: "trustmesh:gcp.network.masterCidr", message: /exactly a \/28/ },
        { name: "a public master range", edit: (g) => (g.network.masterCidr = "8.8.8.0/28"), key: "trustmesh:gcp.network.masterCidr", message: /RFC 1918/ },
        { name: "pods overlapping nodes", edit: (g) => (g.network.podsCidr = "10.10.0.0/16"), key: "trustmesh:gcp.network.podsCidr", message: /overlaps nodesCidr/ },
        { name: "master overlapping services", edit: (g) => (g.network.masterCidr = "10.30.0.0/28"), key: "trustmesh:gcp.network.masterCidr", message: /overlaps servicesCidr/ },
        {
            name: "0.0.0.0/0 in authorized networks",
            edit: (g) => (g.cluster.authorizedNetworks = [{ displayName: "anyone", cidrBlock: "0.0.0.0/0" }]),
            key: "trustmesh:gcp.cluster.authorizedNetworks[0].cidrBlock",
            message: /whole internet/,
        },
        {
            name: "an authorized network wider than a /8 (0.0.0.0/0 in halves)",
            edit: (g) => (g.cluster.authorizedNetworks = [{ displayName: "half", cidrBlock: "0.0.0.0/1" }]),
            key: "trustmesh:gcp.cluster.authorizedNetworks[0].cidrBlock",
            message: /wider than a \/8/,
        },
        {
            name: "an authorized network listed twice",
            edit: (g) => g.cluster.authorizedNetworks.push({ ...g.cluster.authorizedNetworks[0] }),
            key: "trustmesh:gcp.cluster.authorizedNetworks[1].cidrBlock",
            message: /listed twice/,
        },
        { name: "a zone outside the region", edit: (g) => (g.zones = ["europe-west1-b", "us-east1-c"]), key: "trustmesh:gcp.zones[1]", message: /not in region europe-west1/ },
        { name: "a node pool listed twice", edit: (g) => g.nodePools.push({ name: "apps" }), key: "trustmesh:gcp.nodePools[2].name", message: /listed twice/ },
        { name: "only system pools", edit: (g) => (g.nodePools = [{ name: "system", system: true }]), key: "trustmesh:gcp.nodePools", message: /applications have nowhere to run/ },
        { name: "a cluster name over 40 characters", edit: (g) => (g.cluster.name = "a".repeat(41)), key: "trustmesh:gcp.cluster.name", message: /at most 40/ },
        { name: "an unknown release channel", edit: (g) => (g.cluster.releaseChannel = "EXTENDED"), key: "trustmesh:gcp.cluster.releaseChannel", message: /allowed: "RAPID", "REGULAR", "STABLE"/ },
    ];

    for (const testCase of invalid) {
        it(`rejects ${testCase.name}, naming ${testCase.key}`, () => {
            const config = stackConfig("dev");
            testCase.edit(config.gcp);
            const problems = problemsOf(config);
            const problem = problems.find((p) => p.key === testCase.key);
            assert.ok(problem, `no problem for ${testCase.key}; got ${JSON.stringify(problems)}`);
            assert.match(problem.message, testCase.message);
        });
    }

    it("reports every range problem at once", () => {
        const config = stackConfig("dev");
        config.gcp.network = { nodesCidr: "10.10.0.0/30", podsCidr: "10.20.0.0/22", servicesCidr: "10.20.0.0/25", masterCidr: "172.16.0.0/27" };
        const keys = problemsOf(config).map((p) => p.key);
        for (const field of ["nodesCidr", "podsCidr", "servicesCidr", "masterCidr"]) {
            assert.ok(keys.includes(`trustmesh:gcp.network.${field}`), `${field} in ${keys.join(", ")}`);
        }
    });

    describe("resolveGkeSettings", () => {
        it("dev: public endpoint behind authorized networks, REGULAR, no deletion protection, no Binary Authorization", () => {
            const settings = resolveGkeSettings(parseEnvironmentConfig(stackConfig("dev")));
            assert.equal(settings.clusterName, "dev-gke");
            assert.equal(settings.privateEndpoint, false);
            assert.equal(settings.releaseChannel, "REGULAR");
            assert.equal(settings.deletionProtection, false);
            assert.equal(settings.binaryAuthorization, false);
            assert.deepEqual(settings.authorizedNetworks, [{ displayName: "office", cidrBlock: "198.51.100.0/24" }]);
        });

        it("staging: deletion protection on, the rest as dev", () => {
            const settings = resolveGkeSettings(parseEnvironmentConfig(stackConfig("staging")));
            assert.equal(settings.deletionProtection, true);
            assert.equal(settings.privateEndpoint, false);
            assert.equal(settings.releaseChannel, "REGULAR");
        });

        it("prod: private endpoint, STABLE, deletion protection, Binary Authorization", () => {
            const settings = resolveGkeSettings(parseEnvironmentConfig(stackConfig("prod")));
            assert.equal(settings.clusterName, "prod-gke");
            assert.equal(settings.privateEndpoint, true);
            assert.equal(settings.releaseChannel, "STABLE");
            assert.equal(settings.deletionProtection, true);
            assert.equal(settings.binaryAuthorization, true);
            assert.deepEqual(settings.zones, ["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
        });

        it("explicit settings win over the environment's defaults; deletion protection is not a setting", () => {
            // Staging defaults to a public endpoint, REGULAR and no Binary Authorization; prod refuses the weak side.
            const config = stackConfig("staging");
            Object.assign(config.gcp.cluster, { name: "edge", privateEndpoint: true, releaseChannel: "STABLE", binaryAuthorization: true });
            const settings = resolveGkeSettings(parseEnvironmentConfig(config));
            assert.equal(settings.clusterName, "edge");
            assert.equal(settings.privateEndpoint, true);
            assert.equal(settings.releaseChannel, "STABLE");
            assert.equal(settings.binaryAuthorization, true);
            assert.equal(settings.deletionProtection, true);
        });

        it("defaults to a tainted system pool and an apps pool when the stack lists none", () => {
            const config = stackConfig("dev");
            delete config.gcp.nodePools;
            const settings = resolveGkeSettings(parseEnvironmentConfig(config));
            assert.deepEqual(settings.nodePools, defaultGkeNodePools);
            assert.deepEqual(settings.nodePools.map((p) => [p.name, p.system]), [["system", true], ["apps", false]]);
        });

        it("refuses a config with no gcp section", () => {
            const config = stackConfig("dev");
            delete config.gcp;
            config.namespaces = config.namespaces.filter((ns: { clusters?: string[] }) => !(ns.clusters ?? ["gke"]).includes("gke"));
            delete config.mesh;
            delete config.workloads;
            assert.throws(() => resolveGkeSettings(parseEnvironmentConfig(config)), /no trustmesh:gcp section/);
        });
    });
});

describe("GCP rules", () => {
    it("gkeRangeProblems accepts the stacks' ranges and names each bad field", () => {
        assert.deepEqual(gkeRangeProblems({ nodesCidr: "10.10.0.0/20", podsCidr: "10.20.0.0/16", servicesCidr: "10.30.0.0/20", masterCidr: "172.16.0.0/28" }), []);
        const table: Array<[Record<string, string>, string, RegExp]> = [
            [{ nodesCidr: "10.10.0.0/20", podsCidr: "10.20.0.0/21", servicesCidr: "10.30.0.0/24", masterCidr: "192.168.0.0/28" }, "", /^$/],
            [{ podsCidr: "10.20.0.0/22" }, "podsCidr", /too small/],
            [{ servicesCidr: "10.30.0.0/28" }, "servicesCidr", /too small/],
            [{ masterCidr: "10.0.0.0/29" }, "masterCidr", /exactly a \/28/],
            [{ masterCidr: "100.64.0.0/28" }, "masterCidr", /RFC 1918/],
            [{ nodesCidr: "10.0.0.0/16", podsCidr: "10.0.128.0/17" }, "podsCidr", /overlaps nodesCidr/],
        ];
        for (const [ranges, field, message] of table) {
            const problems = gkeRangeProblems(ranges);
            if (!field) {
                assert.deepEqual(problems, []);
                continue;
            }
            const problem = problems.find((p) => p.field === field);
            assert.ok(problem, `${JSON.stringify(ranges)}: ${JSON.stringify(problems)}`);
            assert.match(problem.message, message);
        }
    });

    it("refuses the primitive roles and malformed role names, accepts predefined and custom roles", () => {
        for (const role of ["roles/owner", "roles/editor", "roles/viewer"]) assert.match(roleProblem(role)!, /primitive role and is refused/);
        for (const role of ["owner", "roles/", "roles/dns admin", "projects/x/roles/y"]) assert.match(roleProblem(role)!, /not an IAM role name/);
        for (const role of ["roles/dns.admin", "roles/cloudsql.client", "projects/trustmesh-dev/roles/certManagerDns", "organizations/123456/roles/custom_role"]) {
            assert.equal(roleProblem(role), undefined, role);
        }
    });

    it("derives a valid service account id from any name", () => {
        assert.equal(serviceAccountIdFor("dev-gke-system"), "dev-gke-system");
        assert.equal(serviceAccountIdFor("gke"), "gke-sa");
        fc.assert(
            fc.property(fc.string({ maxLength: 80 }), (name) => {
                const id = serviceAccountIdFor(name);
                return isServiceAccountId(id);
            }),
        );
        const a = serviceAccountIdFor("gke-cert-manager-dns01-solver-production");
        const b = serviceAccountIdFor("gke-cert-manager-dns01-solver-productio2");
        assert.notEqual(a, b);
        assert.ok(a.length <= 30);
    });

    it("names the Kubernetes identity of a ServiceAccount in the project's pool", () => {
        assert.equal(workloadIdentityMember(workloadIdentityPool("trustmesh-dev"), "payments", "api"), "serviceAccount:trustmesh-dev.svc.id.goog[payments/api]");
    });
});
