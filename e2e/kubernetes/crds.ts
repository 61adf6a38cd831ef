import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { isClusterScoped } from "../../offline/resourceScope";

/**
 * Structural CustomResourceDefinitions for the CRDs trustmesh's objects need on a local API server,
 * where the charts that normally install them (cert-manager, trust-manager, Istio base, the Secrets
 * Store CSI driver) cannot be fetched.
 *
 * cert-manager, trust-manager and Istio: generated from the TypeScript declarations of the published
 * `@kubernetes-models/*` packages the project already validates with, which kubernetes-models
 * generates from the upstream CRDs' OpenAPI schemas. The declarations keep property names, nesting,
 * required properties, string enums, maps, arrays and int-or-string. They do not keep what
 * TypeScript has no word for, so these CRDs leave out: integer vs number, formats, patterns,
 * min/max lengths and values, defaults, oneOf/anyOf alternatives (merged into one object), CEL rules
 * (`x-kubernetes-validations`), list-map keys, printer columns, and the resource scope (read from
 * offline/resourceScope.ts, the one table of scopes the offline plan and `check` use too).
 *
 * SecretProviderClass: no package publishes its schema; `secretProviderClassCrd` writes it by hand
 * from the driver's Go API types (sigs.k8s.io/secrets-store-csi-driver/apis/v1).
 *
 * KubeVirt and VirtualMachine (kubevirt.io/v1, seed 000): no published package carries their schema
 * (`@kubevirt-ui-ext/kubevirt-api` 1.7.0 holds TypeScript types and API clients, no schema), so
 * `kubeVirtCrds` installs them with `spec` and `status` unchecked (x-kubernetes-preserve-unknown-fields).
 * The dry run still checks what the API server owns: group, version, kind, scope, name, namespace.
 */

export type JsonSchema = Record<string, unknown>;

export interface CrdSource {
    group: string;
    kind: string;
    /** Where the schema came from, for the report. */
    source: string;
}

export interface GeneratedCrd extends CrdSource {
    crd: { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
}

/** Packages and API groups installed on every local cluster. */
const sources: Array<{ packageName: string; groups: string[] }> = [
    { packageName: "@kubernetes-models/cert-manager", groups: ["cert-manager.io", "acme.cert-manager.io", "trust.cert-manager.io", "trust-manager.io"] },
    { packageName: "@kubernetes-models/istio", groups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"] },
];

/** Lowercase plural as the upstream CRDs name them (Gateway -> gateways, ServiceEntry -> serviceentries). */
export function pluralOf(kind: string): string {
    const lower = kind.toLowerCase();
    if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
    if (/(s|x|ch|sh)$/.test(lower)) return `${lower}es`;
    return `${lower}s`;
}

/** Version order for picking the storage version: v1 > v1beta2 > v1beta1 > v1alpha3 > ... */
function versionRank(version: string): number {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
    if (!match) return -1;
    const stability = match[2] === undefined ? 2 : match[2] === "beta" ? 1 : 0;
    return Number(match[1]) * 10_000 + stability * 1_000 + Number(match[3] ?? 0);
}

/** Turns a TypeScript type from the declarations into a structural OpenAPI v3 schema. */
class SchemaWriter {
    constructor(private readonly checker: ts.TypeChecker) {}

    private preserve(): JsonSchema {
        return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    }

    of(type: ts.Type, seen: ts.Type[]): JsonSchema {
        const flags = type.flags;
        if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { "x-kubernetes-preserve-unknown-fields": true };
        if (type.isUnion()) return this.union(type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null))), seen);
        if (flags & ts.TypeFlags.StringLiteral) return { type: "string", enum: [(type as ts.StringLiteralType).value] };
        if (flags & ts.TypeFlags.String) return { type: "string" };
        if (flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { type: "number" };
        if (flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
        if (this.checker.isArrayType(type)) {
            const [item] = this.checker.getTypeArguments(type as ts.TypeReference);
            return { type: "array", items: item ? this.of(item, seen) : { "x-kubernetes-preserve-unknown-fields": true } };
        }
        if (flags & ts.TypeFlags.Object) return this.object(type, seen);
        return { "x-kubernetes-preserve-unknown-fields": true };
    }

    private union(parts: ts.Type[], seen: ts.Type[]): JsonSchema {
        if (parts.length === 1) return this.of(parts[0], seen);
        if (parts.every((t) => t.flags & ts.TypeFlags.StringLiteral)) return { type: "string", enum: parts.map((t) => (t as ts.StringLiteralType).value) };
        if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
        const stringy = (t: ts.Type) => t.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral);
        const numeric = (t: ts.Type) => t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral);
        if (parts.every((t) => stringy(t) || numeric(t)) && parts.some(stringy) && parts.some(numeric)) return { "x-kubernetes-int-or-string": true };
        if (parts.every((t) => t.flags & ts.TypeFlags.Object && !this.checker.isArrayType(t))) return this.mergedObjects(parts, seen);
        return { "x-kubernetes-preserve-unknown-fields": true };
    }

    /** oneOf alternatives (`{a} | {b}`) become one object with every property optional. */
    private mergedObjects(parts: ts.Type[], seen: ts.Type[]): JsonSchema {
        const properties: Record<string, JsonSchema> = {};
        for (const part of parts) {
            const schema = this.object(part, seen);
            if (schema["x-kubernetes-preserve-unknown-fields"]) return this.preserve();
            Object.assign(properties, schema.properties as Record<string, JsonSchema> | undefined);
        }
        return { type: "object", properties };
    }

    private object(type: ts.Type, seen: ts.Type[]): JsonSchema {
        // A type met again on its own path is recursive (e.g. JSON-schema-like fields): stop there.
        if (seen.includes(type)) return this.preserve();
        const inner = [...seen, type];
        const properties = this.checker.getPropertiesOfType(type);
        const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
        if (properties.length === 0) {
            return index ? { type: "object", additionalProperties: this.of(index.type, inner) } : this.preserve();
        }
        const schemaProperties: Record<string, JsonSchema> = {};
        const required: string[] = [];
        for (const property of properties) {
            const declaration = property.valueDeclaration ?? property.declarations?.[0];
            if (!declaration) continue;
            schemaProperties[property.name] = this.of(this.checker.getTypeOfSymbolAtLocation(property, declaration), inner);
            if (!(property.flags & ts.SymbolFlags.Optional)) required.push(property.name);
        }
        return {
            type: "object",
            properties: schemaProperties,
            ...(required.length ? { required: required.sort() } : {}),
            // Structural schemas cannot have both: known properties win, the rest is kept as given.
            ...(index ? { "x-kubernetes-preserve-unknown-fields": true } : {}),
        };
    }
}

