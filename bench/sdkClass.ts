// Which provider SDK class a program registers a type token with, so the floor builds each resource
// the way any Pulumi program would (the class's own constructor work is the SDK's, not trustmesh's).
import type * as pulumi from "@pulumi/pulumi";

/** A provider SDK resource class: `new Class(name, args, opts)`. */
export type SdkResourceClass = new (name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions) => pulumi.Resource;

/**
 * The npm module whose exports hold a type's class, e.g. `gcp:compute/firewall:Firewall` ->
 * `@pulumi/gcp/compute`, `kubernetes:networking.k8s.io/v1:NetworkPolicy` -> `@pulumi/kubernetes/networking/v1`,
 * `tls:index/privateKey:PrivateKey` -> `@pulumi/tls`; undefined for tokens no provider SDK owns.
 */
export function sdkModuleOf(type: string): string | undefined {
    const [pkg, mod, name] = type.split(":");
    if (!pkg || !mod || !name || pkg === "pulumi" || pkg === "trustmesh") return undefined;
    if (pkg === "kubernetes") {
        // An API group's SDK module is its first label (`networking.k8s.io` -> networking), `core` is core.
        const slash = mod.lastIndexOf("/");
        if (slash < 0) return undefined;
        return `@pulumi/kubernetes/${mod.slice(0, slash).split(".")[0]}/${mod.slice(slash + 1)}`;
    }
    const first = mod.split("/")[0]!;
    return first === "index" ? `@pulumi/${pkg}` : `@pulumi/${pkg}/${first}`;
}

/**
 * The SDK class registered under exactly `type` (its static `__pulumiType`), else, for a Kubernetes
 * kind no SDK module declares (a CRD's), the SDK's `apiextensions.CustomResource`, which registers
 * `kubernetes:<apiVersion>:<kind>` from its args (as trustmesh's components do); undefined when
 * neither applies.
 */
export function sdkClassOf(type: string): SdkResourceClass | undefined {
    // Once per type: a program imports each class once, not once per resource.
    if (!resolved.has(type)) resolved.set(type, resolveSdkClass(type));
    return resolved.get(type);
}

const resolved = new Map<string, SdkResourceClass | undefined>();

function resolveSdkClass(type: string): SdkResourceClass | undefined {
    const name = type.split(":")[2];
    const module = sdkModuleOf(type);
    if (!module || !name) return undefined;
    const exported = loadExport(module, name);
    if (typeof exported === "function" && (exported as { __pulumiType?: string }).__pulumiType === type) return exported as SdkResourceClass;
    if (type.startsWith("kubernetes:")) {
        const customResource = loadExport("@pulumi/kubernetes/apiextensions", "CustomResource");
        if (typeof customResource === "function") return customResource as SdkResourceClass;
    }
    return undefined;
}

function loadExport(module: string, name: string): unknown {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(module) as Record<string, unknown>)[name];
    } catch {
        return undefined; // no such module in the installed SDK
    }
}
