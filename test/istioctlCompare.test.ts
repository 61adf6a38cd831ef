import { strict as assert } from "node:assert";
import { compareFindings, coveredBy, notCovered, parseIstioctlJson } from "../e2e/istioctlCompare";

describe("istioctl analyze next to the pack (comparison rules)", () => {
    const subsetMissing = { code: "IST0101", level: "Error", message: 'Referenced host+subset in destinationrule not found: "web+v2"', origin: "VirtualService shop/web" };

    it("matches an istioctl message by a covering policy on the same object", () => {
        const same = compareFindings("f.yaml", [subsetMissing], [{ policy: "mesh-destination-rule-subsets-exist", kind: "VirtualService", namespace: "shop", name: "web" }]);
        assert.deepEqual(same, { file: "f.yaml", istioctl: ["IST0101"], trustmesh: ["mesh-destination-rule-subsets-exist"], unmatched: [] });
    });

    it("leaves it unmatched when the policy fires on another object, or no covering policy fires", () => {
        assert.deepEqual(compareFindings("f.yaml", [subsetMissing], [{ policy: "mesh-destination-rule-subsets-exist", kind: "VirtualService", namespace: "other", name: "web" }]).unmatched, ["IST0101 VirtualService shop/web"]);
        assert.deepEqual(compareFindings("f.yaml", [subsetMissing], [{ policy: "workload-image-tag", kind: "VirtualService", namespace: "shop", name: "web" }]).unmatched, ["IST0101 VirtualService shop/web"]);
        assert.deepEqual(compareFindings("f.yaml", [{ ...subsetMissing, code: "IST9999" }], []).unmatched, ["IST9999 VirtualService shop/web"]);
    });

    it("does not count documented codes as unmatched, and documents each with a reason", () => {
        assert.deepEqual(compareFindings("f.yaml", [{ ...subsetMissing, code: "IST0134" }], []).unmatched, []);
        for (const [code, reason] of Object.entries(notCovered)) assert.ok(!(code in coveredBy) && reason.length > 40, code);
    });

    it("parses istioctl's JSON, and empty output as no message", () => {
        assert.deepEqual(parseIstioctlJson(""), []);
        assert.deepEqual(parseIstioctlJson(JSON.stringify([{ ...subsetMissing, documentationUrl: "x", reference: "f.yaml:3" }])), [subsetMissing]);
        assert.throws(() => parseIstioctlJson("{}"), /expected an array/);
        assert.deepEqual(parseIstioctlJson("2026-12-01T05:40:03Z\twarn\twarnings occurred during mesh validation\n\n[]\n"), [], "log lines before the JSON");
    });
});
