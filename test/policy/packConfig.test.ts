import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { configuredLevel, packEnforcementOf, stackPackConfig } from "../../policy/packConfig";
import { allPolicies, policiesByDomain } from "../../policy/registry";

const configDir = path.join(__dirname, "..", "..", "policy", "config");

describe("policy: the pack catalogue and its per-stack config", () => {
    it("names every policy in kebab-case, once, with a description that starts 'Checks that' and a domain", () => {
        const names = allPolicies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "duplicate policy names");
        for (const p of allPolicies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
            assert.match(p.description ?? "", /^Checks that /, p.name);
            assert.ok(p.severity, p.name);
            assert.ok(Object.keys(policiesByDomain).includes(p.domain), p.name);
        }
        assert.ok(allPolicies.length >= 60, `${allPolicies.length} policies`);
    });

    for (const [stack, all] of [["dev", "advisory"], ["staging", undefined], ["prod", undefined]]) {
        it(`policy/config/${stack}.json sets all=${all ?? "(left out: each policy's own level)"} and gives every config-reading policy environment ${stack}`, () => {
            const config = JSON.parse(readFileSync(path.join(configDir, `${stack}.json`), "utf8")) as Record<string, any>;
            assert.equal(config.all, all);
            for (const p of allPolicies.filter((p) => p.configSchema)) {
                assert.equal(config[p.name]?.environment, stack, p.name);
                if ("allowedRegistries" in p.configSchema!.properties) assert.ok(Array.isArray(config[p.name].allowedRegistries), p.name);
            }
            for (const key of Object.keys(config).filter((k) => k !== "all")) {
                assert.ok(allPolicies.some((p) => p.name === key && p.configSchema), `${key} is not a config-reading policy`);
            }
        });
    }

    describe("levels as the Pulumi CLI reconciles them (pkg/resource/analyzer ReconcilePolicyPackConfig)", () => {
        const advisory = { name: "some-advisory", enforcementLevel: "advisory" as const };
        const mandatory = { name: "some-mandatory", enforcementLevel: "mandatory" as const };
        const disabled = { name: "some-disabled", enforcementLevel: "disabled" as const };

        it("keeps each policy's own level when the file sets none", () => {
            assert.deepEqual([advisory, mandatory, disabled].map((p) => configuredLevel(p, {})), ["advisory", "mandatory", "disabled"]);
            assert.equal(configuredLevel({ name: "no-level" }, {}), "advisory");
        });

        it("gives every policy the level of `all`: advisory ones become mandatory and disabled ones run", () => {
            for (const all of ["mandatory", { enforcementLevel: "mandatory" }]) {
                assert.deepEqual([advisory, mandatory, disabled].map((p) => configuredLevel(p, { all })), ["mandatory", "mandatory", "mandatory"]);
            }
            assert.deepEqual([advisory, mandatory].map((p) => configuredLevel(p, { all: "advisory" })), ["advisory", "advisory"]);
        });

        it("lets a policy's own entry, string or object, override `all`; settings without a level leave it", () => {
            assert.equal(configuredLevel(advisory, { all: "mandatory", "some-advisory": "advisory" }), "advisory");
            assert.equal(configuredLevel(mandatory, { all: "advisory", "some-mandatory": { enforcementLevel: "mandatory", threshold: 3 } }), "mandatory");
            assert.equal(configuredLevel(mandatory, { all: "advisory", "some-mandatory": { threshold: 3 } }), "advisory");
        });

        it("refuses a level the CLI refuses, naming the key and the allowed levels", () => {
            assert.throws(() => configuredLevel(advisory, { all: "blocking" }), /"all" sets enforcement level "blocking"; allowed: advisory, mandatory, remediate, disabled/);
            assert.throws(() => configuredLevel(advisory, { "some-advisory": { enforcementLevel: 2 } }), /"some-advisory" sets enforcement level 2/);
        });

        it("runs every pack policy at its own level in staging and prod, and every one advisory in dev", () => {
            for (const stack of ["staging", "prod"]) {
                const file = JSON.parse(readFileSync(path.join(configDir, `${stack}.json`), "utf8")) as Record<string, unknown>;
                for (const p of allPolicies) assert.equal(configuredLevel(p, file), p.enforcementLevel ?? "advisory", `${stack}: ${p.name}`);
                assert.equal(packEnforcementOf(file), "mandatory");
            }
            const dev = JSON.parse(readFileSync(path.join(configDir, "dev.json"), "utf8")) as Record<string, unknown>;
            assert.ok(allPolicies.every((p) => configuredLevel(p, dev) === "advisory"));
            assert.ok(allPolicies.some((p) => p.enforcementLevel === "advisory") && allPolicies.some((p) => p.enforcementLevel === "mandatory"));
        });

        it("writes a stack's enforcement into its pack config: advisory sets `all`, mandatory removes it", () => {
            const base = { all: "advisory", "workload-image-registry": { environment: "x", allowedRegistries: ["a/"] } };
            const settings = { environment: "staging", allowedRegistries: ["r.example.com/"] };
            assert.deepEqual(stackPackConfig(base, { ...settings, enforcement: "mandatory" }), { "workload-image-registry": { environment: "staging", allowedRegistries: ["r.example.com/"] } });
            assert.equal(stackPackConfig({}, { ...settings, enforcement: "advisory" }).all, "advisory");
            assert.equal(stackPackConfig(base, settings).all, "advisory");
        });
    });
});
