import { strict as assert } from "node:assert";
import { npmSdkResourceTokens, standInSchema } from "../e2e/standins/standInSchema";

// The schema the e2e stand-in providers serve so `pulumi package gen-sdk` can bind trustmesh's references
// to their resources (e2e python check): every resource token of the npm SDK, named as a stand-in.
describe("stand-in provider schema", () => {
    it("lists the npm SDK's resource tokens, including the ones trustmesh's schema refers to", () => {
        const tls = npmSdkResourceTokens("tls");
        for (const token of ["tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert", "tls:index/certRequest:CertRequest"]) {
            assert.ok(tls.includes(token), `${token} in ${tls.join(", ")}`);
        }
        assert.ok(tls.every((t) => t.startsWith("tls:")));
        assert.ok(npmSdkResourceTokens("gcp").includes("gcp:compute/firewall:Firewall"));
    });

    it("says it is a stand-in, at the version it stands in for", () => {
        const schema = JSON.parse(standInSchema("tls", "5.6.1")) as { name: string; version: string; description: string; resources: Record<string, { description: string }> };
        assert.equal(schema.name, "tls");
        assert.equal(schema.version, "5.6.1");
        assert.match(schema.description, /STAND-IN/);
        assert.match(schema.resources["tls:index/privateKey:PrivateKey"]!.description, /STAND-IN/);
    });
});
