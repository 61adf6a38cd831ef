import { strict as assert } from "node:assert";
import { readStackFile, parseStackFile, StackFileError } from "../offline/stackFile";
import { ConfigError, parseEnvironmentConfig } from "../stacks/config";
import { problemsOf } from "./helpers/stacks";

function baseConfig(): Record<string, any> {
    return structuredClone(readStackFile("dev").trustmesh) as Record<string, any>;
}


describe("environment config", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`accepts the project's ${stack} stack file`, () => {
            const file = readStackFile(stack);
            const config = parseEnvironmentConfig(file.trustmesh, file.path);
            assert.equal(config.environment, stack);
        });
    }

    it("applies defaults: policy registries, namespace PSA level, clusters and quota", () => {
        const minimal = parseEnvironmentConfig({ environment: "dev" });
        assert.equal(minimal.policy.enforcement, undefined);
        assert.ok(minimal.policy.allowedRegistries.length > 0);
        assert.deepEqual(minimal.namespaces, []);
        const config = baseConfig();
        config.namespaces.push({ name: "web" });
        const web = parseEnvironmentConfig(config).namespaces.find((ns) => ns.name === "web")!;
        assert.equal(web.podSecurity, "restricted");
        assert.deepEqual(web.clusters, ["gke", "aks"]);
        assert.equal(web.quota.pods, 50);
        assert.equal(web.sidecarInjection, true);
    });

    const invalid: Array<{ name: string; edit: (c: Record<string, any>) => void; key: string; message: RegExp }> = [
        { name: "a misspelled top-level key", edit: (c) => (c.namespacess = []), key: "trustmesh:namespacess", message: /unknown key \(did you mean "namespaces"\?\)/ },
        { name: "a misspelled nested key", edit: (c) => (c.gcp.netwrok = c.gcp.network), key: "trustmesh:gcp.netwrok", message: /did you mean "network".*allowed keys here: .*project/ },
        { name: "a wrongly typed value", edit: (c) => (c.gcp.nodePools[0].minNodes = "one"), key: "trustmesh:gcp.nodePools[0].minNodes", message: /expected number, got string "one"/ },
        { name: "an unknown environment", edit: (c) => (c.environment = "production"), key: "trustmesh:environment", message: /allowed: "dev", "staging", "prod"/ },
        { name: "a missing required key", edit: (c) => delete c.gcp.project, key: "trustmesh:gcp.project", message: /is required/ },
        { name: "a CIDR with host bits", edit: (c) => (c.gcp.network.podsCidr = "10.20.0.1/16"), key: "trustmesh:gcp.network.podsCidr", message: /zero host bits/ },
        { name: "0.0.0.0/0 in authorized networks", edit: (c) => (c.gcp.cluster.authorizedNetworks[0].cidrBlock = "0.0.0.0/0"), key: "trustmesh:gcp.cluster.authorizedNetworks[0].cidrBlock", message: /whole internet/ },
        { name: "overlapping ranges", edit: (c) => (c.gcp.network.servicesCidr = "10.20.16.0/20"), key: "trustmesh:gcp.network.servicesCidr", message: /overlaps trustmesh:gcp.network.podsCidr|overlaps podsCidr/ },
        { name: "advisory enforcement in prod", edit: (c) => { c.environment = "prod"; c.policy = { enforcement: "advisory" }; }, key: "trustmesh:policy.enforcement", message: /refused in prod/ },
        { name: "a duplicate namespace", edit: (c) => c.namespaces.push({ ...c.namespaces[0] }), key: "trustmesh:namespaces[N].name", message: /listed twice/ },
        { name: "baseline without a reason", edit: (c) => c.namespaces.push({ name: "legacy", podSecurity: "baseline" }), key: "trustmesh:namespaces[N].baselineReason", message: /is required when podSecurity is baseline/ },
        { name: "a reserved namespace", edit: (c) => c.namespaces.push({ name: "kube-system" }), key: "trustmesh:namespaces[N].name", message: /reserved/ },
        { name: "a quota that is not a quantity", edit: (c) => c.namespaces.push({ name: "web", quota: { requestsCpu: "lots" } }), key: "trustmesh:namespaces[N].quota.requestsCpu", message: /Kubernetes quantity/ },
        { name: "a public GKE control plane in prod", edit: (c) => { c.environment = "prod"; c.gcp.cluster.privateEndpoint = false; }, key: "trustmesh:gcp.cluster.privateEndpoint", message: /refused in prod/ },
        { name: "Binary Authorization off in prod", edit: (c) => { c.environment = "prod"; c.gcp.cluster.binaryAuthorization = false; }, key: "trustmesh:gcp.cluster.binaryAuthorization", message: /refused in prod/ },
        { name: "the RAPID channel in prod", edit: (c) => { c.environment = "prod"; c.gcp.cluster.releaseChannel = "RAPID"; }, key: "trustmesh:gcp.cluster.releaseChannel", message: /"RAPID" is refused in prod/ },
        { name: "a namespace on a cluster with no section", edit: (c) => { delete c.azure; c.namespaces = [{ name: "web", clusters: ["aks"] }]; c.mesh = {}; }, key: "trustmesh:namespaces[0].clusters[0]", message: /no trustmesh:azure section/ },
    ];

    for (const testCase of invalid) {
        it(`rejects ${testCase.name}, naming ${testCase.key}`, () => {
            const config = baseConfig();
            testCase.edit(config);
            // [N] stands for the last namespace, the one a case appends.
            const key = testCase.key.replace("[N]", `[${(config.namespaces?.length ?? 1) - 1}]`);
            const problems = problemsOf(config);
            const problem = problems.find((p) => p.key === key);
            assert.ok(problem, `no problem for ${key}; got ${JSON.stringify(problems)}`);
            assert.match(problem.message, testCase.message);
        });
    }

    it("lets dev choose a public GKE endpoint, no Binary Authorization and the RAPID channel", () => {
        const config = baseConfig();
        Object.assign(config.gcp.cluster, { privateEndpoint: false, binaryAuthorization: false, releaseChannel: "RAPID" });
        assert.equal(parseEnvironmentConfig(config).gcp!.cluster.releaseChannel, "RAPID");
    });

    it("reports cross-section rules in the same pass as shape errors elsewhere", () => {
        const config = baseConfig();
        config.environment = "prod";
        config.policy = { enforcement: "advisory" };
        config.gcp.regoin = "europe-west1";
        config.azure.cluster.tier = "Free";
        const keys = problemsOf(config).map((p) => p.key);
        assert.ok(keys.includes("trustmesh:gcp.regoin"), keys.join(", "));
        assert.ok(keys.includes("trustmesh:policy.enforcement"), keys.join(", "));
        assert.ok(keys.includes("trustmesh:azure.cluster.tier"), keys.join(", "));
    });

    it("reports every problem at once: a misspelled key and a wrongly typed value", () => {
        const config = baseConfig();
        config.gcp.regoin = "europe-west1";
        config.namespaces[0].quota = { pods: "many" };
        const error = (() => {
            try {
                parseEnvironmentConfig(config, "Pulumi.dev.yaml");
            } catch (e) {
                return e as ConfigError;
            }
            return assert.fail("expected a ConfigError");
        })();
        const keys = error.problems.map((p) => p.key);
        assert.ok(keys.includes("trustmesh:gcp.regoin"));
        assert.ok(keys.includes("trustmesh:namespaces[0].quota.pods"));
        assert.match(error.message, /in Pulumi\.dev\.yaml \(2 problems\)/);
        assert.match(error.message, /trustmesh:gcp\.regoin: unknown key \(did you mean "region"\?\)/);
    });
});

