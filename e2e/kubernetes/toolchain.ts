import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubernetesBinaries } from "./localCluster";
import { repoRoot } from "./plannedManifests";

/** One Go binary the e2e run builds from a module of the project's own under e2e/toolchain/. */
export interface GoBuildStep {
    name: string;
    /** The Go module's folder, relative to the repository root. */
    dir: string;
    /** The package to build, relative to `dir`. */
    pkg: string;
    /** Output file name under `<cache>/bin/`. */
    out: string;
    /** The version the binary is built from: part of the stamp, so a change rebuilds. */
    version: string;
    ldflags: string;
}

/** What a build left behind (`<cache>/stamps/<name>.json`). */
export interface BuildStamp {
    name: string;
    version: string;
    sizeBytes: number;
    buildMs: number;
}

export const kubernetesVersion = "v1.37.2";
export const etcdVersion = "v3.7.0";

// What Kubernetes' own build (hack/lib/version.sh) stamps into component-base/version.
const kubeVersionFlags = [
    `-X k8s.io/component-base/version.gitVersion=${kubernetesVersion}`,
    "-X k8s.io/component-base/version.gitMajor=1",
    "-X k8s.io/component-base/version.gitMinor=37",
    "-X k8s.io/component-base/version.gitTreeState=clean",
].join(" ");

export const kubernetesBuildSteps: GoBuildStep[] = [
    { name: "kube-apiserver", dir: "e2e/toolchain/control-plane", pkg: "./kube-apiserver", out: "kube-apiserver", version: kubernetesVersion, ldflags: `-s -w ${kubeVersionFlags}` },
    {
        name: "kube-controller-manager",
        dir: "e2e/toolchain/control-plane",
        pkg: "./kube-controller-manager",
        out: "kube-controller-manager",
        version: kubernetesVersion,
        ldflags: `-s -w ${kubeVersionFlags}`,
    },
    { name: "etcd", dir: "e2e/toolchain/etcd", pkg: ".", out: "etcd", version: etcdVersion, ldflags: "-s -w" },
];

/** The e2e cache: `$TRUSTMESH_E2E_CACHE`, default `~/.cache/trustmesh-e2e`. */
export function e2eCacheDir(): string {
    return process.env.TRUSTMESH_E2E_CACHE ?? path.join(os.homedir(), ".cache", "trustmesh-e2e");
}

function goBinary(): string {
    const fromPath = spawnSync("go", ["version"], { encoding: "utf8" });
    if (fromPath.status === 0) return "go";
    if (existsSync("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
    throw new Error("Go is needed to build the e2e binaries (go 1.26 or later on PATH, or /usr/local/go/bin/go)");
}

function stampPath(cache: string, name: string): string {
    return path.join(cache, "stamps", `${name}.json`);
}

/** The stamp of a built binary that is still there, at the step's version; undefined when it must be built. */
export function currentStamp(step: GoBuildStep, cache = e2eCacheDir()): BuildStamp | undefined {
    const file = stampPath(cache, step.name);
    if (!existsSync(file) || !existsSync(path.join(cache, "bin", step.out))) return undefined;
    const stamp = JSON.parse(readFileSync(file, "utf8")) as BuildStamp;
    return stamp.version === step.version ? stamp : undefined;
}

/** Builds a step (unless its stamp says it is built) and returns its stamp. */
export function buildStep(step: GoBuildStep, cache = e2eCacheDir(), log: (line: string) => void = console.log): BuildStamp {
    const existing = currentStamp(step, cache);
    if (existing) return existing;
    mkdirSync(path.join(cache, "bin"), { recursive: true });
    mkdirSync(path.join(cache, "stamps"), { recursive: true });
    const out = path.join(cache, "bin", step.out);
    log(`building ${step.name} ${step.version} (Go, several minutes on 2 cores)...`);
    const started = Date.now();
    const result = spawnSync(goBinary(), ["build", "-trimpath", "-ldflags", step.ldflags, "-o", out, step.pkg], {
        cwd: path.join(repoRoot, step.dir),
        env: { ...process.env, CGO_ENABLED: "0" },
        stdio: ["ignore", "inherit", "inherit"],
    });
    if (result.status !== 0) throw new Error(`go build of ${step.name} failed (exit ${result.status})`);
    const stamp: BuildStamp = { name: step.name, version: step.version, sizeBytes: statSync(out).size, buildMs: Date.now() - started };
    writeFileSync(stampPath(cache, step.name), `${JSON.stringify(stamp, null, 2)}\n`);
    log(`built ${step.name}: ${(stamp.sizeBytes / 1048576).toFixed(1)} MiB in ${(stamp.buildMs / 1000).toFixed(0)} s`);
    return stamp;
}

/** Builds what is missing and returns the paths of the binaries the local clusters run. */
export function ensureKubernetesBinaries(cache = e2eCacheDir(), log?: (line: string) => void): { binaries: KubernetesBinaries; stamps: BuildStamp[] } {
    const stamps = kubernetesBuildSteps.map((step) => buildStep(step, cache, log));
    const bin = (name: string) => path.join(cache, "bin", name);
    return { binaries: { kubeApiserver: bin("kube-apiserver"), kubeControllerManager: bin("kube-controller-manager"), etcd: bin("etcd") }, stamps };
}

/** The binaries if all are built at the right version, else undefined (the run then says to run e2e:setup). */
export function builtKubernetesBinaries(cache = e2eCacheDir()): KubernetesBinaries | undefined {
    if (!kubernetesBuildSteps.every((step) => currentStamp(step, cache))) return undefined;
    const bin = (name: string) => path.join(cache, "bin", name);
    return { kubeApiserver: bin("kube-apiserver"), kubeControllerManager: bin("kube-controller-manager"), etcd: bin("etcd") };
}
