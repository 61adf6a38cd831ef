import type * as pulumi from "@pulumi/pulumi";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { Analyzer, type ComponentDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import { generateSchema, type PackageSpec } from "@pulumi/pulumi/provider/experimental/schema";
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import ts from "typescript";
import { parse } from "yaml";
import * as componentsModule from "../components";

// What `pulumi package add packaging/plugin` does: the Node plugin host runs the plugin folder's entry
// point, which takes every ComponentResource class the package's "main" exports and serves the schema the analyzer in
// @pulumi/pulumi/provider/experimental generates from their TypeScript declarations. This test does
// the same in-process, so a component that breaks the analyzer's rules fails here, not in a user's
// `pulumi package add`.

const root = path.resolve(__dirname, "..");
/** The folder other languages add (`pulumi package add`): PulumiPlugin.yaml and the plugin entry point. */
const pluginFolder = path.join(root, "packaging", "plugin");
const pluginRequire = createRequire(path.join(pluginFolder, "index.js"));
const pluginEntry = pluginRequire("./index.js") as { TrustmeshProvider: new (options: { name: string; dirname: string; components: unknown[] }) => { getSchema(): Promise<string> } };
const providerReferences = pluginRequire("./providerReferences.js") as { providerReference(ref: string): string | undefined; withProviderReferences<T>(schema: T): T };
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; main: string; version?: string; description?: string };
/** The provider name the plugin host derives from package.json's name (cmd/run-plugin/run.js). */
const providerName = packageJson.name.replace(/^@[^/]+\//, "").replace(/[^-a-zA-Z0-9_]/g, "-");

type ComponentClass = new (name: string, args: never, opts?: pulumi.ComponentResourceOptions) => pulumi.ComponentResource;

/** The internals of the analyzer this test reuses: one TypeScript program for every component. */
interface AnalyzerState {
    program: ts.Program;
    checker: ts.TypeChecker;
    componentNames: Set<string>;
    components: Record<string, ComponentDefinition>;
    typeDefinitions: Record<string, unknown>;
    dependencies: unknown[];
}

interface ClassFacts {
    file: string;
    /** The first argument of the constructor's `super(...)` call, when it is a string literal. */
    token?: string;
    /** Names of the properties of the `args` parameter's type. */
    argsProperties?: string[];
    /** Public, non-static properties declared on the class. */
    publicProperties: string[];
    problems: string[];
}

/** What the analyzer does not check itself but the package needs: the token and the args parameter. */
function classFacts(state: AnalyzerState, className: string): ClassFacts | undefined {
    for (const file of state.program.getSourceFiles()) {
        if (!file.fileName.startsWith(path.join(root, "components") + path.sep) && !file.fileName.startsWith(`${root}/components/`)) continue;
        for (const node of file.statements) {
            if (!ts.isClassDeclaration(node) || node.name?.text !== className) continue;
            const facts: ClassFacts = { file: path.relative(root, file.fileName), publicProperties: [], problems: [] };
            const constructors = node.members.filter(ts.isConstructorDeclaration);
            const ctor = constructors[0];
            if (constructors.length !== 1 || !ctor) facts.problems.push("must have exactly one constructor");
            const params = ctor?.parameters ?? ts.factory.createNodeArray<ts.ParameterDeclaration>();
            const argsIndex = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === "args");
            if (ctor && (params.length < 2 || argsIndex !== 1)) facts.problems.push("the constructor must be (name, args, opts?) with the second parameter named `args`");
            const args = params[argsIndex];
            if (args?.type) {
                const type = state.checker.getTypeAtLocation(args.type);
                const symbol = type.getSymbol();
                if (!symbol || (symbol.flags & ts.SymbolFlags.Interface) === 0) facts.problems.push(`\`args\` must be typed as an interface, not \`${state.checker.typeToString(type)}\``);
                facts.argsProperties = type.getProperties().map((p) => p.getName()).sort();
            }
            ctor?.body?.forEachChild(function visit(child): void {
                if (ts.isCallExpression(child) && child.expression.kind === ts.SyntaxKind.SuperKeyword) {
                    const first = child.arguments[0];
                    if (first && ts.isStringLiteralLike(first)) facts.token = first.text;
                }
                child.forEachChild(visit);
            });
            const expected = `${providerName}:index:${className}`;
            if (facts.token !== expected) facts.problems.push(`its type token is ${facts.token ? `"${facts.token}"` : "not a string literal"}; it must be "${expected}"`);
            for (const member of node.members) {
                if (!ts.isPropertyDeclaration(member) || !ts.isIdentifier(member.name)) continue;
                const modifiers = ts.getCombinedModifierFlags(member);
                if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) continue;
                facts.publicProperties.push(member.name.text);
            }
            facts.publicProperties.sort();
            return facts;
        }
    }
    return undefined;
}

