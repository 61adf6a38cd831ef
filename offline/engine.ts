import * as pulumi from "@pulumi/pulumi";
import * as resourceProto from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { fakeCallResult, hasFakeOutputs, newFakeResource } from "./fakeOutputs";
import { inputViews, isSecretWrapper, redactSecrets, secretPaths, unwrapSecrets } from "./values";

/** What the offline engine knows about one registered resource. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent resource, if any. */
    parent?: string;
    /** Explicit `dependsOn` URNs plus those implied by inputs, deduplicated and sorted. */
    dependencies: string[];
    /** URN of the explicit provider, if any. */
    provider?: string;
    protect: boolean;
    /** False for component resources. */
    custom: boolean;
    /** Inputs with every secret written as "[secret]". */
    inputs: Record<string, unknown>;
    /** Inputs with secret values in the clear: for policies and schema checks only, never printed. */
    rawInputs: Record<string, unknown>;
    /** Dotted paths of the inputs that are Pulumi secrets (`a.b`, `a.list[0]`). */
    secretPaths: string[];
    /** The `ignoreChanges` resource option: input paths the engine never diffs after creation. */
    ignoreChanges?: string[];
    /**
     * What the fake provider reports for a cloud resource (a reserved IP's address, an ARM id), for
     * checks that follow references between resources; absent for types whose outputs echo their
     * inputs. Never printed: the plan JSON shows inputs only.
     */
    outputs?: Record<string, unknown>;
}

/** An existing object the program reads (`Resource.get`) instead of creating it. */
export interface ReadResource {
    urn: string;
    type: string;
    /** The object's id as read, e.g. a CRD name. */
    id: string;
    /** URN of the explicit provider (the cluster), if any. */
    provider?: string;
}

export interface OfflineRunOptions {
    project?: string;
    stack: string;
    /** Namespaced config as Pulumi holds it (`trustmesh:gcp` -> JSON string). */
    config?: Record<string, string>;
    secretKeys?: string[];
    /** Run as a preview (unknown outputs stay unknown). @default false */
    preview?: boolean;
}

export interface OfflineRun {
    stack: string;
    resources: RecordedResource[];
    /** Existing objects the program reads rather than creates (each must exist at deploy time). */
    reads: ReadResource[];
    /** Stack outputs, secrets redacted. */
    outputs: Record<string, unknown>;
    /** Stack output names whose value is a Pulumi secret. */
    secretOutputs: string[];
    /** The runtime settings the program ran under, read while it ran (the bench compares them with the floor's). */
    runtime: RuntimeSettings;
}

export interface RuntimeSettings {
    stackTraceLimit: number;
    /** Whether Node mapped stack traces through source maps (tsx turns it on). */
    sourceMaps: boolean;
}

/**
 * A URN as the Pulumi engine makes it: a child's type is qualified by its parent's whole qualified
 * type, and resources parented to the root stack carry no `pulumi:pulumi:Stack$` prefix. (The SDK's
 * mock monitor qualifies by the parent's last type only, and by the stack too.) Checked against the
 * real CLI's preview in the end-to-end run.
 */
