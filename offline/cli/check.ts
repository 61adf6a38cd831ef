import { Command, CommanderError, Option } from "commander";
import { allPolicies } from "../../policy/registry";
import { policySchema } from "../../stacks/config/policy";
import { readPackConfig } from "../packConfig";
import { runPolicies } from "../policyRunner";
import { collectYamlFiles, ManifestFileError, readManifestFile, type FileObject } from "../manifestFiles";
import { rfc1123Label } from "../../components/names";
import { ExitCode, violationLines, writeJsonFile } from "./output";

interface CheckCliOptions {
    json?: string;
    environment: "dev" | "staging" | "prod";
    allowedRegistry?: string[];
    listPolicies?: boolean;
    namespace: string;
}

/** `npm run check -- [--json <file>] <yaml files or folders...>`: returns the exit code. */
export async function checkCli(argv: string[], log: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
    const program = new Command("check")
        .description("Run the trustmesh policy pack over plain Kubernetes YAML (e.g. `helm template` output).")
        .argument("[paths...]", "YAML files or folders (searched recursively for .yaml/.yml)")
        .option("--json <file>", "also write the result as JSON to this file")
        .addOption(new Option("--environment <tier>", "environment the policies judge by").choices(["dev", "staging", "prod"]).default("prod"))
        // One value per flag: a variadic option would swallow the file arguments that follow it.
        .option("--allowed-registry <prefix>", "an image registry allowed (prefix match); repeat the flag for more (default: the stack schema's default list)", (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .option("-n, --namespace <ns>", "namespace for namespaced objects that name none, as `kubectl apply -n` gives them", "default")
        .option("--list-policies", "print every policy in the pack and exit")
        .exitOverride()
        .configureOutput({ writeOut: (s) => log(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
    let options: CheckCliOptions;
    let paths: string[];
    try {
        program.parse(argv, { from: "user" });
        options = program.opts<CheckCliOptions>();
        paths = program.args;
    } catch (error) {
        if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.clean : ExitCode.usage;
        throw error;
    }

    if (options.listPolicies) {
        const catalogue = allPolicies.map((p) => ({
            name: p.name,
            domain: p.domain,
            severity: p.severity,
            enforcementLevel: p.enforcementLevel ?? "advisory",
            description: p.description,
        }));
        for (const p of catalogue) log(`${p.name.padEnd(44)} ${p.domain.padEnd(18)} ${p.severity.padEnd(8)} ${p.enforcementLevel.padEnd(9)} ${p.description}`);
        const domains: Record<string, number> = {};
        for (const p of catalogue) domains[p.domain] = (domains[p.domain] ?? 0) + 1;
        log(`${catalogue.length} policies: ${Object.entries(domains).map(([d, n]) => `${d} ${n}`).join(", ")}`);
        if (options.json) writeJsonFile(options.json, { policies: catalogue, domains });
        return ExitCode.clean;
    }
    if (!rfc1123Label.test(options.namespace)) {
        err(`check: --namespace "${options.namespace}" is not a namespace name (lowercase letters, digits and '-', at most 63 characters)`);
        return ExitCode.usage;
    }
    if (paths.length === 0) {
        err("check: give at least one YAML file or folder (see --help)");
        return ExitCode.usage;
    }

    let objects: FileObject[];
    try {
        objects = collectYamlFiles(paths).flatMap((file) => readManifestFile(file, { defaultNamespace: options.namespace }));
    } catch (error) {
        if (error instanceof ManifestFileError) {
            err(`check: ${error.message}`);
            return ExitCode.usage;
        }
        throw error;
    }

    const violations = runPolicies(
        objects.map((o) => o.subject),
        {
            packConfig: readPackConfig(options.environment),
            // The same default a stack gets when its trustmesh:policy section names no registries.
            config: { environment: options.environment, allowedRegistries: options.allowedRegistry ?? policySchema.parse({}).allowedRegistries },
        },
    );
    const byUrn = new Map(objects.map((o) => [o.subject.urn, o]));
    const rows = violations.map((v) => {
        const source = byUrn.get(v.urn);
        return {
            policy: v.policy,
            enforcementLevel: v.enforcementLevel,
            kind: source?.object.kind ?? null,
            name: source?.subject.name ?? null,
            namespace: source?.object.metadata?.namespace ?? null,
            file: source ? `${source.file}:${source.line}` : null,
            message: v.message,
        };
    });
    log(`checked ${objects.length} objects from ${new Set(objects.map((o) => o.file)).size} files against ${allPolicies.length} policies (${options.environment})`);
    const defaulted = objects.filter((o) => o.namespaceDefaulted).length;
    if (defaulted > 0) log(`${defaulted} namespaced objects named no namespace and were checked in namespace ${options.namespace} (as kubectl apply would; change with --namespace)`);
    const lines = violationLines(violations, (v) => {
        const source = byUrn.get(v.urn);
        return source ? `${source.object.kind} ${source.subject.name} (${source.file}:${source.line})` : "stack";
    });
    for (const line of lines.length > 0 ? lines : ["no violations"]) log(line);
    if (options.json) writeJsonFile(options.json, { resources: objects.length, violations: rows });
    return violations.some((v) => v.enforcementLevel === "mandatory") ? ExitCode.failed : ExitCode.clean;
}

if (require.main === module) {
    checkCli(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(`check failed: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(ExitCode.failed);
        },
    );
}