/** What the component's owner can change, for the analyzer errors seen so far. */
function hintFor(message: string): string {
    if (/Union types are not supported/.test(message)) {
        return ' -> declare the choices as a string enum (`export enum Tier { Free = "Free", Standard = "Standard" }`), or take a string and validate it';
    }
    if (/Intersection types are not supported/.test(message)) return " -> declare one interface that extends the others";
    if (/Could not determine __pulumiType/.test(message)) {
        return " -> a component output may reference only a generated provider resource (e.g. k8s.core.v1.Secret): expose a CustomResource or a local component as pulumi.Output<string> (its name) instead";
    }
    return "";
}

describe("component package schema", function () {
    this.timeout(600_000);

    const exported = componentsModule as Record<string, unknown>;
    const components = getPulumiComponents(exported) as unknown as ComponentClass[];
    const names = components.map((c) => c.name).sort();

    let state: AnalyzerState;
    const definitions: Record<string, ComponentDefinition> = {};
    const typeDefinitions: Record<string, unknown> = {};
    const violations: string[] = [];
    const facts = new Map<string, ClassFacts>();

    before(() => {
        // One analyzer (one TypeScript program over tsconfig.json), run per component so that every
        // violation is listed, not only the first one the plugin host would stop at.
        const analyzer = new Analyzer(root, providerName, packageJson, new Set(names));
        state = analyzer as unknown as AnalyzerState;
        assert.ok(state.program && state.checker, "the analyzer's internals changed: update this test");
        for (const name of names) {
            state.componentNames = new Set([name]);
            state.components = {};
            state.typeDefinitions = {};
            state.dependencies = [];
            try {
                const result = analyzer.analyze();
                definitions[name] = result.components[name]!;
                Object.assign(typeDefinitions, result.typeDefinitions);
            } catch (error) {
                const message = (error as Error).message.split("\n")[0]!;
                violations.push(`${name}: ${message}${hintFor(message)}`);
            }
            const found = classFacts(state, name);
            if (!found) {
                violations.push(`${name}: its class declaration was not found under components/`);
                continue;
            }
            facts.set(name, found);
            for (const problem of found.problems) violations.push(`${name} (${found.file}): ${problem}`);
        }
    });

    it("is a nodejs plugin whose provider is trustmesh, served from components/index.ts compiled (no ts-node)", () => {
        const plugin = parse(readFileSync(path.join(pluginFolder, "PulumiPlugin.yaml"), "utf8")) as { runtime: string | { name: string; options?: { typescript?: boolean } } };
        assert.equal(typeof plugin.runtime === "string" ? plugin.runtime : plugin.runtime.name, "nodejs");
        assert.equal(typeof plugin.runtime === "string" ? undefined : plugin.runtime.options?.typescript, false);
        const pluginPackage = JSON.parse(readFileSync(path.join(pluginFolder, "package.json"), "utf8")) as { name: string; main: string };
        assert.equal(pluginPackage.name, "trustmesh");
        assert.ok(existsSync(path.join(pluginFolder, pluginPackage.main)), "the plugin folder's main exists");
        assert.equal(providerName, "trustmesh");
        // The host requires "main"; the build compiles components/index.ts to it.
        assert.equal(packageJson.main, "./dist/components/index.js");
        const build = JSON.parse(readFileSync(path.join(root, "tsconfig.build.json"), "utf8")) as { files: string[]; compilerOptions: { outDir: string; rootDir: string } };
        assert.ok(build.files.includes("components/index.ts") && build.compilerOptions.outDir === "dist" && build.compilerOptions.rootDir === ".");
        // The analyzer cannot read dist/*.js: it starts from the root index.ts, which re-exports components/.
        const entry = (state as unknown as { findProgramEntryPoint(): ts.SourceFile }).findProgramEntryPoint();
        assert.equal(path.relative(root, entry.fileName), "index.ts");
        assert.match(entry.text, /export \* from "\.\/components";/);
    });

    it("finds every ComponentResource class components/index.ts exports", () => {
        const classes = Object.entries(exported).filter(([, value]) => typeof value === "function" && (value as { prototype?: unknown }).prototype);
        const isComponent = (value: unknown) => components.includes(value as ComponentClass);
        assert.ok(names.includes("NamespaceBaseline"), names.join(", "));
        for (const [exportName, value] of classes) {
            const proto = Object.getPrototypeOf((value as { prototype: object }).prototype) as { constructor?: { name?: string } } | null;
            if (proto?.constructor?.name === "ComponentResource") assert.ok(isComponent(value), `${exportName} is a component the host would serve`);
        }
        console.log(`      components (${names.length}): ${names.join(", ")}`);
    });

    it("every component follows the analyzer's rules (token trustmesh:index:<Class>, one `args` interface, no union or intersection types)", () => {
        assert.deepEqual(violations, [], `components the package cannot serve to other languages:\n  - ${violations.join("\n  - ")}\n`);
    });

    it("the schema has every component with its inputs and outputs", () => {
        const schema: PackageSpec = generateSchema(providerName, packageJson.version ?? "0.0.0", packageJson.description ?? "", definitions, typeDefinitions as never, [], undefined);
        const missing: string[] = [];
        for (const name of names) {
            const resource = schema.resources[`${providerName}:index:${name}`];
            const fact = facts.get(name);
            if (!resource || !fact) {
                missing.push(`${name}: not in the schema`);
                continue;
            }
            assert.equal(resource.isComponent, true);
            const inputs = Object.keys(resource.inputProperties ?? {}).sort();
            const outputs = Object.keys(resource.properties ?? {}).sort();
            if (fact.argsProperties && JSON.stringify(inputs) !== JSON.stringify(fact.argsProperties)) {
                missing.push(`${name}: inputs ${inputs.join(",")} != args ${fact.argsProperties.join(",")}`);
            }
            for (const output of fact.publicProperties) if (!outputs.includes(output)) missing.push(`${name}: output ${output} missing`);
            if (fact.publicProperties.length === 0) missing.push(`${name}: exposes no output`);
        }
        const analyzed = names.filter((n) => definitions[n]);
        assert.deepEqual(missing.filter((m) => analyzed.some((n) => m.startsWith(`${n}:`))), []);
        assert.deepEqual(Object.keys(schema.resources).sort(), analyzed.map((n) => `${providerName}:index:${n}`).sort());
        const notInSchema = names.filter((n) => !definitions[n]);
        assert.equal(notInSchema.length, 0, `not in the schema (see the rules test for why): ${notInSchema.join(", ")}`);
    });

    it("the component provider itself serves that schema (for the components that follow the rules)", async () => {
        const serving = components.filter((c) => definitions[c.name]);
        assert.ok(serving.length > 0, "no component follows the rules");
        const provider = new ComponentProvider({ name: providerName, dirname: root, components: serving as never });
        const schema = JSON.parse(await provider.getSchema()) as PackageSpec;
        assert.deepEqual(Object.keys(schema.resources).sort(), serving.map((c) => `${providerName}:index:${c.name}`).sort());
        for (const c of serving) {
            assert.deepEqual(schema.resources[`${providerName}:index:${c.name}`]!.inputProperties, definitions[c.name]!.inputs, `${c.name} inputs`);
        }
    });

    it("the plugin (packaging/plugin) serves provider-typed arguments and outputs as #/provider references (the form schema binders accept)", async () => {
        const serving = components.filter((c) => definitions[c.name]);
        const kubernetesVersion = JSON.parse(readFileSync(require.resolve("@pulumi/kubernetes/package.json"), "utf8")).version as string;
        const providerRef = `/kubernetes/v${kubernetesVersion}/schema.json#/provider`;
        const schema = JSON.parse(await new pluginEntry.TrustmeshProvider({ name: providerName, dirname: root, components: serving }).getSchema()) as PackageSpec;
        const meshLink = schema.resources[`${providerName}:index:MeshLink`]!.inputProperties as Record<string, { $ref?: string }>;
        assert.equal(meshLink.serverProvider?.$ref, providerRef);
        assert.equal(meshLink.clientProvider?.$ref, providerRef);
        assert.equal((schema.resources[`${providerName}:index:AksCluster`]!.properties as Record<string, { $ref?: string }>).provider?.$ref, providerRef);
        const refs = JSON.stringify(schema).match(/"\$ref":"[^"]+"/g) ?? [];
        assert.ok(refs.some((r) => r.includes("#/resources/kubernetes:core%2Fv1:Namespace")), "resource references stay as they are");
        assert.deepEqual(refs.filter((r) => /#\/resources\/[^:"]+"$/.test(r)), [], "no reference names a bare package as a resource");
    });

    it("repairs exactly the analyzer's provider references", () => {
        assert.equal(providerReferences.providerReference("/kubernetes/v4.34.2/schema.json#/resources/kubernetes"), "/kubernetes/v4.34.2/schema.json#/provider");
        assert.equal(providerReferences.providerReference("/kubernetes/v4.34.2/schema.json#/resources/kubernetes:core%2Fv1:Namespace"), undefined);
        assert.equal(providerReferences.providerReference("/gcp/v9.37.0/schema.json#/resources/kubernetes"), undefined);
        assert.equal(providerReferences.providerReference("pulumi.json#/Any"), undefined);
        const nested = { a: [{ $ref: "/tls/v5.6.1/schema.json#/resources/tls" }], b: { $ref: "#/types/trustmesh:index:X" }, $refs: "/tls/v5.6.1/schema.json#/resources/tls" };
        assert.deepEqual(providerReferences.withProviderReferences(nested), { a: [{ $ref: "/tls/v5.6.1/schema.json#/provider" }], b: { $ref: "#/types/trustmesh:index:X" }, $refs: nested.$refs });
    });
});
