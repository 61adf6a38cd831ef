import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const root = path.resolve(__dirname, "..");
const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; config: Record<string, { default?: unknown; type?: string }> };

/**
 * The Pulumi CLI refuses a stack that lacks a key Pulumi.yaml declares without a default ("Stack 'dev'
 * is missing configuration values ..."), before the program runs; the offline plan never reads
 * Pulumi.yaml, so this was first seen under the real CLI (npm run e2e).
 */
describe("Pulumi.yaml config block, as the CLI checks it", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: sets every declared key that has no default`, () => {
            const file = parse(readFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
            const missing = Object.entries(project.config)
                .filter(([, declaration]) => declaration.default === undefined)
                .map(([key]) => key)
                .filter((key) => !(`${project.name}:${key}` in file.config));
            assert.deepEqual(missing, [], `the CLI would refuse stack ${stack}`);
        });
    }

    it("gives optional object sections an object default", () => {
        for (const key of ["policy", "deploy", "platform"]) {
            assert.deepEqual(project.config[key], { ...project.config[key], type: "object", default: {} }, key);
        }
    });
});
