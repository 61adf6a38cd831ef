// STAND-IN for the Pulumi Node.js language host (`pulumi-language-nodejs`), used by the e2e run only.
//
// Why: the real host is its own Go module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// and the Go module proxy reachable here refuses it (403); the last sdk/v3 that still carried it (v3.68.0)
// has no RunPlugin, which the engine needs to start a policy pack. This host does only what the real one
// does on the paths the e2e run takes: it starts the Node SDK's own entry points (`@pulumi/pulumi/cmd/run`,
// `cmd/run-plugin`, `cmd/run-policy-pack`) with the arguments and environment the real host passes. The
// program, the SDK, the engine and the policy pack all run unchanged. It says it is a stand-in on start.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as languageRpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as languageProto from "@pulumi/pulumi/proto/language_pb";
import * as pluginProto from "@pulumi/pulumi/proto/plugin_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";

const standInNotice = "trustmesh e2e: pulumi-language-nodejs is a STAND-IN (the real host is not served by the Go module proxy here)";
/** The exit code cmd/run uses after it has already told the user what went wrong (the real host's "bail"). */
const exitedAfterLoggingUserActionableMessage = 32;
const engineAddress = process.argv[2] ?? "";
const sdkVersion: string = JSON.parse(readFileSync(createRequire(__filename).resolve("@pulumi/pulumi/package.json"), "utf8")).version;

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

function unimplemented(what: string): grpc.ServiceError {
    return Object.assign(new Error(`${what}: not implemented by the trustmesh e2e stand-in language host`), {
        code: grpc.status.UNIMPLEMENTED,
        details: `${what} not implemented by the stand-in`,
        metadata: new grpc.Metadata(),
    });
}

/** Resolves an SDK entry point from the program's own node_modules, as the real host does. */
function locateSdkModule(module: string, programDirectory: string): string {
    return createRequire(path.join(programDirectory, "package.json")).resolve(module);
}

function runtimeOptions(info: languageProto.ProgramInfo | undefined): Record<string, unknown> {
    return (info?.getOptions()?.toJavaScript() ?? {}) as Record<string, unknown>;
}

function typescriptEnv(options: Record<string, unknown>): Record<string, string> {
    const env: Record<string, string> = {};
    // The real host's default for `typescript` is true.
    if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
    return env;
}

