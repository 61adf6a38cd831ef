import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { unknown as sdkUnknown } from "@pulumi/pulumi/output";
import { inputViews, redactSecrets, secretPaths, unwrapSecrets } from "../offline/values";

const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });

describe("inputViews: the engine's one walk over a resource's inputs", () => {
    const cases: Record<string, unknown> = {
        "plain values": { a: 1, b: "x", c: [true, null, { d: 2 }], e: {} },
        "a secret string deep in an object": { metadata: { name: "n" }, stringData: { password: secret("hunter2"), user: "u" } },
        "a secret map keeps its shape": { data: secret({ "tls.crt": "A", "tls.key": "B" }) },
        "secrets in a list": { args: ["--a", secret("s1"), { token: secret("s2") }] },
        "a secret holding a secret": { v: secret(secret("inner")) },
        "the value itself a secret": secret({ k: "v" }),
        "unknowns of both kinds": { ip: pulumi.runtime.unknownValue, id: sdkUnknown, list: [pulumi.runtime.unknownValue, "kept"] },
        "a secret beside an unknown": { a: secret("s"), b: pulumi.runtime.unknownValue, c: { d: secret([1, 2]) } },
        "a primitive": "just a string",
    };
    for (const [name, value] of Object.entries(cases)) {
        it(`gives what redactSecrets, unwrapSecrets and secretPaths give: ${name}`, () => {
            const views = inputViews(value);
            assert.deepEqual(views.redacted, redactSecrets(value));
            assert.deepEqual(views.clear, unwrapSecrets(value));
            assert.deepEqual(views.secretPaths, secretPaths(value));
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
