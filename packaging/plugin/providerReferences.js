// @pulumi/pulumi's component analyzer (provider/experimental, up to 3.276.0 at least) writes an argument or
// output typed as a provider class (k8s.Provider: MeshLink's serverProvider, AksCluster's provider) as
// `/kubernetes/v4.34.2/schema.json#/resources/kubernetes`: the provider's __pulumiType is the bare package
// name, which is not a resource token. Every schema binder refuses it ("resource type kubernetes not found in
// package kubernetes"), so `pulumi package gen-sdk` fails for every language. A provider is referenced as
// `#/provider` in a Pulumi schema; this rewrites exactly those references and nothing else.
"use strict";

const resourceRef = /^\/([^/]+)\/v([^/]+)\/schema\.json#\/resources\/([^/]+)$/;

/** The `$ref` a provider class should have, or undefined when `ref` is not the analyzer's provider reference. */
function providerReference(ref) {
    const match = resourceRef.exec(ref);
    if (!match) return undefined;
    const [, packageName, version, token] = match;
    return token === packageName ? `/${packageName}/v${version}/schema.json#/provider` : undefined;
}

/** A copy of `schema` (a parsed package schema) with every provider reference written as `#/provider`. */
function withProviderReferences(schema) {
    if (Array.isArray(schema)) return schema.map(withProviderReferences);
    if (schema === null || typeof schema !== "object") return schema;
    const out = {};
    for (const [key, value] of Object.entries(schema)) {
        out[key] = key === "$ref" && typeof value === "string" ? (providerReference(value) ?? value) : withProviderReferences(value);
    }
    return out;
}

module.exports = { providerReference, withProviderReferences };
