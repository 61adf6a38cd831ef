// The floor's program: registers a trustmesh run's resources again, as a bare Pulumi program would,
// with no trustmesh code. Kept apart from the child so a test can run it under the offline engine and
// compare what it registers with what the plan registered.
import * as pulumi from "@pulumi/pulumi";
import { programResources, type RecordedResource } from "../offline/engine";
import type { FloorResource } from "./types";
import { sdkClassOf } from "./sdkClass";

/** What the floor needs of a plan's resources: the graph and the redacted inputs, never a secret value. */
export function floorResources(resources: RecordedResource[]): FloorResource[] {
    return programResources(resources).map((r) => ({ urn: r.urn, type: r.type, name: r.name, custom: r.custom, parent: r.parent, provider: r.provider, dependencies: r.dependencies, inputs: r.inputs }));
}

// Plain subclasses: the SDK's base classes are abstract, and registerOutputs is protected.
class FloorCustom extends pulumi.CustomResource {}
class FloorProvider extends pulumi.ProviderResource {}
class FloorComponent extends pulumi.ComponentResource {
    // With the component's inputs, as the SDK registers a component's args.
    constructor(type: string, name: string, inputs: Record<string, unknown>, opts: pulumi.ComponentResourceOptions) {
        super(type, name, inputs, opts);
        this.registerOutputs({});
    }
}

/** Registers every resource (parents, providers and dependencies first); returns how many went through an SDK class. */
export function registerFloor(list: FloorResource[]): number {
    const byUrn = new Map(list.map((r) => [r.urn, r]));
    const created = new Map<string, pulumi.Resource>();
    let throughSdkClasses = 0;
    const ensure = (resource: FloorResource): pulumi.Resource => {
        const existing = created.get(resource.urn);
        if (existing) return existing;
        const parentEntry = resource.parent ? byUrn.get(resource.parent) : undefined;
        const providerEntry = resource.provider ? byUrn.get(resource.provider) : undefined;
        const opts: pulumi.CustomResourceOptions = {};
        if (parentEntry) opts.parent = ensure(parentEntry);
        if (providerEntry) opts.provider = ensure(providerEntry) as pulumi.ProviderResource;
        const dependsOn = (resource.dependencies ?? []).map((urn) => byUrn.get(urn)).filter((r): r is FloorResource => !!r);
        if (dependsOn.length > 0) opts.dependsOn = dependsOn.map(ensure);
        // Providers stay generic: their recorded inputs are already the provider classes' serialised form.
        const sdkClass = resource.type.startsWith("pulumi:providers:") ? undefined : sdkClassOf(resource.type);
        let made: pulumi.Resource;
        if (sdkClass) {
            made = new sdkClass(resource.name, resource.inputs, opts);
            throughSdkClasses++;
        } else if (resource.type.startsWith("pulumi:providers:")) {
            made = new FloorProvider(resource.type.slice("pulumi:providers:".length), resource.name, resource.inputs, opts);
        } else if (resource.custom) {
            made = new FloorCustom(resource.type, resource.name, resource.inputs, opts);
        } else {
            made = new FloorComponent(resource.type, resource.name, resource.inputs, opts);
        }
        created.set(resource.urn, made);
        return made;
    };
    for (const resource of list) ensure(resource);
    return throughSdkClasses;
}
