// STAND-IN resource provider for a cloud the e2e run cannot reach or build (gcp, azure-native, tls), served
// over gRPC by the Node SDK's own provider server. It answers from the same fakes the offline engine uses
// (offline/fakes/*): ids, endpoints, real keys and certificates for tls. It is installed only in the e2e
// cache, under the real plugin's name and the version the npm SDK asks for, and never reaches a user's
// deployment. Every process announces itself as a stand-in on stderr, which the CLI shows.
//
// Usage: provider.ts <plugin name> <version> [engine address]
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import "../../offline/fakes";
import { fakeCallResult, newFakeResource } from "../../offline/fakeOutputs";
import { isPlainObject, isSecretWrapper, unwrapSecrets } from "../../offline/values";
import { standInSchema } from "./standInSchema";
import { withLocalClusterCallResult, withLocalClusterOutputs } from "./localClusters";

const [pluginName, pluginVersion, ...engineArgs] = process.argv.slice(2);
if (!pluginName || !pluginVersion) {
    console.error("usage: provider.ts <plugin name> <version> [engine address]");
    process.exit(2);
}
export const standInNotice = `trustmesh e2e: resource plugin "${pluginName}" v${pluginVersion} is a STAND-IN answering from offline/fakes (not the real provider)`;

/** `urn:pulumi:<stack>::<project>::<parent types$>type::<name>` -> type and name. */
function typeAndName(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const qualifiedType = parts[2] ?? "";
    return { type: qualifiedType.split("$").pop() ?? qualifiedType, name: parts.slice(3).join("::") };
}

/** Keeps an input's secret wrapper on an output the faker passed through unchanged. */
function keepSecrets(inputs: Record<string, unknown>, state: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...state };
    for (const [key, value] of Object.entries(inputs)) {
        if (isSecretWrapper(value) && JSON.stringify(unwrapSecrets(value)) === JSON.stringify(state[key])) out[key] = value;
    }
    return out;
}

async function fakeCreate(urn: string, inputs: Record<string, unknown>, id = ""): Promise<{ id: string; outs: Record<string, unknown> }> {
    const { type, name } = typeAndName(urn);
    const plainInputs = unwrapSecrets(inputs);
    const args: MockResourceArgs = { type, name, inputs: isPlainObject(plainInputs) ? plainInputs : {}, custom: true, id } as MockResourceArgs;
    const result = await newFakeResource(args);
    const outs = withLocalClusterOutputs(type, (result.state ?? {}) as Record<string, unknown>);
    return { id: String(result.id), outs: keepSecrets(inputs, outs) };
}

const provider: pulumi.provider.Provider = {
    version: pluginVersion,
    async create(urn, inputs) {
        return fakeCreate(urn, inputs);
    },
    async update(id, urn, _olds, news) {
        return { outs: (await fakeCreate(urn, news, id)).outs };
    },
    async read(id, urn, props) {
        // Nothing outside this process holds the resource: what the state says is what exists.
        void urn;
        return { id, props };
    },
    async delete() {
        // Nothing to remove outside the engine's state.
    },
    async getSchema() {
        return standInSchema(pluginName, pluginVersion);
    },
    async invoke(token, inputs) {
        const result = fakeCallResult({ token, inputs: unwrapSecrets(inputs) } as Parameters<typeof fakeCallResult>[0]);
        return { outputs: withLocalClusterCallResult(token, result) };
    },
};

process.stderr.write(`${standInNotice}\n`);
void pulumi.provider.main(provider, engineArgs);