/** Packages in node_modules whose package.json declares a resource plugin (`"pulumi": {"resource": true}`). */
function requiredPlugins(programDirectory: string): pluginProto.PluginDependency[] {
    const found = new Map<string, pluginProto.PluginDependency>();
    const visit = (packageDir: string) => {
        const manifestPath = path.join(packageDir, "package.json");
        if (!existsSync(manifestPath)) return;
        const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
        if (!manifest.pulumi?.resource) return;
        const name: string = manifest.pulumi.name ?? String(manifest.name).replace(/^@pulumi\//, "").replace(/^@/, "");
        const version: string = manifest.pulumi.version ?? manifest.version;
        const dependency = new pluginProto.PluginDependency();
        dependency.setName(name);
        dependency.setKind("resource");
        dependency.setVersion(version.startsWith("v") ? version : `v${version}`);
        if (manifest.pulumi.server) dependency.setServer(manifest.pulumi.server);
        found.set(`${name}@${version}`, dependency);
    };
    const nodeModules = path.join(programDirectory, "node_modules");
    if (!existsSync(nodeModules)) return [];
    for (const entry of readdirSync(nodeModules)) {
        if (entry.startsWith("@")) {
            for (const scoped of readdirSync(path.join(nodeModules, entry))) visit(path.join(nodeModules, entry, scoped));
        } else {
            visit(path.join(nodeModules, entry));
        }
    }
    return [...found.values()];
}

const host: grpc.UntypedServiceImplementation = {
    handshake(call: grpc.ServerUnaryCall<any, any>, callback: Callback<languageProto.LanguageHandshakeResponse>) {
        void call;
        callback(null, new languageProto.LanguageHandshakeResponse());
    },

    getRequiredPlugins(call: grpc.ServerUnaryCall<languageProto.GetRequiredPluginsRequest, any>, callback: Callback<languageProto.GetRequiredPluginsResponse>) {
        try {
            const directory = call.request.getInfo()?.getProgramDirectory() || call.request.getPwd();
            const response = new languageProto.GetRequiredPluginsResponse();
            response.setPluginsList(requiredPlugins(findPackageRoot(directory)));
            callback(null, response);
        } catch (error) {
            callback(Object.assign(error as Error, { code: grpc.status.INTERNAL }) as grpc.ServiceError);
        }
    },

    getRequiredPackages(_call: unknown, callback: Callback<never>) {
        // The engine falls back to GetRequiredPlugins, which is all a program without parameterized packages needs.
        callback(unimplemented("GetRequiredPackages"));
    },

    run(call: grpc.ServerUnaryCall<languageProto.RunRequest, any>, callback: Callback<languageProto.RunResponse>) {
        const req = call.request;
        const info = req.getInfo();
        const programDirectory = info?.getProgramDirectory() || req.getPwd();
        const response = new languageProto.RunResponse();
        let runPath: string;
        try {
            runPath = locateSdkModule("@pulumi/pulumi/cmd/run", findPackageRoot(programDirectory));
        } catch {
            response.setError("It looks like the Pulumi SDK has not been installed. Have you run npm install?");
            callback(null, response);
            return;
        }
        const args = [runPath];
        const flag = (name: string, value: string | undefined) => {
            if (value) args.push(`--${name}`, value);
        };
        // As the real host does: pwd is the program folder, the entry point is relative to it.
        flag("monitor", req.getMonitorAddress());
        flag("engine", engineAddress);
        flag("organization", req.getOrganization());
        flag("project", req.getProject());
        flag("root-directory", info?.getRootDirectory());
        flag("stack", req.getStack());
        flag("pwd", programDirectory);
        if (req.getDryrun()) args.push("--dry-run");
        flag("parallel", String(req.getParallel()));
        args.push(info?.getEntryPoint() || ".", ...req.getArgsList());

        const config: Record<string, string> = {};
        req.getConfigMap().forEach((value: string, key: string) => {
            config[key] = value;
        });
        const env = {
            ...process.env,
            ...typescriptEnv(runtimeOptions(info)),
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
        };
        const child = spawn(process.execPath, args, { cwd: programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", (error) => {
            response.setError(`Problem executing program (could not run node): ${error.message}`);
            callback(null, response);
        });
        child.on("exit", (code, signal) => {
            if (code === exitedAfterLoggingUserActionableMessage) response.setBail(true);
            else if (code !== 0) response.setError(`Program exited with non-zero exit code: ${code ?? signal}`);
            callback(null, response);
        });
    },

    runPlugin(call: grpc.ServerWritableStream<languageProto.RunPluginRequest, languageProto.RunPluginResponse>) {
        const req = call.request;
        const info = req.getInfo();
        const programDirectory = info?.getProgramDirectory() ?? req.getPwd();
        const isPolicyPack = req.getKind() === "analyzer";
        const send = (set: (r: languageProto.RunPluginResponse) => void) => {
            const message = new languageProto.RunPluginResponse();
            set(message);
            call.write(message);
        };
        let runPath: string;
        try {
            runPath = locateSdkModule(isPolicyPack ? "@pulumi/pulumi/cmd/run-policy-pack" : "@pulumi/pulumi/cmd/run-plugin", programDirectory);
        } catch (error) {
            call.destroy(Object.assign(new Error(`could not find the Pulumi SDK from ${programDirectory}: ${(error as Error).message}`), { code: grpc.status.FAILED_PRECONDITION }));
            return;
        }
        // Policy packs take the program directory last and run in it; other plugins take it first and run in pwd.
        const args = isPolicyPack ? [runPath, ...req.getArgsList(), programDirectory] : [runPath, programDirectory, ...req.getArgsList()];
        const env: Record<string, string> = { ...typescriptEnv(runtimeOptions(info)) };
        for (const entry of req.getEnvList()) {
            const at = entry.indexOf("=");
            if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
        }
        const child = spawn(process.execPath, args, { cwd: isPolicyPack ? programDirectory : req.getPwd(), env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (chunk: Buffer) => send((m) => m.setStdout(chunk)));
        child.stderr.on("data", (chunk: Buffer) => send((m) => m.setStderr(chunk)));
        call.on("cancelled", () => child.kill());
        child.on("error", (error) => call.destroy(error));
        child.on("exit", (code) => {
            send((m) => m.setExitcode(code ?? 1));
            call.end();
        });
    },

    getPluginInfo(_call: unknown, callback: Callback<pluginProto.PluginInfo>) {
        const info = new pluginProto.PluginInfo();
        info.setVersion(sdkVersion);
        callback(null, info);
    },

    installDependencies(call: grpc.ServerWritableStream<any, any>) {
        // Dependencies are installed by `npm ci` before the e2e run; nothing to do.
        call.end();
    },

    about(_call: unknown, callback: Callback<languageProto.AboutResponse>) {
        const response = new languageProto.AboutResponse();
        response.setExecutable(process.execPath);
        response.setVersion(process.version);
        callback(null, response);
    },

    getProgramDependencies(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("GetProgramDependencies"));
    },
    runtimeOptionsPrompts(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("RuntimeOptionsPrompts"));
    },
    template(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("Template"));
    },
    generateProgram(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("GenerateProgram"));
    },
    generateProject(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("GenerateProject"));
    },
    generatePackage(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("GeneratePackage"));
    },
    pack(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("Pack"));
    },
    link(_call: unknown, callback: Callback<never>) {
        callback(unimplemented("Link"));
    },
    cancel(_call: unknown, callback: Callback<Empty>) {
        callback(null, new Empty());
    },
};

/** The nearest folder at or above `directory` with a package.json (the program's `main` may be a subfolder). */
function findPackageRoot(directory: string): string {
    let current = path.resolve(directory);
    while (!existsSync(path.join(current, "package.json"))) {
        const parent = path.dirname(current);
        if (parent === current) return path.resolve(directory);
        current = parent;
    }
    return current;
}

const server = new grpc.Server();
server.addService(languageRpc.LanguageRuntimeService, host);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
        console.error(`${standInNotice}: could not listen: ${error.message}`);
        process.exit(1);
    }
    process.stderr.write(`${standInNotice}\n`);
    // The engine reads the port from the first line of stdout.
    process.stdout.write(`${port}\n`);
});
