// The package schema a STAND-IN provider serves (GetSchema), so `pulumi package gen-sdk` can bind the
// trustmesh schema's references to this provider's resources (e.g. GcpNetwork's `webhookFirewall`, a
// `gcp:compute/firewall:Firewall`). The real schema ships only with the real provider, whose Go module the
// proxy refuses here; this one lists every resource token the npm SDK of the same version registers
// (`__pulumiType`), without properties: enough to bind a reference, nothing to generate an SDK of this
// provider from. Its description says it is a stand-in.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const resourceToken = /__pulumiType = ['"]([^'"]+)['"]/g;

function* javascriptFiles(dir: string): Generator<string> {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name !== "node_modules") yield* javascriptFiles(path.join(dir, entry.name));
        else if (entry.isFile() && entry.name.endsWith(".js")) yield path.join(dir, entry.name);
    }
}

/** Every resource token the npm SDK `@pulumi/<name>` registers. */
export function npmSdkResourceTokens(pluginName: string): string[] {
    const sdkDir = path.dirname(createRequire(__filename).resolve(`@pulumi/${pluginName}/package.json`));
    const tokens = new Set<string>();
    for (const file of javascriptFiles(sdkDir)) {
        for (const match of readFileSync(file, "utf8").matchAll(resourceToken)) {
            if (match[1]!.startsWith(`${pluginName}:`)) tokens.add(match[1]!);
        }
    }
    return [...tokens].sort();
}

export function standInSchema(pluginName: string, version: string): string {
    const description = `trustmesh e2e STAND-IN schema for ${pluginName} ${version}: resource tokens of the npm SDK, no properties (not the real provider's schema)`;
    const resources = Object.fromEntries(npmSdkResourceTokens(pluginName).map((token) => [token, { description, properties: {}, inputProperties: {} }]));
    return JSON.stringify({ name: pluginName, version, description, resources });
}
