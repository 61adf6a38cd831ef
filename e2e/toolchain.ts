// What `npm run e2e:setup` builds from the Go module proxy and what it installs as a stand-in. Each part of
// the end-to-end run adds its own entries here (kube-apiserver and etcd belong to the Kubernetes layer).
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { binDir, pluginDir, repoRoot } from "./cache";

/** A binary built with `go build` from a small module of our own under e2e/toolchain/<name>/. */
export interface GoBuild {
    name: string;
    /** Module folder, relative to the repository. */
    module: string;
    /** Package to build, as an import path the module requires. */
    pkg: string;
    /** The version the binary reports (and is installed as). */
    version: string;
    output: string;
    ldflags?: string[];
    /** Writes files the build needs that the module proxy does not carry (run before building). */
    prepare?: (goModuleDir: (modulePath: string) => string) => void;
    /** The `npm run e2e -- --only` checks that need it; undefined: every check. */
    checks?: string[];
    /** Installed as a Pulumi plugin named so, or undefined for a plain tool. */
    plugin?: { kind: "resource" | "language"; name: string };
    /** Set when the binary is a stand-in of our own for a real part: why the real one is not used. */
    standInReason?: string;
    /** Files `prepare` writes next to the output; a missing one means rebuild. */
    extraOutputs?: string[];
}

/** A plugin the project serves itself where the real one cannot be built here: a launcher script. */
export interface StandIn {
    kind: "resource" | "language";
    name: string;
    version: string;
    /** Where the launcher goes. */
    output: string;
    /** TypeScript entry point, relative to the repository, and its arguments. */
    entry: string;
    args: string[];
    /** Why the real one is not used: printed by setup and in the e2e report. */
    reason: string;
}

export function npmPackageVersion(name: string): string {
    return JSON.parse(readFileSync(path.join(repoRoot, "node_modules", name, "package.json"), "utf8")).version;
}

const pulumiVersion = "3.274.1";
const kubernetesProviderModule = "github.com/pulumi/pulumi-kubernetes/provider/v4";
/** The only build of the Kubernetes provider the module proxy serves here (a commit of 2026-01-15). */
const kubernetesProviderVersion = "4.0.0-20260115033456-f47bc2d6f199";

export function goBuilds(): GoBuild[] {
    return [
        {
            name: "pulumi",
            module: "e2e/toolchain/pulumi",
            pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
            version: pulumiVersion,
            output: path.join(binDir, "pulumi"),
            ldflags: [`-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${pulumiVersion}`],
        },
        {
            name: "kubernetes",
            module: "e2e/toolchain/kubernetes",
            pkg: ".",
            version: kubernetesProviderVersion,
            // On $PATH, not in PULUMI_HOME: the SDK asks for its own version, which this build is not, and
            // the CLI takes a plugin found on $PATH for any version.
            output: path.join(binDir, "pulumi-resource-kubernetes"),
            ldflags: [`-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${kubernetesProviderVersion}`],
            plugin: { kind: "resource", name: "kubernetes" },
            // "kubernetes": the `pulumi up` of `npm run e2e:kubernetes -- run` (e2e/kubernetes/up.ts).
            checks: ["preview", "parity", "kubernetes"],
            prepare: (goModuleDir) => writeKubernetesSchema(goModuleDir(`${kubernetesProviderModule}@v${kubernetesProviderVersion}`)),
        },
        {
            // `istioctl analyze` offline over the rendered manifests (e2e/istioctlAnalyze.ts); see the
            // module's tools.go for why this commit.
            name: "istioctl",
            module: "e2e/toolchain/istioctl",
            pkg: "istio.io/istio/istioctl/cmd/istioctl",
            version: istioctlVersion,
            output: path.join(binDir, "istioctl"),
            ldflags: [`-X istio.io/istio/pkg/version.buildVersion=${istioctlVersion}`],
            checks: ["istioctl"],
        },
        ...pythonLanguageHosts(),
    ];
}

/**
 * The python check's two Python language hosts, each in its own folder (neither next to bin/pulumi, where the
 * CLI would take it for every command): the check puts the one a step needs first on $PATH. Each finds the
 * Python SDK's exec script next to itself, as the real host does.
 */
export const pythonHostDirs = { standIn: path.join(binDir, "python-host-standin"), real: path.join(binDir, "python-host-v3.79.0") };

/**
 * STAND-IN Python language host (e2e/toolchain/python-host/main.go) for `pulumi package gen-sdk`: the real
 * host's module is refused by the proxy, and the last sdk/v3 that carried it (v3.79.0, below) has no
 * GeneratePackage ("method GeneratePackage not implemented").
 */
