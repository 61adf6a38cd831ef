import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { planCli } from "../offline/cli/plan";
import { readStackFile } from "../offline/stackFile";
import { ConfigError, environmentSchema, formatKey, isCanonicalCidr, objectKeysAt, parseEnvironmentConfig } from "../stacks/config";

// Property-based robustness of the stack config: every malformed config (a valid stack with one
// thing broken) is refused with a ConfigError that names the broken key, at the parse level and
// through `npm run plan` (exit 2, the key in the message, no stack trace, nothing registered).

type Json = unknown;
type Path = (string | number)[];

interface Base {
    stack: string;
    /** Non-trustmesh keys of the stack file (provider config), kept as they are. */
    providerConfig: Record<string, string>;
    trustmesh: Record<string, Json>;
}

interface Malformed {
    kind: string;
    base: string;
    providerConfig: Record<string, string>;
    trustmesh: Record<string, Json>;
    /** The keys (`trustmesh:...`) of which at least one must be named. */
    expected: string[];
}

/** Two valid links, so the fuzzing reaches the mesh section too. */
function withLinks(trustmesh: Record<string, Json>): Record<string, Json> {
    const mesh = (trustmesh.mesh as Record<string, Json> | undefined) ?? {};
    const domain = (mesh.dns as { domain?: string } | undefined)?.domain ?? "example.com";
    const links = [
        { name: "fuzz-orders-db", service: "mysql", namespace: "mysql", port: 3306, linkPort: 15443, host: `fuzz-mysql.${domain}`, server: "aks", client: "gke", clientNamespace: "payments" },
        { name: "fuzz-ledger", service: "ledger", namespace: "payments", port: 8443, linkPort: 15444, host: `fuzz-ledger.${domain}`, server: "gke", client: "aks", clientNamespace: "payments" },
    ];
    return { ...trustmesh, mesh: { ...mesh, links: [...((mesh.links as Json[] | undefined) ?? []), ...links] } };
}

const bases: Base[] = ["dev", "staging", "prod"].flatMap((stack) => {
    const file = readStackFile(stack);
    const providerConfig = Object.fromEntries(Object.entries(file.config).filter(([k]) => !k.startsWith("trustmesh:")));
    return [
        { stack, providerConfig, trustmesh: file.trustmesh },
        { stack: `${stack}+links`, providerConfig, trustmesh: withLinks(file.trustmesh) },
    ];
});

// --- paths -------------------------------------------------------------------------------------

function isObject(value: Json): value is Record<string, Json> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function nodes(value: Json, at: Path = []): Array<{ path: Path; value: Json }> {
    const here = at.length > 0 ? [{ path: at, value }] : [];
    if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => nodes(v, [...at, i]))];
    if (isObject(value)) return [...here, ...Object.entries(value).flatMap(([k, v]) => nodes(v, [...at, k]))];
    return here;
}

function getAt(value: Json, at: Path): Json {
    return at.reduce<Json>((v, part) => (v as Record<string | number, Json> | undefined)?.[part], value);
}

function withAt(root: Record<string, Json>, at: Path, update: (parent: Record<string | number, Json>, key: string | number) => void): Record<string, Json> {
    const copy = structuredClone(root);
    const parent = getAt(copy, at.slice(0, -1)) as Record<string | number, Json>;
    update(parent, at[at.length - 1]!);
    return copy;
}

const setAt = (root: Record<string, Json>, at: Path, value: Json) => withAt(root, at, (p, k) => (p[k] = value));
const deleteAt = (root: Record<string, Json>, at: Path) => withAt(root, at, (p, k) => delete p[k]);

/** Paths matching a pattern where `*` stands for any array index. */
function expand(root: Json, pattern: Path): Path[] {
    let paths: Path[] = [[]];
    for (const part of pattern) {
        paths = paths.flatMap((p) => {
            const here = getAt(root, p);
            if (part === "*") return Array.isArray(here) ? here.map((_, i) => [...p, i]) : [];
            return isObject(here) ? [[...p, part]] : [];
        });
    }
    return paths;
}

const key = (at: Path) => formatKey(at);

