/**
 * Validates Kubernetes objects against the upstream OpenAPI schemas shipped by kubernetes-models
 * (built-in kinds) and its @kubernetes-models packages (Istio, cert-manager, trust-manager). Those
 * packages are ESM-only, so they are loaded with dynamic import and cached per apiVersion.
 */

export type SchemaStatus = "valid" | "invalid" | "unvalidated";

export interface SchemaResult {
    status: SchemaStatus;
    errors: string[];
    /** Where the schema came from, e.g. `kubernetes-models/apps/v1`. */
    source?: string;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** Which package publishes the schemas of an API group. */
function schemaPackageFor(apiVersion: string): string | undefined {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
    if (group === "" || group.endsWith(".k8s.io") || ["apps", "batch", "autoscaling", "policy", "extensions"].includes(group)) {
        return "kubernetes-models";
    }
    if (group.endsWith(".istio.io")) return "@kubernetes-models/istio";
    if (group.endsWith("cert-manager.io") || group === "trust-manager.io") return "@kubernetes-models/cert-manager";
    return undefined;
}

const moduleCache = new Map<string, Promise<Record<string, unknown> | undefined>>();

function loadModule(specifier: string): Promise<Record<string, unknown> | undefined> {
    let cached = moduleCache.get(specifier);
    if (!cached) {
        cached = import(specifier).then(
            (m: Record<string, unknown>) => m,
            () => undefined,
        );
        moduleCache.set(specifier, cached);
    }
    return cached;
}

export async function findModel(apiVersion: string, kind: string): Promise<{ model: ModelClass; source: string } | undefined> {
    const pkg = schemaPackageFor(apiVersion);
    if (!pkg) return undefined;
    const source = `${pkg}/${apiVersion}`;
    const mod = await loadModule(source);
    const model = mod?.[kind];
    return typeof model === "function" ? { model: model as ModelClass, source } : undefined;
}

export async function validateObject(object: Record<string, any>): Promise<SchemaResult> {
    const apiVersion = String(object.apiVersion ?? "");
    const kind = String(object.kind ?? "");
    if (!apiVersion || !kind) {
        return { status: "invalid", errors: ["apiVersion and kind are required"] };
    }
    const found = await findModel(apiVersion, kind);
    if (!found) return { status: "unvalidated", errors: [] };
    try {
        new found.model(object).validate();
        return { status: "valid", errors: [], source: found.source };
    } catch (error) {
        const details = (error as { errors?: Array<{ instancePath?: string; message?: string; params?: unknown }> }).errors;
        const errors = Array.isArray(details)
            ? details.map((d) => `${d.instancePath || "/"} ${d.message ?? "is invalid"}${formatParams(d.params)}`)
            : [(error as Error).message];
        return { status: "invalid", errors, source: found.source };
    }
}

function formatParams(params: unknown): string {
    if (!params || typeof params !== "object") return "";
    const p = params as Record<string, unknown>;
    if (typeof p.additionalProperty === "string") return ` (${p.additionalProperty})`;
    if (Array.isArray(p.allowedValues)) return ` (allowed: ${p.allowedValues.join(", ")})`;
    return "";
}
