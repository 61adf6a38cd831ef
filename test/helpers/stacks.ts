import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { stackFilePath } from "../../offline/stackFile";

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