function packageDir(packageName: string): string {
    return path.dirname(require.resolve(`${packageName}/package.json`));
}

/** Kinds of one group version in a package: `<Kind>.d.ts` files declaring `"kind": "<Kind>"`, lists excluded. */
function kindsIn(versionDir: string): string[] {
    return readdirSync(versionDir)
        .filter((file) => file.endsWith(".d.ts") && file !== "index.d.ts")
        .map((file) => file.slice(0, -".d.ts".length))
        .filter((kind) => !kind.endsWith("List") && readFileSync(path.join(versionDir, `${kind}.d.ts`), "utf8").includes(`"kind": "${kind}";`));
}

/** Generates the CRDs of every group in `sources` from the installed packages' declarations. */
export function generateCrds(): GeneratedCrd[] {
    const entries: Array<{ packageName: string; version: string; group: string; apiVersion: string; kind: string; file: string }> = [];
    for (const { packageName, groups } of sources) {
        const dir = packageDir(packageName);
        const version = (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
        for (const group of groups) {
            for (const apiVersion of readdirSync(path.join(dir, group), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
                for (const kind of kindsIn(path.join(dir, group, apiVersion))) {
                    entries.push({ packageName, version, group, apiVersion, kind, file: path.join(dir, group, apiVersion, `${kind}.d.ts`) });
                }
            }
        }
    }
    const program = ts.createProgram(
        entries.map((e) => e.file),
        { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true, types: [] },
    );
    const writer = new SchemaWriter(program.getTypeChecker());
    const checker = program.getTypeChecker();

    const byKind = new Map<string, { group: string; kind: string; source: string; versions: Array<{ name: string; schema: JsonSchema; hasStatus: boolean }> }>();
    for (const entry of entries) {
        const sourceFile = program.getSourceFile(entry.file);
        const declaration = sourceFile?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${entry.kind}`);
        if (!declaration) throw new Error(`${entry.file}: no interface I${entry.kind}`);
        const root = writer.of(checker.getTypeAtLocation(declaration.name), []);
        const rootProperties = (root.properties ?? {}) as Record<string, JsonSchema>;
        // apiVersion, kind and metadata are the API server's own: plain types, as in every upstream CRD.
        const schema: JsonSchema = {
            type: "object",
            properties: { ...rootProperties, apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" } },
            ...(Array.isArray(root.required) && root.required.filter((r) => !["apiVersion", "kind", "metadata"].includes(r as string)).length
                ? { required: (root.required as string[]).filter((r) => !["apiVersion", "kind", "metadata"].includes(r)) }
                : {}),
        };
        const key = `${entry.group}/${entry.kind}`;
        const crd = byKind.get(key) ?? { group: entry.group, kind: entry.kind, source: `${entry.packageName}@${entry.version} (TypeScript declarations)`, versions: [] };
        crd.versions.push({ name: entry.apiVersion, schema, hasStatus: "status" in rootProperties });
        byKind.set(key, crd);
    }

    return [...byKind.values()]
        .sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`))
        .map(({ group, kind, source, versions }) => {
            const storage = [...versions].sort((a, b) => versionRank(b.name) - versionRank(a.name))[0].name;
            return { group, kind, source, crd: crdObject(group, kind, isClusterScoped(`${group}/${storage}`, kind), versions.map((v) => ({ ...v, storage: v.name === storage }))) };
        });
}

function crdObject(group: string, kind: string, clusterScoped: boolean, versions: Array<{ name: string; schema: JsonSchema; hasStatus: boolean; storage: boolean }>) {
    const plural = pluralOf(kind);
    return {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: `${plural}.${group}` },
        spec: {
            group,
            scope: clusterScoped ? "Cluster" : "Namespaced",
            names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
            versions: versions
                .sort((a, b) => versionRank(b.name) - versionRank(a.name))
                .map((v) => ({
                    name: v.name,
                    served: true,
                    storage: v.storage,
                    schema: { openAPIV3Schema: v.schema },
                    ...(v.hasStatus ? { subresources: { status: {} } } : {}),
                })),
        },
    };
}

