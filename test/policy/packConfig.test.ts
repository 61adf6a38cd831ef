import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
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

    for (const [stack, level] of [["dev", "advisory"], ["staging", "mandatory"], ["prod", "mandatory"]]) {
        it(`policy/config/${stack}.json sets ${level} and gives every config-reading policy environment ${stack}`, () => {
            const config = JSON.parse(readFileSync(path.join(configDir, `${stack}.json`), "utf8")) as Record<string, any>;
            assert.equal(config.all, level);
            for (const p of allPolicies.filter((p) => p.configSchema)) {
                assert.equal(config[p.name]?.environment, stack, p.name);
                if ("allowedRegistries" in p.configSchema!.properties) assert.ok(Array.isArray(config[p.name].allowedRegistries), p.name);
            }
            for (const key of Object.keys(config).filter((k) => k !== "all")) {
                assert.ok(allPolicies.some((p) => p.name === key && p.configSchema), `${key} is not a config-reading policy`);
            }
        });
    }
});
