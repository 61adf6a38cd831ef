import * as https from "node:https";

/** Where and as whom a client talks to one API server. */
export interface KubeCredentials {
    /** `https://127.0.0.1:<port>` */
    server: string;
    caCertPem: string;
    clientCertPem: string;
    clientKeyPem: string;
}

/** An API answer: the HTTP status and the parsed JSON body (a `Status` object on errors). */
export interface KubeResponse {
    status: number;
    body: Record<string, unknown>;
}

/** A resource type as discovery names it. */
export interface ResourceType {
    plural: string;
    namespaced: boolean;
}

/** The subset of a Kubernetes object every call needs. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}

/** The field manager trustmesh's own checks write with (server-side apply needs one). */
export const e2eFieldManager = "trustmesh-e2e";

/**
 * A small client for the local API servers over their real REST API (client certificate auth,
 * discovery, server-side apply). Written against `node:https` because the checks need exactly
 * these calls and the project carries no Kubernetes client library.
 */
export class KubeClient {
    private readonly agent: https.Agent;
    private readonly discovery = new Map<string, Map<string, ResourceType>>();

    constructor(private readonly credentials: KubeCredentials) {
        this.agent = new https.Agent({
            ca: credentials.caCertPem,
            cert: credentials.clientCertPem,
            key: credentials.clientKeyPem,
            keepAlive: true,
            maxSockets: 8,
        });
    }

    request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
        const url = new URL(path, this.credentials.server);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.agent,
                    headers: { accept: "application/json", ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}) },
                    timeout: 30_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (chunk: Buffer) => chunks.push(chunk));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: Record<string, unknown>;
                        try {
                            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
                        } catch {
                            parsed = { message: text };
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer in 30 s`)));
            req.on("error", reject);
            if (payload) req.write(payload);
            req.end();
        });
    }

    /** Forgets discovery answers: call after installing CRDs. */
    resetDiscovery(): void {
        this.discovery.clear();
    }

    /** The resource type of `kind` in `apiVersion`, from the server's discovery; undefined if it serves no such kind. */
    async resourceType(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
        let kinds = this.discovery.get(apiVersion);
        if (!kinds) {
            const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
            const answer = await this.request("GET", path);
            kinds = new Map();
            if (answer.status === 200) {
                for (const resource of (answer.body.resources as Array<{ name: string; kind: string; namespaced: boolean }>) ?? []) {
                    if (!resource.name.includes("/")) kinds.set(resource.kind, { plural: resource.name, namespaced: resource.namespaced });
                }
            }
            this.discovery.set(apiVersion, kinds);
        }
        return kinds.get(kind);
    }

    /** The REST path of an object (or of its collection when `name` is left out). */
    async pathOf(object: Pick<KubeObject, "apiVersion" | "kind"> & { metadata: { namespace?: string } }, name?: string): Promise<string> {
        const type = await this.resourceType(object.apiVersion, object.kind);
        if (!type) throw new Error(`the API server serves no ${object.kind} in ${object.apiVersion}`);
        const base = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
        const namespace = type.namespaced ? `/namespaces/${object.metadata.namespace ?? "default"}` : "";
        return `${base}${namespace}/${type.plural}${name ? `/${name}` : ""}`;
    }

    /**
     * Server-side apply of one object. `dryRun` runs every admission and validation step and stores
     * nothing. Strict field validation: an unknown or duplicate field is an error, as `kubectl apply
     * --server-side` reports it.
     */
    async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeResponse> {
        const query = new URLSearchParams({ fieldManager: e2eFieldManager, fieldValidation: "Strict", force: "true" });
        if (options.dryRun) query.set("dryRun", "All");
        const path = await this.pathOf(object, object.metadata.name);
        return this.request("PATCH", `${path}?${query}`, object, "application/apply-patch+yaml");
    }

    /** Creates an object (POST), optionally as a server-side dry run. */
    async create(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeResponse> {
        const query = new URLSearchParams({ fieldValidation: "Strict" });
        if (options.dryRun) query.set("dryRun", "All");
        return this.request("POST", `${await this.pathOf(object)}?${query}`, object);
    }

    async get(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<KubeResponse> {
        return this.request("GET", await this.pathOf(object, object.metadata.name));
    }

    /** Names of the objects of a kind (in a namespace, or across all namespaces when none is given). */
    async list(apiVersion: string, kind: string, namespace?: string): Promise<Array<{ name: string; namespace?: string }>> {
        const type = await this.resourceType(apiVersion, kind);
        if (!type) return [];
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const answer = await this.request("GET", `${base}${type.namespaced && namespace ? `/namespaces/${namespace}` : ""}/${type.plural}`);
        const items = (answer.body.items as Array<{ metadata: { name: string; namespace?: string } }>) ?? [];
        return items.map((item) => ({ name: item.metadata.name, namespace: item.metadata.namespace }));
    }

    close(): void {
        this.agent.destroy();
    }
}

/** The message of a failed call: the `Status` message the API server returned. */
export function statusMessage(response: KubeResponse): string {
    const message = response.body.message;
    return typeof message === "string" ? message : `HTTP ${response.status}`;
}