export function engineUrn(parent: string, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : undefined;
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${qualified}::${name}`;
}

/** Records every registration on top of the SDK's mock monitor, which only hands mocks type, name and inputs. */
class RecordingMonitor extends MockMonitor {
    readonly recorded: RecordedResource[] = [];

    constructor(mocks: ConstructorParameters<typeof MockMonitor>[0]) {
        super(mocks);
        // MockMonitor.newUrn is private in its typings; registerResource calls it on `this`.
        Object.assign(this, { newUrn: engineUrn });
    }
    readonly reads: ReadResource[] = [];

    // Resource references in inputs (a provider or a component passed as an arg) would be rebuilt into
    // Resource objects on every registration, each a lookup of its own: most of an offline plan's time
    // and megabytes of provider internals in the plan. Without the feature the SDK sends the
    // referenced resource's id (custom) or URN (component), which is all a plan needs to show.
    override getDeploymentInfo(req: any, callback: (err: any, response: any) => void): void {
        super.getDeploymentInfo(req, (err: any, response: any) => {
            if (response) {
                const referencesFeature = resourceProto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES;
                response.setSupportedfeaturesList(response.getSupportedfeaturesList().filter((f: number) => f !== referencesFeature));
            }
            callback(err, response);
        });
    }

    // The SDK reports a failed invoke by the gRPC error's `details`; a plain Error would lose its message.
    override async invoke(req: any, callback: (err: any, response: any) => void): Promise<void> {
        return super.invoke(req, (err: any, response: any) =>
            callback(err instanceof Error ? Object.assign(err, { details: err.message }) : err, response),
        );
    }

    // `Resource.get`: an existing object the program reads (e.g. a CRD a platform installed outside the
    // stack must have created). Kept apart from what the program registers: nothing is applied for it.
    override async readResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        return super.readResource(req, (err: any, response: any) => {
            if (!err && response) {
                const provider: string = req.getProvider();
                this.reads.push({
                    urn: response.getUrn(),
                    type: req.getType(),
                    id: req.getId(),
                    provider: provider ? provider.split("::").slice(0, -1).join("::") || provider : undefined,
                });
            }
            callback(err, response);
        });
    }

    override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        const raw = pulumi.runtime.deserializeProperties(req.getObject(), true);
        const dependencies = new Set<string>(req.getDependenciesList());
        const propertyDeps = req.getPropertydependenciesMap();
        propertyDeps.forEach((deps: any) => deps.getUrnsList().forEach((urn: string) => dependencies.add(urn)));
        const parent: string = req.getParent();
        const provider: string = req.getProvider();
        const type: string = req.getType();
        return super.registerResource(req, (err: any, response: any) => {
            if (!err && response) {
                const urn: string = response.getUrn();
                const outputs = hasFakeOutputs(type) ? (pulumi.runtime.deserializeProperties(response.getObject(), true) as Record<string, unknown>) : undefined;
                dependencies.delete(urn);
                if (parent) dependencies.delete(parent);
                const views = inputViews(raw);
                this.recorded.push({
                    urn,
                    type,
                    name: req.getName(),
                    parent: parent || undefined,
                    dependencies: [...dependencies].sort(),
                    // As the engine records it: a component has no provider, also one a provider builds
                    // (a remote component such as kubernetes:yaml/v2:ConfigFile; the preview's event log has none).
                    provider: provider && req.getCustom() ? provider.split("::").slice(0, -1).join("::") || provider : undefined,
                    protect: req.getProtect() === true,
                    custom: req.getCustom(),
                    inputs: views.redacted as Record<string, unknown>,
                    rawInputs: views.clear as Record<string, unknown>,
                    secretPaths: views.secretPaths,
                    ignoreChanges: req.getIgnorechangesList(),
                    ...(outputs ? { outputs: unwrapSecrets(outputs) as Record<string, unknown> } : {}),
                });
            }
            callback(err, response);
        });
    }
}

/** The resources the program declared: everything registered but the stack itself, counted alike everywhere. */
export function programResources<T extends { type: string }>(resources: readonly T[]): T[] {
    return resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
}

let running = false;

/**
 * Runtime settings an offline run applies for its duration. The SDK captures a stack trace for every
 * promise and resource it creates (a resource's whole stack, whatever the limit); with source maps on
 * (tsx turns them on) each capture maps every frame through them. Short traces and no mapping cut a
 * plan's CPU time by about 40 %; errors raised by the program are reported by message, so nothing a
 * user reads is lost. Exported so the bench's floor runs under exactly the same settings.
 */
export const offlineRuntimeSettings: RuntimeSettings = { stackTraceLimit: 4, sourceMaps: false };

/** The settings in force now, read from the runtime itself. */
export function activeRuntimeSettings(): RuntimeSettings {
    return { stackTraceLimit: Error.stackTraceLimit, sourceMaps: process.sourceMapsEnabled };
}

/** Runs `work` with the offline runtime settings applied, restoring the process's own after. */
export async function withOfflineRuntimeSettings<T>(work: () => Promise<T>): Promise<T> {
    const previous = activeRuntimeSettings();
    Error.stackTraceLimit = offlineRuntimeSettings.stackTraceLimit;
    process.setSourceMapsEnabled(offlineRuntimeSettings.sourceMaps);
    try {
        return await work();
    } finally {
        Error.stackTraceLimit = previous.stackTraceLimit;
        process.setSourceMapsEnabled(previous.sourceMaps);
    }
}

/**
 * Runs a Pulumi program in-process under mocks and returns every resource it registered. Runs are
 * serialised: the Pulumi runtime keeps global state, so two programs cannot share the process at once.
 */
export async function runOffline(program: () => unknown, options: OfflineRunOptions): Promise<OfflineRun> {
    if (running) {
        throw new Error("offline engine: a run is already in progress in this process");
    }
    running = true;
    try {
        return await withOfflineRuntimeSettings(async () => ({ ...(await runUnderMocks(program, options)), runtime: activeRuntimeSettings() }));
    } finally {
        running = false;
    }
}

async function runUnderMocks(program: () => unknown, options: OfflineRunOptions): Promise<Omit<OfflineRun, "runtime">> {
    try {
        const project = options.project ?? "trustmesh";
        const monitor = new RecordingMonitor({
            newResource: (args) => newFakeResource(args),
            call: (args) => fakeCallResult(args),
        });
        settings.setMockOptions(monitor, project, options.stack, options.preview ?? false);
        pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);
        // Keep the program's own return value: the stack's massaged outputs have lost their secretness.
        let returned: Record<string, unknown> | undefined;
        await pulumi.runtime.runInPulumiStack(async () => {
            returned = (await program()) as Record<string, unknown> | undefined;
            return returned;
        });
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        const { outputs, secretOutputs } = await settleOutputs(returned ?? {});
        const resources = [...monitor.recorded].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
        const reads = [...monitor.reads].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
        return { stack: options.stack, resources, reads, outputs, secretOutputs };
    } catch (error) {
        // The SDK hangs a second, never-awaited rejected promise on some errors; keep it from crashing the process.
        const leftover = (error as { promise?: unknown } | undefined)?.promise;
        if (leftover instanceof Promise) leftover.catch(() => undefined);
        throw error;
    }
}

async function settleOutputs(values: Record<string, unknown>): Promise<{ outputs: Record<string, unknown>; secretOutputs: string[] }> {
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [key, value] of Object.entries(values)) {
        const serialized = await pulumi.runtime.serializeProperty(`output ${key}`, value, new Set(), { keepOutputValues: false });
        const plain = pulumi.runtime.deserializeProperty(serialized, true);
        if (isSecretWrapper(plain) || secretPaths({ v: plain }).length > 0) secretOutputs.push(key);
        outputs[key] = redactSecrets(plain);
    }
    return { outputs, secretOutputs: secretOutputs.sort() };
}
