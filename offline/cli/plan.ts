import { Command, CommanderError } from "commander";
import * as path from "node:path";
import { aksDeployerRoles } from "../../components/aksCluster";
import { ConfigError, type EnvironmentConfig } from "../../stacks/config";
import { clusterReach, gcpDeployerRoles } from "../../stacks/config/deploy";
import { writeFileSync } from "node:fs";
import { environmentDiagram } from "../diagram";
import { programResources } from "../engine";
import { planExitCode, planJson, planStack, writeManifests, type PlanResult } from "../plan";
import { planHtml, planMarkdown, planReport } from "../report";
import { linkPathProblems } from "../linkPaths";
import { StackFileError } from "../stackFile";
import { countTable, ExitCode, violationLines, writeJsonFile } from "./output";

interface PlanCliOptions {
    stack: string;
    json?: string;
    out?: string;
    stacksDir?: string;
    diagram?: string;
    markdown?: string;
    html?: string;
}

/** `npm run plan -- [--stack <name>] [--json <file>] [--out <dir>]`: returns the exit code. */
export async function planCli(argv: string[], log: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
    const program = new Command("plan")
        .description("Plan a trustmesh stack offline: resources, policy results, schema checks and the manifests it would apply.")
        .option("-s, --stack <name>", "stack to plan (stacks/Pulumi.<name>.yaml)", "dev")
        .option("--json <file>", "also write the plan as JSON to this file")
        .option("--out <dir>", "folder for the rendered manifests, one subfolder per cluster (default: plan-out/<stack>)")
        .option("--stacks-dir <dir>", "folder holding the Pulumi.<stack>.yaml files (default: the project's stacks/)")
        .option("--diagram <file>", "also write a Mermaid diagram of the environment (clusters, gateways, links, issuers, identities, Key Vault)")
        .option("--markdown <file>", "also write a short report for a pull request comment: resources per cloud and cluster, violations by level, schema errors, the diagram")
        .option("--html <file>", "also write the report as a self-contained HTML page (no network) with the diagram drawn")
        .exitOverride()
        .configureOutput({ writeOut: (s) => log(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
    let options: PlanCliOptions;
    try {
        options = program.parse(argv, { from: "user" }).opts<PlanCliOptions>();
    } catch (error) {
        if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.clean : ExitCode.usage;
        throw error;
    }

    let result: PlanResult;
    try {
        result = await planStack({ stack: options.stack, stacksDir: options.stacksDir, onProgress: (message) => err(`plan: ${message}`) });
    } catch (error) {
        if (error instanceof ConfigError || error instanceof StackFileError) {
            err(error.message);
            return ExitCode.usage;
        }
        const message = error instanceof Error ? error.message : String(error);
        err(`plan failed: ${message}`);
        return ExitCode.failed;
    }

    const outDir = options.out ?? path.join("plan-out", options.stack);
    const written = writeManifests(result, outDir);
    if (options.json) writeJsonFile(options.json, planJson(result));
    for (const line of summaryLines(result, outDir, written.length)) log(line);
    if (options.json) log(`plan JSON written to ${options.json}`);
    if (options.diagram) {
        writeFileSync(options.diagram, environmentDiagram(result.run.resources, `trustmesh environment "${result.stack}" (${result.config.environment}), from the offline plan`));
        log(`Mermaid diagram written to ${options.diagram}`);
    }
    if (options.markdown || options.html) {
        const report = planReport(result);
        if (options.markdown) {
            writeFileSync(options.markdown, planMarkdown(report));
            log(`Markdown report written to ${options.markdown}`);
        }
        if (options.html) {
            writeFileSync(options.html, planHtml(report));
            log(`HTML report written to ${options.html}`);
        }
    }
    return planExitCode(result);
}

export function summaryLines(result: PlanResult, outDir: string, manifestCount: number): string[] {
    const resources = programResources(result.run.resources);
    const lines = [
        `trustmesh plan for stack "${result.stack}" (${result.config.environment}), offline: ${resources.length} resources in ${Math.round(result.durationMs)} ms`,
        "",
        "resources by kind:",
        ...countTable(resources.map((r) => r.type)),
        "",
        "Kubernetes objects by cluster:",
        ...countTable(result.manifests.map((m) => m.cluster)),
        "",
        `manifests: ${manifestCount} written under ${outDir}/ (secret values redacted)`,
        ...deploymentLines(result.config),
    ];
    // Where a root CA rotation stands (stacks/pki.ts): the phase an operator reads before the next update.
    const rotation = result.run.outputs.pkiRotation as { meaning?: string } | undefined;
    if (rotation?.meaning) lines.push(`pki root rotation: ${rotation.meaning}`);
    if (result.schemaErrors.length > 0) {
        lines.push("", `schema errors (${result.schemaErrors.length}):`);
        for (const s of result.schemaErrors) lines.push(`  ${s.cluster} ${s.kind} ${s.namespace ? `${s.namespace}/` : ""}${s.name}: ${s.errors.join("; ")}`);
    }
    if (result.run.reads.length > 0) {
        lines.push("", `must already exist on the cluster (read, not created) (${result.run.reads.length}):`);
        lines.push(...countTable(result.run.reads.map((r) => `${r.provider?.split("::").pop() ?? "default"} ${r.type.split(":").pop()} ${r.id}`)));
    }
    if (result.unvalidated.length > 0) {
        lines.push("", `unvalidated (no upstream schema available) (${result.unvalidated.length}):`);
        lines.push(...countTable(result.unvalidated.map((s) => `${s.apiVersion} ${s.kind}`)));
    }
    if ((result.linkPaths ?? []).length > 0) {
        lines.push("", "cross-cloud paths (each hop must admit exactly the client's egress addresses; offline, addresses are the fakes' TEST-NET-3 stand-ins):");
        for (const path of result.linkPaths) {
            lines.push(`  ${path.link}: ${path.client} -> ${path.server}:${path.port}`);
            for (const hop of path.hops) lines.push(`    ${hop.problem ? "FAIL" : "ok  "} ${hop.hop.padEnd(20)} ${hop.via}: ${hop.admits.join(", ") || "(nothing)"}${hop.problem ? ` -- ${hop.problem}` : ""}`);
        }
    }
    lines.push("", `policies (${result.enforcement}):`);
    const vl = violationLines(result.violations, (v) => v.urn.split("::").pop() ?? v.urn);
    lines.push(...(vl.length > 0 ? vl.map((l) => `  ${l}`) : ["  no violations"]));
    const mandatory = result.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const pathProblems = linkPathProblems(result.linkPaths ?? []).length;
    lines.push("", planExitCode(result) === 0 ? "result: clean" : `result: FAILED (${mandatory} mandatory violations, ${result.schemaErrors.length} schema errors${pathProblems > 0 ? `, ${pathProblems} link path problems` : ""})`);
    return lines;
}

/**
 * Per cluster, the API endpoint the deployment uses and where it is reachable from (the config check
 * has already refused a runner that cannot reach one), then the identities the deployment runs as.
 */
export function deploymentLines(config: EnvironmentConfig): string[] {
    const reach = clusterReach(config);
    if (reach.length === 0) return [];
    const lines = ["", `cluster API endpoints (the deployment runs from ${config.deploy.runsFrom}):`];
    for (const r of reach) {
        lines.push(`  ${r.cluster}  ${r.clusterName}: ${r.describe}`);
        lines.push(`       reachable from ${r.reachableFrom.join(", ")}: ${r.via}`);
    }
    lines.push("deployer identities:");
    if (config.gcp) {
        const roles = gcpDeployerRoles({ databaseEncryptionKey: config.gcp.cluster.databaseEncryptionKey }).map((r) => r.role);
        lines.push(`  gke  ${config.deploy.gcpDeployer ?? "(not declared: trustmesh:deploy.gcpDeployer)"}, documented input, project roles: ${roles.join(", ")}`);
    }
    if (config.azure) {
        const deployer = config.deploy.azureDeployer;
        lines.push(
            deployer
                ? `  aks  ${deployer.principalId} (${deployer.principalType}): ${aksDeployerRoles.join(" and ")} on the cluster only, in the plan`
                : "  aks  (not declared: trustmesh:deploy.azureDeployer): the runner's identity must be in an adminGroupObjectIds group",
        );
    }
    return lines;
}

if (require.main === module) {
    planCli(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(`plan failed: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(ExitCode.failed);
        },
    );
}
