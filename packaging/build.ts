/**
 * `npm run build`: compiles the package entry points (`trustmesh` = components/index.ts,
 * `trustmesh/automation` = automation/index.ts) to CommonJS with `.d.ts` in dist/, and lays out the
 * compiled policy pack next to them, because trustmesh/automation attaches it to every preview and up.
 *
 * The repository's own program, tests and CLIs keep running from the TypeScript sources (tsx); only
 * what `npm pack` ships comes from here. dist/ is rebuilt from scratch so a deleted source file never
 * lingers in a tarball.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });

// The compiled pack: same description and config files, JavaScript main, so the Pulumi CLI runs it
// with plain node (no ts-node) from inside an installed node_modules/trustmesh.
const packSource = path.join(root, "policy");
const packOut = path.join(dist, "policy");
const packYaml = parse(readFileSync(path.join(packSource, "PulumiPolicy.yaml"), "utf8")) as { description: string };
writeFileSync(path.join(packOut, "PulumiPolicy.yaml"), stringify({ description: packYaml.description, runtime: { name: "nodejs", options: { typescript: false } } }));
const packJson = JSON.parse(readFileSync(path.join(packSource, "package.json"), "utf8")) as Record<string, unknown>;
writeFileSync(path.join(packOut, "package.json"), `${JSON.stringify({ ...packJson, main: "index.js", description: "The trustmesh policy pack, compiled: attached by trustmesh/automation to every preview and up." }, null, 2)}\n`);
mkdirSync(path.join(packOut, "config"), { recursive: true });
for (const file of readdirSync(path.join(packSource, "config"))) {
    if (file.endsWith(".json")) copyFileSync(path.join(packSource, "config", file), path.join(packOut, "config", file));
}
console.error(`built ${path.relative(process.cwd(), dist) || "dist"}: trustmesh, trustmesh/automation and the policy pack`);
