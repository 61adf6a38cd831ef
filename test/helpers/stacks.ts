import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { strict as assert } from "node:assert";
import { readStackFile, stackFilePath } from "../../offline/stackFile";
import { ConfigError, parseEnvironmentConfig, type ConfigProblem } from "../../stacks/config";

/** A temp stacks folder holding one stack file: the named project stack with `edit` applied to its config. */
export function tempStack(base: string, stack: string, edit: (config: Record<string, any>) => void): string {
    const doc = parseDocument(readFileSync(stackFilePath(base), "utf8"));
    const json = doc.toJS() as { config: Record<string, any> };
    edit(json.config);
    const dir = mkdtempSync(path.join(tmpdir(), "trustmesh-stack-"));
    writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), JSON.stringify(json, null, 2));
    return dir;
}

/** Captures what a CLI writes to stdout and stderr. */
export function captureOutput(): { out: string[]; err: string[]; log: (line: string) => void; error: (line: string) => void } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, log: (line) => out.push(line), error: (line) => err.push(line) };
}

/** A copy of a project stack's `trustmesh:` config, safe to edit. */
export function stackConfig(stack: string): Record<string, any> {
    return structuredClone(readStackFile(stack).trustmesh) as Record<string, any>;
}

/** The problems the config schema reports for `values`; fails the test if it accepts them. */
export function problemsOf(values: Record<string, unknown>): ConfigProblem[] {
    try {
        parseEnvironmentConfig(values);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.problems;
    }
    assert.fail("expected the config to be rejected");
}