function typeClass(value: Json): string {
    return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

// --- mutations ---------------------------------------------------------------------------------

function malformed(base: Base, kind: string, trustmesh: Record<string, Json>, expected: string[]): Malformed {
    return { kind, base: base.stack, providerConfig: base.providerConfig, trustmesh, expected };
}

const otherTypes: Json[] = [42, -1.5, 0, true, false, null, [], {}, "text", ["a"], { a: 1 }];

/** Any value of the config replaced by a value of another JSON type. */
function wrongType(base: Base): fc.Arbitrary<Malformed> {
    return fc.constantFrom(...nodes(base.trustmesh)).chain(({ path: at, value }) =>
        fc
            .constantFrom(...otherTypes.filter((v) => typeClass(v) !== typeClass(value)))
            .map((bad) => malformed(base, "wrong type", setAt(base.trustmesh, at, bad), [key(at)])),
    );
}

/** Schema object keys present in the config, with the keys allowed beside them. */
function schemaKeys(root: Record<string, Json>): Array<{ path: Path; allowed: string[] }> {
    const objects = [{ path: [] as Path, value: root as Json }, ...nodes(root)].filter((n) => isObject(n.value));
    return objects.flatMap(({ path: at, value }) => {
        const allowed = objectKeysAt(environmentSchema, at);
        if (allowed.length === 0) return [];
        return Object.keys(value as Record<string, Json>).map((k) => ({ path: [...at, k], allowed }));
    });
}

const typo = fc.constantFrom("drop", "double", "swap", "case", "plural", "dash");

function misspell(word: string, how: string, position: number): string {
    const i = position % word.length;
    switch (how) {
        case "drop":
            return word.slice(0, i) + word.slice(i + 1);
        case "double":
            return word.slice(0, i + 1) + word.slice(i);
        case "swap":
            return i + 1 < word.length ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) : `${word}x`;
        case "case":
            return word.slice(0, i) + (word[i] === word[i]!.toUpperCase() ? word[i]!.toLowerCase() : word[i]!.toUpperCase()) + word.slice(i + 1);
        case "plural":
            return `${word}s`;
        default:
            return `${word.slice(0, i)}_${word.slice(i)}`;
    }
}

/** A key of the schema renamed as a person mistypes it. */
function misspelledKey(base: Base): fc.Arbitrary<Malformed> {
    return fc.tuple(fc.constantFrom(...schemaKeys(base.trustmesh)), typo, fc.nat()).map(([{ path: at, allowed }, how, position]) => {
        const original = at[at.length - 1] as string;
        let wrong = misspell(original, how, position);
        const siblings = Object.keys(getAt(base.trustmesh, at.slice(0, -1)) as Record<string, Json>);
        if (wrong === original || allowed.includes(wrong) || siblings.includes(wrong)) wrong = `${original}Typo`;
        const trustmesh = withAt(base.trustmesh, at, (parent, k) => {
            parent[wrong] = parent[k];
            delete parent[k];
        });
        return malformed(base, "misspelled key", trustmesh, [key([...at.slice(0, -1), wrong])]);
    });
}

const cidrPattern = /^\d+\.\d+\.\d+\.\d+\/\d+$/;

