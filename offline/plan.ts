import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { EnvironmentConfig } from "../stacks/config";
import { parseEnvironmentConfig } from "../stacks/config";
import { clusterReach } from "../stacks/config/deploy";
import { environmentProgram } from "../stacks/program";
import { programResources, runOffline, type OfflineRun, type RecordedResource } from "./engine";
import { crossCloudPaths, linkPathProblems, type LinkPath } from "./linkPaths";
import { manifestPath, manifestsOf, type Manifest } from "./manifests";
import { packEnforcementOf } from "../policy/packConfig";
import { packConfigFor } from "./packConfig";
import { runPolicies, type PolicyViolation } from "./policyRunner";
import { validateObject } from "./schemas";
import { readStackFile, type StackFile } from "./stackFile";
import "./fakes/index";

export interface PlanOptions {
    stack: string;
    /** Folder of the stack files. @default - the project's `stacks/` */
    stacksDir?: string;
    /** Called with a short line at each phase and as resources register. */
    onProgress?: (message: string) => void;
}

export interface SchemaFinding {
    urn: string;
    cluster: string;
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    errors: string[];
}

export interface PlanResult {
    stack: string;
    config: EnvironmentConfig;
    run: OfflineRun;
    manifests: Manifest[];
    violations: PolicyViolation[];
    schemaErrors: SchemaFinding[];
    /** Objects of a kind no schema package covers: reported, never silently passed. */
    unvalidated: SchemaFinding[];
    enforcement: "advisory" | "mandatory";
    /** Every mesh link's path through both clouds, each hop checked against the client's egress addresses. */
    linkPaths: LinkPath[];
    durationMs: number;
    /** Wall time of each phase (config validation, program under mocks, schema checks, policies): kept out of planJson. */
    timings: PhaseTimings;
    /** CPU time (user + system) of each phase, same keys: what the bench judges policies and schemas by. */
    cpuTimings: PhaseTimings;
}

export interface PhaseTimings {
    configMs: number;
    programMs: number;
    schemaMs: number;
    policyMs: number;
}

/** CPU time of this process so far, in ms. */
function cpuNow(): number {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
}

/**
 * The stack's own choice, else its environment's pack config: advisory in dev (every policy advisory),
 * mandatory in staging and prod (every policy at its own level).
 */
export function enforcementFor(config: EnvironmentConfig): "advisory" | "mandatory" {
    return packEnforcementOf(packConfigFor(config));
}

/**
 * Plans a stack offline: reads and validates its config (a ConfigError before anything registers),
 * runs the environment program under mocks, validates every Kubernetes object against its upstream
 * schema and runs the policy pack over the whole graph.
 */
export async function planStack(options: PlanOptions): Promise<PlanResult> {
    const started = performance.now();
    (options.onProgress ?? (() => undefined))(`reading stack "${options.stack}"`);
    const file = readStackFile(options.stack, options.stacksDir);
    const result = await planStackFile(file, options);
    return { ...result, durationMs: performance.now() - started };
}

