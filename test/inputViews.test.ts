import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { unknown as sdkUnknown } from "@pulumi/pulumi/output";
import { inputViews, redactSecrets, secretPaths, unwrapSecrets } from "../offline/values";

const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
const unknownValue = pulumi.runtime.unknownValue;

describe("inputViews: the engine's one walk over a resource's inputs", () => {
    const cases: Array<{ name: string; value: unknown; redacted: unknown; clear: unknown; paths: string[] }> = [
        { name: "plain values", value: { a: 1, b: "x", c: [true, null, { d: 2 }], e: {} }, redacted: { a: 1, b: "x", c: [true, null, { d: 2 }], e: {} }, clear: { a: 1, b: "x", c: [true, null, { d: 2 }], e: {} }, paths: [] },
        {
            name: "a secret string deep in an object",
            value: { metadata: { name: "n" }, stringData: { password: secret("hunter2"), user: "u" } },
            redacted: { metadata: { name: "n" }, stringData: { password: "[secret]", user: "u" } },
            clear: { metadata: { name: "n" }, stringData: { password: "hunter2", user: "u" } },
            paths: ["stringData.password"],
        },
        {
            name: "a secret map keeps its shape",
            value: { data: secret({ "tls.crt": "A", "tls.key": "B" }) },
            redacted: { data: { "tls.crt": "[secret]", "tls.key": "[secret]" } },
            clear: { data: { "tls.crt": "A", "tls.key": "B" } },
            paths: ["data"],
        },
        {
            name: "secrets in a list",
            value: { args: ["--a", secret("s1"), { token: secret("s2") }] },
            redacted: { args: ["--a", "[secret]", { token: "[secret]" }] },
            clear: { args: ["--a", "s1", { token: "s2" }] },
            paths: ["args[1]", "args[2].token"],
        },
        { name: "a secret holding a secret", value: { v: secret(secret("inner")) }, redacted: { v: "[secret]" }, clear: { v: "inner" }, paths: ["v"] },
        { name: "the value itself a secret", value: secret({ k: "v" }), redacted: { k: "[secret]" }, clear: { k: "v" }, paths: ["."] },
        {
            name: "unknowns of both kinds",
            value: { ip: unknownValue, id: sdkUnknown, list: [unknownValue, "kept"] },
            redacted: { ip: "[unknown]", id: "[unknown]", list: ["[unknown]", "kept"] },
            clear: { ip: undefined, id: undefined, list: [undefined, "kept"] },
            paths: [],
        },
        {
            name: "a secret beside an unknown",
            value: { a: secret("s"), b: unknownValue, c: { d: secret([1, 2]) } },
            redacted: { a: "[secret]", b: "[unknown]", c: { d: ["[secret]", "[secret]"] } },
            clear: { a: "s", b: undefined, c: { d: [1, 2] } },
            paths: ["a", "c.d"],
        },
        { name: "a primitive", value: "just a string", redacted: "just a string", clear: "just a string", paths: [] },
    ];
    for (const c of cases) {
        it(`redacts, unwraps and finds the secret paths: ${c.name}`, () => {
            const views = inputViews(c.value);
            assert.deepEqual(views.redacted, c.redacted);
            assert.deepEqual(views.clear, c.clear);
            assert.deepEqual(views.secretPaths, c.paths);
            // The single-view functions give the same.
            assert.deepEqual(redactSecrets(c.value), c.redacted);
            assert.deepEqual(unwrapSecrets(c.value), c.clear);
            assert.deepEqual(secretPaths(c.value), c.paths);
        });
    }

    it("shares a subtree with neither secrets nor unknowns between both views instead of copying it", () => {
        const plain = { spec: { podSelector: {}, ingress: [{ ports: [{ port: 443 }] }] } };
        const value = { metadata: { name: "n" }, plain, secretThing: secret("s") };
        const views = inputViews(value);
        assert.equal((views.redacted as typeof value).plain, plain);
        assert.equal((views.clear as typeof value).plain, plain);
        assert.notEqual(views.redacted, value, "the object holding the secret is copied");
        assert.equal((value.secretThing as Record<string, unknown>).value, "s", "the input itself is left as it was");
    });
});
