import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { planJson, planStack, writeManifests } from "../offline/plan";

// Planning the same stack twice must give byte-identical plan JSON and manifests: in one process
// (no clock, counter or random value leaks into the plan) and in a fresh process (no per-process
// seed either). Durations live in PlanResult.durationMs/timings and must stay out of the JSON.

const root = path.resolve(__dirname, "..");

function filesUnder(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (at: string) => {
        for (const entry of readdirSync(at, { withFileTypes: true })) {
            const full = path.join(at, entry.name);
            if (entry.isDirectory()) walk(full);
            else files.set(path.relative(dir, full), readFileSync(full, "utf8"));
        }
    };
    walk(dir);
    return files;
}

/** Names what differs between two plan JSONs: the first resource (by URN) or top-level field. */
function firstDifference(a: ReturnType<typeof planJson>, b: ReturnType<typeof planJson>): string {
    const byUrn = new Map(b.resources.map((r) => [r.urn, JSON.stringify(r)]));
    for (const r of a.resources) {
        const other = byUrn.get(r.urn);
        if (other === undefined) return `resource ${r.urn} is only in the first plan`;
        if (other !== JSON.stringify(r)) return `resource ${r.urn} differs:\n${JSON.stringify(r)}\n${other}`;
    }
    if (a.resources.length !== b.resources.length) return `${a.resources.length} vs ${b.resources.length} resources`;
    for (const key of Object.keys(a) as Array<keyof typeof a>) {
        if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `field "${key}" differs`;
    }
    return "the serialisations differ";
}

function assertSameManifests(first: string, second: string, what: string): void {
    const a = filesUnder(first);
    const b = filesUnder(second);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), `${what}: different manifest files`);
    assert.ok(a.size > 0, `${what}: no manifests were written`);
    for (const [file, text] of a) assert.ok(b.get(file) === text, `${what}: ${file} differs`);
}

async function planTwice(stack: string, work: string) {
    const plans = [];
    for (const run of ["a", "b"]) {
        const result = await planStack({ stack });
        writeManifests(result, path.join(work, run));
        plans.push(planJson(result));
    }
    return plans as [ReturnType<typeof planJson>, ReturnType<typeof planJson>];
}

describe("plan determinism", function () {
    this.timeout(300_000);
    let work: string;
    beforeEach(() => (work = mkdtempSync(path.join(tmpdir(), "determinism-"))));
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    for (const stack of ["dev", "prod"]) {
        it(`plans ${stack} twice in one process to byte-identical JSON and manifests`, async () => {
            const [a, b] = await planTwice(stack, work);
            assert.ok(a.resources.length > 0, "the plan registered nothing");
            assert.ok(JSON.stringify(a) === JSON.stringify(b), `${stack}: ${firstDifference(a, b)}`);
            // Durations live in PlanResult.durationMs/timings, never in the JSON.
            assert.doesNotMatch(JSON.stringify(a), /"(durationMs|timings|\w+Ms|startedAt|finishedAt|timestamp)":/);
            assertSameManifests(path.join(work, "a"), path.join(work, "b"), stack);
        });
    }

    it("plans prod in a fresh process to the same JSON and manifests as in this one", async () => {
        const result = await planStack({ stack: "prod" });
        writeManifests(result, path.join(work, "here"));
        const json = path.join(work, "child.json");
        const child = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "offline/cli/plan.ts"), "--stack", "prod", "--json", json, "--out", path.join(work, "child")], {
            cwd: root,
            encoding: "utf8",
        });
        assert.ok(child.status === 0 || child.status === 1, `the plan CLI exited ${child.status}:\n${child.stderr}`);
        const here = planJson(result);
        const there = JSON.parse(readFileSync(json, "utf8")) as ReturnType<typeof planJson>;
        assert.ok(JSON.stringify(here) === JSON.stringify(there), `prod across processes: ${firstDifference(here, there)}`);
        assertSameManifests(path.join(work, "here"), path.join(work, "child"), "prod across processes");
    });
});
