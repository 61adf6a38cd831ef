import { strict as assert } from "node:assert";
import { runPolicies, type PolicySubject, type PolicyViolation } from "../../offline/policyRunner";
import { policiesByDomain, policyNamed } from "../../policy/registry";
import type { PolicyDomain, TrustmeshPackConfig, TrustmeshPolicy } from "../../policy/types";

/** Table-driven policy tests: a compliant subject passes, the same with exactly one field changed fails. */

export function clone<T>(value: T): T {
    return structuredClone(value);
}

/** The parts of a dotted path; `[...]` quotes a key with dots (`metadata.labels[app.kubernetes.io/name]`). */
export function pathParts(path: string): string[] {
    return [...path.matchAll(/\[([^\]]+)\]|[^.[\]]+/g)].map((m) => m[1] ?? m[0]);
}

/** Sets `path` (dots, numeric parts index arrays) to `value` on a copy; `undefined` deletes the field. */
export function withField<T extends object>(value: T, path: string, field: unknown): T {
    const copy = clone(value) as any;
    const parts = pathParts(path);
    let current = copy;
    for (const part of parts.slice(0, -1)) {
        if (current[part] === undefined || current[part] === null) current[part] = /^\d+$/.test(part) ? [] : {};
        current = current[part];
    }
    const last = parts[parts.length - 1]!;
    if (field === undefined) delete current[last];
    else current[last] = field;
    return copy;
}

let counter = 0;
export function subject(type: string, props: Record<string, any>, extra: Partial<PolicySubject> = {}): PolicySubject {
    counter += 1;
    const name = String(props?.metadata?.name ?? `r${counter}`);
    return { urn: `urn:pulumi:test::trustmesh::${type}::${name}-${counter}`, type, name, props, ...extra };
}

export interface RunOptions {
    config?: TrustmeshPackConfig;
    secretPaths?: string[];
}

/** Violations of the named policies only (plus a run of the whole domain, which must not crash). */
export function violationsOf(policyName: string, subjects: PolicySubject[], options: RunOptions = {}): PolicyViolation[] {
    const policy = policyNamed(policyName);
    return runPolicies(subjects, { policies: [policy], config: options.config ?? { environment: "prod" } });
}

export interface Row {
    /** Policy under test. */
    policy: string;
    /** The field that is changed (dotted path into the compliant props) and its bad value; undefined deletes it. */
    path: string;
    value: unknown;
    /** Override of the compliant props and type for this row. @default - the table's */
    base?: Record<string, any>;
    type?: string;
    config?: TrustmeshPackConfig;
    secretPaths?: string[];
    /** The secret paths of the changed resource, when the one thing changed is a value's secretness (path is then ""). */
    changedSecretPaths?: string[];
    /** Extra subjects that make the stack (for stack policies). */
    others?: PolicySubject[];
}

/** Declares, per row, "<policy> passes the compliant resource" and "<policy> fails with <path> changed". */
export function policyTable(type: string, base: Record<string, any>, rows: Row[]): void {
    for (const row of rows) {
        const props = row.base ?? base;
        const t = row.type ?? type;
        const run = (p: Record<string, any>, secretPaths = row.secretPaths) =>
            violationsOf(row.policy, [subject(t, p, secretPaths ? { secretPaths } : {}), ...(row.others ?? [])], { config: row.config });
        it(`${row.policy}: passes the compliant ${t.split(":").pop()}`, () => {
            assert.deepEqual(run(props).map((v) => v.message), []);
        });
        const what = row.changedSecretPaths ? `its secret paths are ${JSON.stringify(row.changedSecretPaths)}` : `${row.path} is ${JSON.stringify(row.value)}`;
        it(`${row.policy}: fails when ${what}`, () => {
            const changed = row.changedSecretPaths ? props : withField(props, row.path, row.value);
            if (!row.changedSecretPaths) assert.notDeepEqual(changed, props, "the row must change the resource");
            const found = run(changed, row.changedSecretPaths ?? row.secretPaths);
            assert.ok(found.length > 0, `expected a ${row.policy} violation`);
            for (const v of found) assert.equal(v.policy, row.policy);
        });
    }
}

/** Broken shapes every policy of a domain must survive without crashing or reporting a false positive on unknowns. */
export function nullSafety(domain: PolicyDomain, types: string[]): void {
    const policies: TrustmeshPolicy[] = policiesByDomain[domain];
    const shapes: Record<string, any>[] = [
        {},
        { metadata: null, spec: null, properties: null },
        { spec: { template: null, jobTemplate: { spec: null } } },
        { spec: { containers: [null, { name: null, securityContext: null, resources: null, ports: [null], env: [null] }], volumes: [null], securityContext: null } },
        { spec: { servers: [null, { port: null, tls: null }], subsets: [null], trafficPolicy: null, tcp: [null], http: [{ route: [null] }] } },
        { properties: { networkAcls: null }, nodeConfig: null, nodePools: [null], addonProfiles: null, agentPoolProfiles: [null], securityProfile: null },
        { data: null, stringData: null, values: null, role: null, roleDefinitionId: null, scope: null },
    ];
    for (const type of types) {
        it(`${domain}: survives null and missing fields on ${type}`, () => {
            for (const shape of shapes) {
                assert.doesNotThrow(() => runPolicies([subject(type, shape)], { policies, config: { environment: "prod" } }));
            }
        });
    }
}

/** Asserts that the named policy reports nothing. */
export function assertClean(found: PolicyViolation[]): void {
    assert.deepEqual(found.map((v) => `${v.policy}: ${v.message}`), []);
}