// Test-data arithmetic only: the product's CIDR rules go through ipaddr.js (components/cidr.ts).
function ipv4ToNumber(address: string): number {
    return address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function numberToIpv4(n: number): string {
    return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** Broken CIDRs derived from a valid one, plus arbitrary strings that are not CIDRs. */
function badCidrFor(valid: string): fc.Arbitrary<string> {
    const [address, prefix] = valid.split("/") as [string, string];
    const octets = address.split(".");
    const derived = [
        `${numberToIpv4(ipv4ToNumber(address) + 1)}/${Number(prefix) < 32 ? prefix : 31}`, // host bits set
        `${address}/${33 + (Number(prefix) % 60)}`,
        `${[octets[0], "256", octets[2], octets[3]].join(".")}/${prefix}`,
        address,
        `${address}/`,
        `${address}/${prefix}/1`,
        ` ${valid}`,
        `${octets.slice(0, 3).join(".")}/${prefix}`,
        "fd00::/8",
        "",
        `${address}/-1`,
    ];
    return fc.oneof(fc.constantFrom(...derived), fc.string({ maxLength: 20 }).filter((s) => !isCanonicalCidr(s)));
}

function cidrLeaves(root: Record<string, Json>): Array<{ path: Path; value: string }> {
    return nodes(root).filter((n): n is { path: Path; value: string } => typeof n.value === "string" && cidrPattern.test(n.value));
}

function badCidr(base: Base): fc.Arbitrary<Malformed> {
    return fc
        .constantFrom(...cidrLeaves(base.trustmesh))
        .chain(({ path: at, value }) => badCidrFor(value).map((bad) => malformed(base, "bad CIDR", setAt(base.trustmesh, at, bad), [key(at)])));
}

/** Lists of ranges that open something to callers; 0.0.0.0/0 must never be accepted there. */
const restrictedLists: Array<{ list: Path; item: (cidr: string) => Json; leaf: Path }> = [
    { list: ["gcp", "cluster", "authorizedNetworks"], item: (c) => ({ displayName: "anyone", cidrBlock: c }), leaf: ["cidrBlock"] },
    { list: ["azure", "cluster", "authorizedIpRanges"], item: (c) => c, leaf: [] },
    { list: ["azure", "keyVault", "allowedIpRanges"], item: (c) => c, leaf: [] },
];

function openToInternet(base: Base): fc.Arbitrary<Malformed> {
    const places = restrictedLists.filter((r) => isObject(getAt(base.trustmesh, r.list.slice(0, -1))));
    return fc.tuple(fc.constantFrom(...places), fc.nat()).map(([place, position]) => {
        const current = (getAt(base.trustmesh, place.list) as Json[] | undefined) ?? [];
        const index = position % (current.length + 1); // replace an entry or append one
        const list = [...current];
        list[index] = place.item("0.0.0.0/0");
        return malformed(base, "0.0.0.0/0", setAt(base.trustmesh, place.list, list), [key([...place.list, index, ...place.leaf])]);
    });
}

/** Every enum of the schema, by where it sits. */
const enumFields: Path[] = [
    ["environment"],
    ["gcp", "cluster", "releaseChannel"],
    ["azure", "cluster", "tier"],
    ["namespaces", "*", "podSecurity"],
    ["namespaces", "*", "clusters", "*"],
    ["mesh", "links", "*", "server"],
    ["mesh", "links", "*", "client"],
    ["pki", "acme", "server"],
    ["policy", "enforcement"],
];

const badEnumValue = fc.oneof(
    fc.constantFrom("PROD", "Prod", "production ", "Gke", "eks", "none", "", "STABLE ", "strict", "Mandatory", "enforce"),
    fc.string({ minLength: 1, maxLength: 10 }).map((s) => `~${s}`),
);

function badEnum(base: Base): fc.Arbitrary<Malformed> {
    const places = enumFields.flatMap((pattern) => {
        // An optional enum the stack leaves out is set; an array of enums gets a bad element.
        const last = pattern[pattern.length - 1]!;
        const parents = expand(base.trustmesh, pattern.slice(0, -1)).filter((p) => last === "*" || isObject(getAt(base.trustmesh, p)));
        return last === "*" ? parents.flatMap((p) => expand(base.trustmesh, [...p, "*"])) : parents.map((p) => [...p, last]);
    });
    return fc.tuple(fc.constantFrom(...places), badEnumValue, fc.boolean()).map(([at, bad, recase]) => {
        const current = getAt(base.trustmesh, at);
        const flipped = typeof current === "string" ? (current === current.toUpperCase() ? current.toLowerCase() : current.toUpperCase()) : bad;
        const value = recase && flipped !== current ? flipped : bad;
        return malformed(base, "bad enum", setAt(base.trustmesh, at, value), [key(at)]);
    });
}

/** Keys the schema requires, wherever their parent is present. */
const requiredKeys: Path[] = [
    ["environment"],
    ...["project", "region", "network", "cluster"].map((k) => ["gcp", k]),
    ...["nodesCidr", "podsCidr", "servicesCidr", "masterCidr"].map((k) => ["gcp", "network", k]),
    ["gcp", "cluster", "authorizedNetworks", "*", "displayName"],
    ["gcp", "cluster", "authorizedNetworks", "*", "cidrBlock"],
    ["gcp", "nodePools", "*", "name"],
    ...["subscriptionId", "tenantId", "location", "network", "cluster"].map((k) => ["azure", k]),
    ...["vnetCidr", "nodesCidr", "podsCidr", "servicesCidr"].map((k) => ["azure", "network", k]),
    ["azure", "cluster", "adminGroupObjectIds"],
    ["azure", "nodePools", "*", "name"],
    ["azure", "keyVault", "name"],
    ["namespaces", "*", "name"],
    ["pki", "acme", "email"],
    ...["name", "service", "namespace", "port", "linkPort", "host", "server", "client", "clientNamespace"].map((k) => ["mesh", "links", "*", k]),
];

function requiredPresent(root: Record<string, Json>): Path[] {
    return requiredKeys.flatMap((pattern) => expand(root, pattern)).filter((at) => getAt(root, at) !== undefined);
}

function missingRequired(base: Base): fc.Arbitrary<Malformed> {
    return fc.constantFrom(...requiredPresent(base.trustmesh)).map((at) => malformed(base, "missing required key", deleteAt(base.trustmesh, at), [key(at)]));
}

/** Range groups that must be disjoint. */
const disjointGroups: Path[][] = [
    ["nodesCidr", "podsCidr", "servicesCidr", "masterCidr"].map((k) => ["gcp", "network", k]),
    ["vnetCidr", "podsCidr", "servicesCidr"].map((k) => ["azure", "network", k]),
];

function overlapping(base: Base): fc.Arbitrary<Malformed> {
    const groups = disjointGroups.filter((g) => g.every((at) => typeof getAt(base.trustmesh, at) === "string"));
    return fc
        .constantFrom(...groups)
        .chain((group) => fc.tuple(fc.constantFrom(...group), fc.constantFrom(...group), fc.constantFrom("same", "supernet", "subnet")).filter(([a, b]) => a !== b))
        .map(([a, b, how]) => {
            const [address, prefix] = (getAt(base.trustmesh, a) as string).split("/") as [string, string];
            const bits = Number(prefix);
            let cidr = `${address}/${prefix}`;
            if (how === "subnet" && bits < 32) cidr = `${address}/${bits + 1}`;
            if (how === "supernet" && bits > 1) {
                const mask = (0xffffffff << (32 - (bits - 1))) >>> 0;
                cidr = `${numberToIpv4((ipv4ToNumber(address) & mask) >>> 0)}/${bits - 1}`;
            }
            return malformed(base, "overlapping ranges", setAt(base.trustmesh, b, cidr), [key(a), key(b)]);
        });
}

/** Rules across fields: each case breaks one and names the key it should be reported on. */
function crossField(base: Base): fc.Arbitrary<Malformed> {
    const root = base.trustmesh;
    const cases: Malformed[] = [];
    const namespaces = (root.namespaces as Array<Record<string, Json>> | undefined) ?? [];
    namespaces.forEach((ns, i) => {
        cases.push(malformed(base, "duplicate namespace", setAt(root, ["namespaces"], [...namespaces, ns]), [key(["namespaces", namespaces.length, "name"])]));
        for (const reserved of ["kube-system", "istio-system", "cert-manager", "default"]) {
            cases.push(malformed(base, "reserved namespace", setAt(root, ["namespaces", i, "name"], reserved), [key(["namespaces", i, "name"])]));
        }
        cases.push(malformed(base, "baseline without reason", setAt(deleteAt(root, ["namespaces", i, "baselineReason"]), ["namespaces", i, "podSecurity"], "baseline"), [key(["namespaces", i, "baselineReason"])]));
    });
    for (const [section, cluster] of [["gcp", "gke"], ["azure", "aks"]] as const) {
        const targeting = namespaces.flatMap((ns, i) => ((ns.clusters as string[] | undefined) ?? ["gke", "aks"]).map((c, j) => ({ c, at: ["namespaces", i, "clusters", j] })).filter((t) => t.c === cluster));
        if (root[section] && targeting.length > 0) {
            // A namespace that lists its clusters explicitly must not target a cluster the stack lacks.
            cases.push(malformed(base, "namespace on a missing cluster", deleteAt(root, [section]), targeting.map((t) => key(t.at))));
        }
    }
    for (const [pools, min, max] of [["gcp", "minNodes", "maxNodes"], ["azure", "minCount", "maxCount"]] as const) {
        expand(root, [pools, "nodePools", "*"]).forEach((at) => {
            cases.push(malformed(base, "min above max", withAt(root, at, (p, k) => (p[k] = { ...(p[k] as object), [min]: 5, [max]: 2 })), [key([...at, min])]));
        });
    }
    if (root.environment === "prod") {
        cases.push(malformed(base, "advisory in prod", setAt(root, ["policy"], { ...((root.policy as object | undefined) ?? {}), enforcement: "advisory" }), [key(["policy", "enforcement"])]));
    }
    cases.push(malformed(base, "weak RSA key", setAt(root, ["pki"], { ...((root.pki as object | undefined) ?? {}), root: { key: { algorithm: "RSA", rsaBits: 1024 } } }), [key(["pki", "root", "key", "rsaBits"])]));
    expand(root, ["mesh", "links", "*"]).forEach((at) => {
        for (const [field, bad] of [["port", 0], ["linkPort", 70000], ["port", 3.5], ["host", "*.example.com"], ["host", "Upper.example.com"], ["name", "Not_A_Label"]] as const) {
            cases.push(malformed(base, "bad link field", setAt(root, [...at, field], bad), [key([...at, field])]));
        }
    });
    return fc.constantFrom(...cases);
}

const mutations = [wrongType, misspelledKey, badCidr, openToInternet, badEnum, missingRequired, overlapping, crossField];

const malformedConfig: fc.Arbitrary<Malformed> = fc.constantFrom(...bases).chain((base) => fc.oneof(...mutations.map((m) => m(base))));

function describeCase(c: Malformed): string {
    return `${c.kind} on ${c.base}, expected one of ${c.expected.join(", ")}`;
}

/** The ConfigError a config raises, or a failure saying it was accepted. */
function rejection(trustmesh: Record<string, Json>, what: string): ConfigError {
    try {
        parseEnvironmentConfig(trustmesh, "fuzz");
    } catch (error) {
        if (error instanceof ConfigError) return error;
        throw new Error(`${what}: threw ${String(error)} instead of a ConfigError`);
    }
    throw new Error(`${what}: the config was accepted`);
}

describe("fuzzed stack config", function () {
    this.timeout(120_000);

    it("starts from valid configs (every stack, with and without links)", () => {
        for (const base of bases) assert.doesNotThrow(() => parseEnvironmentConfig(base.trustmesh, base.stack), base.stack);
    });

    it("rejects 1500 malformed configs with a ConfigError naming the bad key", () => {
        const kinds = new Map<string, number>();
        fc.assert(
            fc.property(malformedConfig, (c) => {
                kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
                const error = rejection(c.trustmesh, describeCase(c));
                const named = error.problems.map((p) => p.key);
                assert.ok(
                    named.some((k) => c.expected.includes(k)),
                    `${describeCase(c)}; the problems name ${named.join(", ")}`,
                );
                const expectedInMessage = c.expected.find((k) => named.includes(k))!;
                assert.ok(error.message.includes(expectedInMessage), `the message does not name ${expectedInMessage}:\n${error.message}`);
            }),
            { numRuns: 1500 },
        );
        // Every kind of mutation was exercised, not only the easiest.
        for (const kind of ["wrong type", "misspelled key", "bad CIDR", "0.0.0.0/0", "bad enum", "missing required key", "overlapping ranges"]) {
            assert.ok((kinds.get(kind) ?? 0) >= 50, `only ${kinds.get(kind) ?? 0} cases of "${kind}"`);
        }
    });

    it("through `npm run plan`: exit 2, the key in the message, no stack trace, nothing registered", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "fuzz-stacks-"));
        try {
            const samples = fc.sample(malformedConfig, { numRuns: 40 });
            for (const [index, c] of samples.entries()) {
                const stack = `fuzz${index}`;
                const config = { ...c.providerConfig, ...Object.fromEntries(Object.entries(c.trustmesh).map(([k, v]) => [`trustmesh:${k}`, v])) };
                writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
                const out = path.join(dir, `out-${index}`);
                const json = path.join(dir, `plan-${index}.json`);
                const lines: string[] = [];
                const code = await planCli(["--stack", stack, "--stacks-dir", dir, "--out", out, "--json", json], (l) => lines.push(l), (l) => lines.push(l));
                const text = lines.join("\n");
                assert.equal(code, 2, `${describeCase(c)}: exit ${code}\n${text}`);
                assert.ok(c.expected.some((k) => text.includes(k)), `${describeCase(c)}: the output names none of them:\n${text}`);
                assert.doesNotMatch(text, /^\s+at .+[(:]\d+/m, `${describeCase(c)}: a stack trace was printed:\n${text}`);
                assert.doesNotMatch(text, /running the environment program|registered \d+ resources/, `${describeCase(c)}: the program ran:\n${text}`);
                assert.ok(!existsSync(out) && !existsSync(json), `${describeCase(c)}: manifests or plan JSON were written`);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
