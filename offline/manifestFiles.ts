import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { kubernetesTypeToken } from "../policy/kubernetes";
import type { PolicySubject } from "./policyRunner";
import { isClusterScoped } from "./resourceScope";

/** A YAML file that cannot be read or parsed; the message names the file and line. */
export class ManifestFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ManifestFileError";
    }
}

export interface FileObject {
    file: string;
    /** 1-based line the object's document starts on. */
    line: number;
    object: Record<string, any>;
    subject: PolicySubject;
    /** True when the file gave no namespace and the object got the default one, as `kubectl apply` would. */
    namespaceDefaulted: boolean;
}

export interface ReadManifestOptions {
    /**
     * Namespace for namespaced objects that name none, as `kubectl apply -n <ns>` gives them.
     * @default - left without a namespace
     */
    defaultNamespace?: string;
}

/** Every .yaml/.yml file under the given files and folders, sorted, so runs are repeatable. */
export function collectYamlFiles(inputs: string[]): string[] {
    const files: string[] = [];
    for (const input of inputs) {
        let stat;
        try {
            stat = statSync(input);
        } catch {
            throw new ManifestFileError(`${input}: no such file or folder`);
        }
        if (stat.isDirectory()) {
            const entries = readdirSync(input, { recursive: true, encoding: "utf8" })
                .filter((entry) => /\.ya?ml$/i.test(entry))
                .map((entry) => path.join(input, entry))
                .filter((entry) => statSync(entry).isFile());
            files.push(...entries.sort());
        } else {
            files.push(input);
        }
    }
    return files;
}

/** Reads multi-document YAML into policy subjects of type `kubernetes:<apiVersion>:<kind>`; `kind: List` is expanded. */
export function readManifestFile(file: string, options: ReadManifestOptions = {}): FileObject[] {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new ManifestFileError(`${file}: cannot be read (${(error as Error).message})`);
    }
    const lineCounter = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter, prettyErrors: true });
    if (!Array.isArray(documents)) {
        throw new ManifestFileError(`${file}: not a YAML stream`);
    }
    const objects: FileObject[] = [];
    documents.forEach((doc, docIndex) => {
        if (doc.errors.length > 0) {
            const first = doc.errors[0]!;
            const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
            throw new ManifestFileError(`${file}:${line}: invalid YAML: ${first.message.split("\n")[0]}`);
        }
        const value = doc.toJS() as unknown;
        if (value === null || value === undefined) return;
        const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : 1;
        if (typeof value !== "object" || Array.isArray(value)) {
            throw new ManifestFileError(`${file}:${line}: document ${docIndex + 1} is not a Kubernetes object (expected a mapping with apiVersion and kind)`);
        }
        const object = value as Record<string, any>;
        const items: Record<string, any>[] = object.kind === "List" && Array.isArray(object.items) ? object.items : [object];
        items.forEach((item, itemIndex) => {
            if (!item || typeof item !== "object" || typeof item.apiVersion !== "string" || typeof item.kind !== "string") {
                throw new ManifestFileError(`${file}:${line}: document ${docIndex + 1} has no apiVersion and kind`);
            }
            const name = String(item.metadata?.name ?? `<unnamed-${docIndex}-${itemIndex}>`);
            const given = item.metadata?.namespace as string | undefined;
            const namespaceDefaulted = !given && options.defaultNamespace !== undefined && !isClusterScoped(item.apiVersion, item.kind);
            const object = namespaceDefaulted ? { ...item, metadata: { ...item.metadata, namespace: options.defaultNamespace } } : item;
            const namespace = object.metadata?.namespace as string | undefined;
            const type = kubernetesTypeToken(item.apiVersion, item.kind);
            objects.push({
                file,
                line,
                object,
                subject: { urn: `${file}#${docIndex}.${itemIndex}:${item.kind}/${namespace ? `${namespace}/` : ""}${name}`, type, name, props: object },
                namespaceDefaulted,
            });
        });
    });
    return objects;
}
