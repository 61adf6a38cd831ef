import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { parseStackFile, stackFilePath, type StackFile } from "../offline/stackFile";

/** Namespace of link `i` (1-based): one application namespace per link, on both clusters. */
export function benchNamespace(i: number): string {
    return `bench-app-${String(i).padStart(4, "0")}`;
}

/**
 * The prod stack file with `links` cross-cluster links appended to `trustmesh:mesh.links` and one
 * application namespace per link appended to `trustmesh:namespaces`. Servers alternate between the
 * clusters so both sides of the mesh grow; every link gets its own host and gateway port.
 */
export function scaledStackText(links: number, baseStack = "prod"): string {
    const doc = parseDocument(readFileSync(stackFilePath(baseStack), "utf8"));
    const config = (doc.toJS() as { config: Record<string, unknown> }).config;
    const namespaces = [...((config["trustmesh:namespaces"] as unknown[] | undefined) ?? [])];
    const mesh = { ...((config["trustmesh:mesh"] as Record<string, unknown> | undefined) ?? {}) };
    const meshLinks = [...((mesh.links as unknown[] | undefined) ?? [])];
    // Link hosts must sit inside the mesh's public DNS zone when the stack has one.
    const domain = (mesh.dns as { domain?: string } | undefined)?.domain ?? `${baseStack}.example.com`;
    for (let i = 1; i <= links; i++) {
        const ns = benchNamespace(i);
        const server = i % 2 === 0 ? "gke" : "aks";
        namespaces.push({ name: ns, clusters: ["gke", "aks"] });
        meshLinks.push({
            name: `link-${String(i).padStart(4, "0")}`,
            service: "api",
            namespace: ns,
            port: 8443,
            linkPort: 20000 + i,
            host: `link-${String(i).padStart(4, "0")}.${domain}`,
            server,
            client: server === "gke" ? "aks" : "gke",
            clientNamespace: ns,
        });
    }
    doc.setIn(["config", "trustmesh:namespaces"], doc.createNode(namespaces));
    doc.setIn(["config", "trustmesh:mesh"], doc.createNode({ ...mesh, links: meshLinks }));
    return doc.toString({ lineWidth: 0 });
}

/** The scaled stack as the plan reads it (secure: values replaced by their offline placeholders). */
export function scaledStackFile(links: number, baseStack = "prod"): StackFile {
    return parseStackFile(baseStack, scaledStackText(links, baseStack), `<${baseStack} + ${links} bench links>`);
}
