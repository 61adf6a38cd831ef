import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { allPolicies, packName } from "../policy/registry";

/**
 * `pulumi preview --policy-pack policy` starts `policy/` as a Node program (cwd = the pack folder) and
 * talks to it over gRPC. This starts the real pack the same way (ts-node, the loader the CLI uses) and
 * asks it what it serves, so a pack that cannot start (e.g. no package.json beside it) fails here.
 */
describe("policy pack entry", function () {
    this.timeout(120_000);
    let child: ChildProcess | undefined;
    after(() => child?.kill());

    it("starts as the CLI starts it and serves every policy of the registry", async () => {
        const policyDir = path.join(__dirname, "..", "policy");
        const tsNode = require.resolve("ts-node/dist/bin.js");
        child = spawn(process.execPath, [tsNode, "--transpile-only", "index.ts"], { cwd: policyDir, stdio: ["ignore", "pipe", "pipe"] });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            let err = "";
            child!.stdout!.on("data", (chunk: Buffer) => {
                out += chunk.toString();
                const match = /^(\d+)\s*$/m.exec(out);
                if (match) resolve(Number(match[1]));
            });
            child!.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
            child!.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving:\n${err}`)));
        });
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const info = await new Promise<AnalyzerInfo>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (error, response) => (error ? reject(error) : resolve(response))));
        client.close();
        assert.equal(info.getName(), packName);
        const served = info.getPoliciesList().map((p) => p.getName()).sort();
        assert.deepEqual(served, allPolicies.map((p) => p.name).sort());
    });
});