describe("stack files", () => {
    it("replaces secure: values by stable placeholders and marks their keys secret", () => {
        const text = "config:\n  trustmesh:environment: dev\n  trustmesh:azure:\n    keyVault:\n      secrets:\n        db:\n          secure: v1:abc\n  gcp:project: p\n";
        const a = parseStackFile("dev", text, "a.yaml");
        const b = parseStackFile("dev", text, "b.yaml");
        assert.deepEqual(a.secretKeys, ["trustmesh:azure"]);
        const secret = (a.trustmesh.azure as any).keyVault.secrets.db as string;
        assert.match(secret, /^offline-secret-[0-9a-f]{12}$/);
        assert.equal(secret, (b.trustmesh.azure as any).keyVault.secrets.db);
        assert.equal(a.config["gcp:project"], "p");
        assert.equal(JSON.parse(a.config["trustmesh:azure"]!).keyVault.secrets.db, secret);
    });

    it("refuses YAML that does not parse, naming the file", () => {
        assert.throws(() => parseStackFile("dev", "config:\n  a: [1,\n", "bad.yaml"), (e: unknown) => e instanceof StackFileError && /bad\.yaml is not valid YAML/.test(e.message));
    });

    it("refuses a stack with no file and a stack name with path characters", () => {
        assert.throws(() => readStackFile("nope"), /no stack file for stack "nope"/);
        assert.throws(() => readStackFile("../etc"), /may contain only letters/);
    });
});
