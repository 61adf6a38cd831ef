import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { PolicyViolation } from "../policyRunner";

/** Exit codes shared by `plan` and `check`. */
export const ExitCode = { clean: 0, failed: 1, usage: 2 } as const;

export function writeJsonFile(file: string, value: unknown): void {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Counts of a list by a key, largest first then by name, as aligned lines. */
export function countTable(items: string[], indent = "  "): string[] {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const width = Math.max(0, ...rows.map(([, n]) => String(n).length));
    return rows.map(([name, n]) => `${indent}${String(n).padStart(width)}  ${name}`);
}

/** Violations grouped by enforcement level, mandatory first, each with its policy and message. */
export function violationLines(violations: PolicyViolation[], describe: (v: PolicyViolation) => string): string[] {
    const lines: string[] = [];
    for (const level of ["mandatory", "advisory", "remediate"] as const) {
        const group = violations.filter((v) => v.enforcementLevel === level);
        if (group.length === 0) continue;
        lines.push(`${level} violations (${group.length}):`);
        for (const v of group) lines.push(`  [${v.policy}] ${describe(v)}: ${v.message}`);
    }
    return lines;
}