function pythonLanguageHosts(): GoBuild[] {
    const execScript = (sdkVersion: string, dir: string) => (goModuleDir: (modulePath: string) => string) => {
        const target = path.join(dir, "pulumi-language-python-exec");
        mkdirSync(dir, { recursive: true });
        copyFileSync(path.join(goModuleDir(`github.com/pulumi/pulumi/sdk/v3@v${sdkVersion}`), "python", "cmd", "pulumi-language-python-exec"), target);
        chmodSync(target, 0o644); // the module cache's copy is read-only
    };
    return [
        {
            name: "python-language-host",
            module: "e2e/toolchain/python-host",
            pkg: ".",
            version: pulumiVersion,
            output: path.join(pythonHostDirs.standIn, "pulumi-language-python"),
            ldflags: [`-X main.version=${pulumiVersion}`],
            plugin: { kind: "language", name: "python" },
            checks: ["python"],
            standInReason: `${notServed} (sdk/python/cmd/pulumi-language-python/v3); sdk/v3 <= v3.79.0 carried it but without GeneratePackage, which gen-sdk needs; used for gen-sdk only`,
            extraOutputs: [path.join(pythonHostDirs.standIn, "pulumi-language-python-exec")],
            prepare: (goModuleDir) => {
                // An earlier setup put it next to bin/pulumi, where the CLI would take it for every command.
                for (const stale of ["pulumi-language-python", "pulumi-language-python-exec"]) rmSync(path.join(binDir, stale), { force: true });
                execScript(pulumiVersion, pythonHostDirs.standIn)(goModuleDir);
            },
        },
        {
            // The real host, for running the Python program (preview): v3.79.0 works with CLI 3.274.1 there.
            name: "python-language-host-v3.79.0",
            module: "e2e/toolchain/python-host-v3.79",
            pkg: "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python",
            version: "3.79.0",
            output: path.join(pythonHostDirs.real, "pulumi-language-python"),
            ldflags: ["-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.79.0"],
            plugin: { kind: "language", name: "python" },
            checks: ["python"],
            extraOutputs: [path.join(pythonHostDirs.real, "pulumi-language-python-exec")],
            prepare: execScript("3.79.0", pythonHostDirs.real),
        },
    ];
}

/** istio.io/istio v0.0.0-20260827124520-eed52ebb66ad: master in the 1.31 cycle. */
const istioctlVersion = "1.31-dev+eed52ebb66ad";

/** What the provider's own `go generate` writes: the schema with its version, and the terraform mapping, minified. */
function writeKubernetesSchema(providerDir: string): void {
    const cmdDir = path.join(providerDir, "cmd", "pulumi-resource-kubernetes");
    const target = path.join(repoRoot, "e2e", "toolchain", "kubernetes");
    const schema = JSON.parse(readFileSync(path.join(cmdDir, "schema.json"), "utf8"));
    schema.version = kubernetesProviderVersion;
    writeFileSync(path.join(target, "schema-embed.json"), JSON.stringify(schema));
    const mapping = JSON.parse(readFileSync(path.join(cmdDir, "terraform-mapping.json"), "utf8"));
    writeFileSync(path.join(target, "terraform-mapping-embed.json"), JSON.stringify(mapping));
}

/** A real provider tried once at setup: its Go module is asked of the proxy, and the answer recorded. */
export interface ProviderProbe {
    name: string;
    module: string;
    version: string;
}

/** The cloud providers: building them is tried (they are stood in for whatever the answer). */
export function providerProbes(): ProviderProbe[] {
    return [
        { name: "gcp", module: "github.com/pulumi/pulumi-gcp/provider/v9", version: npmPackageVersion("@pulumi/gcp") },
        { name: "azure-native", module: "github.com/pulumi/pulumi-azure-native/v3/provider", version: npmPackageVersion("@pulumi/azure-native") },
        { name: "tls", module: "github.com/pulumi/pulumi-tls/provider/v5", version: npmPackageVersion("@pulumi/tls") },
    ];
}

const notServed = "its Go module is not served by the Go module proxy reachable here";

export function standIns(): StandIn[] {
    const provider = (name: string, npmName: string, reason: string): StandIn => {
        const version = npmPackageVersion(npmName);
        return {
            kind: "resource",
            name,
            version,
            output: path.join(pluginDir("resource", name, version), `pulumi-resource-${name}`),
            entry: "e2e/standins/provider.ts",
            args: [name, version],
            reason,
        };
    };
    return [
        {
            kind: "language",
            name: "nodejs",
            version: npmPackageVersion("@pulumi/pulumi"),
            // Next to bin/pulumi, where the CLI looks for its bundled language hosts.
            output: path.join(binDir, "pulumi-language-nodejs"),
            entry: "e2e/standins/languageHost.ts",
            args: [],
            reason: `${notServed} (sdk/nodejs/cmd/pulumi-language-nodejs/v3); sdk/v3 <= v3.68.0 carried it but without RunPlugin, which policy packs need`,
        },
        provider("gcp", "@pulumi/gcp", `a cloud provider: no cloud is reachable here, and ${notServed} (pulumi-gcp/provider)`),
        provider("azure-native", "@pulumi/azure-native", "a cloud provider: no cloud is reachable here, and its build embeds metadata generated at its own build"),
        provider("tls", "@pulumi/tls", `${notServed} (pulumi-tls/provider/v5, and the terraform-provider-tls it bridges)`),
    ];
}