/** Plans a stack file already in memory (the bench builds one): the phases of planStack after the read. */
export async function planStackFile(file: StackFile, options: Pick<PlanOptions, "onProgress"> = {}): Promise<PlanResult> {
    const started = performance.now();
    const cpu = [cpuNow()];
    const progress = options.onProgress ?? (() => undefined);
    const config = parseEnvironmentConfig(file.trustmesh, file.path);
    const parsed = performance.now();
    cpu.push(cpuNow());

    progress("running the environment program under mocks");
    const run = await runOffline(environmentProgram, { stack: file.stack, config: file.config, secretKeys: file.secretKeys });
    progress(`registered ${programResources(run.resources).length} resources`);
    const ran = performance.now();
    cpu.push(cpuNow());

    const manifests = manifestsOf(run.resources);
    progress(`validating ${manifests.length} Kubernetes objects against their schemas`);
    const schemaErrors: SchemaFinding[] = [];
    const unvalidated: SchemaFinding[] = [];
    for (const manifest of manifests) {
        const result = await validateObject(manifest.object);
        const finding = {
            urn: manifest.urn,
            cluster: manifest.cluster,
            apiVersion: manifest.apiVersion,
            kind: manifest.kind,
            namespace: manifest.namespace,
            name: manifest.name,
            errors: result.errors,
        };
        if (result.status === "invalid") schemaErrors.push(finding);
        if (result.status === "unvalidated") unvalidated.push(finding);
    }

    const validated = performance.now();
    cpu.push(cpuNow());

    const packConfig = packConfigFor(config);
    const enforcement = packEnforcementOf(packConfig);
    progress(`running the policy pack (${enforcement})`);
    const violations = runPolicies(policySubjects(run.resources), {
        packConfig,
        config: { environment: config.environment, allowedRegistries: config.policy.allowedRegistries },
    });
    const linkPaths = crossCloudPaths(run.resources, config.mesh.links);
    const done = performance.now();
    cpu.push(cpuNow());
    const timings = { configMs: parsed - started, programMs: ran - parsed, schemaMs: validated - ran, policyMs: done - validated };
    const [c0, c1, c2, c3, c4] = cpu as [number, number, number, number, number];
    const cpuTimings = { configMs: c1 - c0, programMs: c2 - c1, schemaMs: c3 - c2, policyMs: c4 - c3 };
    return { stack: file.stack, config, run, manifests, violations, schemaErrors, unvalidated, enforcement, linkPaths, durationMs: done - started, timings, cpuTimings };
}

export function policySubjects(resources: RecordedResource[]) {
    return resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => ({ urn: r.urn, type: r.type, name: r.name, props: r.rawInputs, protect: r.protect, parent: r.parent, provider: r.provider, dependencies: r.dependencies, secretPaths: r.secretPaths }));
}

/** 1 when a mandatory policy failed, an object does not match its schema or a link's path does not hold, else 0. */
export function planExitCode(result: PlanResult): 0 | 1 {
    const mandatory = result.violations.some((v) => v.enforcementLevel === "mandatory");
    return mandatory || result.schemaErrors.length > 0 || linkPathProblems(result.linkPaths ?? []).length > 0 ? 1 : 0;
}

/** The plan as JSON: the documented shape (stack, resources, violations, schemaErrors, manifests) plus extras. */
export function planJson(result: PlanResult) {
    return {
        stack: result.stack,
        environment: result.config.environment,
        enforcement: result.enforcement,
        resources: result.run.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            dependencies: r.dependencies,
            provider: r.provider ?? null,
            protect: r.protect,
            inputs: r.inputs,
            secretPaths: r.secretPaths,
        })),
        // Objects read, not created (`Resource.get`): each must exist on its cluster before a deploy.
        reads: result.run.reads.map((r) => ({ urn: r.urn, type: r.type, id: r.id, provider: r.provider ?? null })),
        violations: result.violations.map((v) => ({
            policy: v.policy,
            enforcementLevel: v.enforcementLevel,
            urn: v.urn,
            message: v.message,
            severity: v.severity,
            domain: v.domain,
        })),
        schemaErrors: result.schemaErrors.map((s) => ({ urn: s.urn, kind: s.kind, name: s.name, errors: s.errors })),
        unvalidated: result.unvalidated.map((s) => ({ urn: s.urn, apiVersion: s.apiVersion, kind: s.kind, name: s.name })),
        // Where the deployment runs and how it reaches each cluster's API server.
        deployment: { runsFrom: result.config.deploy.runsFrom, endpoints: clusterReach(result.config) },
        manifests: result.manifests.map((m) => ({
            cluster: m.cluster,
            apiVersion: m.apiVersion,
            kind: m.kind,
            namespace: m.namespace ?? null,
            name: m.name,
            path: manifestPath(m),
        })),
        linkPaths: result.linkPaths,
        outputs: result.run.outputs,
        secretOutputs: result.run.secretOutputs,
    };
}

/** Writes each manifest, secrets redacted, under `<outDir>/<cluster>/...`; the folder is replaced whole. */
export function writeManifests(result: PlanResult, outDir: string): string[] {
    rmSync(outDir, { recursive: true, force: true });
    const written: string[] = [];
    for (const manifest of result.manifests) {
        const file = path.join(outDir, manifestPath(manifest));
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, stringify(manifest.redacted, { sortMapEntries: false, lineWidth: 0 }));
        written.push(file);
    }
    return written;
}