/**
 * SecretProviderClass (secrets-store.csi.x-k8s.io/v1), written from the driver's Go API types:
 * SecretProviderClassSpec{provider, parameters map[string]string, secretObjects []SecretObject},
 * SecretObject{secretName, type, labels, annotations, data []{objectName, key}}, status.byPod.
 */
export function secretProviderClassCrd(): GeneratedCrd {
    const stringMap = { type: "object", additionalProperties: { type: "string" } };
    const schema: JsonSchema = {
        type: "object",
        properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            spec: {
                type: "object",
                properties: {
                    provider: { type: "string" },
                    parameters: stringMap,
                    secretObjects: {
                        type: "array",
                        items: {
                            type: "object",
                            properties: {
                                secretName: { type: "string" },
                                type: { type: "string" },
                                labels: stringMap,
                                annotations: stringMap,
                                data: { type: "array", items: { type: "object", properties: { objectName: { type: "string" }, key: { type: "string" } } } },
                            },
                        },
                    },
                },
            },
            status: {
                type: "object",
                properties: { byPod: { type: "array", items: { type: "object", properties: { id: { type: "string" }, namespace: { type: "string" } } } } },
            },
        },
    };
    return {
        group: "secrets-store.csi.x-k8s.io",
        kind: "SecretProviderClass",
        source: "written by hand from sigs.k8s.io/secrets-store-csi-driver/apis/v1 (no published schema package)",
        crd: crdObject("secrets-store.csi.x-k8s.io", "SecretProviderClass", false, [{ name: "v1", schema, hasStatus: false, storage: true }]),
    };
}

/**
 * KubeVirt's two kinds trustmesh writes, as the release's operator manifest names and scopes them
 * (kubevirts.kubevirt.io and virtualmachines.kubevirt.io, both namespaced, with a status subresource),
 * but with no schema below `spec` and `status`: none is published as a package, and the operator
 * manifest that carries the real CRDs is applied at deploy time, not fetched here.
 */
export function kubeVirtCrds(): GeneratedCrd[] {
    const unchecked = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    const schema: JsonSchema = {
        type: "object",
        properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, spec: unchecked, status: unchecked },
    };
    return ["KubeVirt", "VirtualMachine"].map((kind) => ({
        group: "kubevirt.io",
        kind,
        source: "no published schema: spec and status unchecked (x-kubernetes-preserve-unknown-fields); name and scope as in KubeVirt's operator manifest",
        crd: crdObject("kubevirt.io", kind, false, [{ name: "v1", schema, hasStatus: true, storage: true }]),
    }));
}

/** Every CRD a local cluster gets. */
export function allCrds(): GeneratedCrd[] {
    return [...generateCrds(), secretProviderClassCrd(), ...kubeVirtCrds()];
}
