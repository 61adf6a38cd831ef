// The plugin entry point the Node plugin host runs (`cmd/run-plugin` calls the exported function when the
// module exports no component class). It serves the compiled package's components as the component provider
// `trustmesh`, exactly as the host would for a package main that exports them, except that getSchema repairs
// provider references (providerReferences.js). Needs `npm run build` first (dist/).
"use strict";

const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { ComponentProvider, getPulumiComponents } = require("@pulumi/pulumi/provider/experimental");
const { withProviderReferences } = require("./providerReferences");

/** The repository root: its package.json names the package, its index.ts is where the analyzer starts. */
const packageRoot = path.resolve(__dirname, "..", "..");

class TrustmeshProvider extends ComponentProvider {
    async getSchema() {
        return JSON.stringify(withProviderReferences(JSON.parse(await super.getSchema())));
    }
}

async function serve() {
    const components = getPulumiComponents(require(packageRoot));
    const provider = new TrustmeshProvider({ name: "trustmesh", dirname: packageRoot, components });
    await pulumi.provider.main(provider, process.argv.slice(2));
}

module.exports = serve;
// For test/package-schema.test.ts (not a component: the host still calls serve).
module.exports.TrustmeshProvider = TrustmeshProvider;
