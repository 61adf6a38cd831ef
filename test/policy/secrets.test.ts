import { strict as assert } from "node:assert";
import { runPolicies } from "../../offline/policyRunner";
import { isSecretPath, secretsPolicies } from "../../policy/secrets";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const SECRET = "kubernetes:core/v1:Secret";
const KV = "azure-native:keyvault:Secret";
const secret = { metadata: { name: "db", namespace: "mysql" }, type: "Opaque", stringData: { password: "s3cret" } };
const kvSecret = { resourceGroupName: "rg", vaultName: "kv", secretName: "db-password", properties: { value: "s3cret" } };
const configMap = { metadata: { name: "app", namespace: "payments" }, data: { "log-level": "info", "tls-secret-name": "app-tls" } };
const release = { name: "app", chart: "app", values: { auth: { password: "s3cret", existingSecretName: "db" } } };

describe("policy: secrets", () => {
    policyTable(SECRET, secret, [
        { policy: "secrets-kubernetes-secret-data", path: "stringData.username", value: "admin", secretPaths: ["stringData.password"] },
        { policy: "secrets-kubernetes-secret-data", path: "data", value: { "tls.key": "LS0t" }, secretPaths: ["stringData"] },
    ]);
    policyTable(KV, kvSecret, [{ policy: "secrets-key-vault-secret-value", path: "", value: undefined, secretPaths: ["properties.value"], changedSecretPaths: [] }]);
    policyTable(SECRET, secret, [{ policy: "secrets-kubernetes-secret-data", path: "", value: undefined, secretPaths: ["stringData.password"], changedSecretPaths: [] }]);
    policyTable("kubernetes:core/v1:ConfigMap", configMap, [
        { policy: "secrets-no-credentials-in-config-maps", path: "data.db-password", value: "hunter2" },
        { policy: "secrets-no-credentials-in-config-maps", path: "data.api_token", value: "abc" },
    ]);
    policyTable("kubernetes:helm.sh/v3:Release", release, [
        { policy: "secrets-helm-values", path: "values.auth.rootPassword", value: "x", secretPaths: ["values.auth.password"] },
    ]);

    it("passes secret values the engine marked (a whole map or one key)", () => {
        for (const paths of [["stringData"], ["stringData.password"], ["."]]) {
            assert.deepEqual(violationsOf("secrets-kubernetes-secret-data", [subject(SECRET, secret, { secretPaths: paths })]), [], paths.join());
        }
        assert.deepEqual(violationsOf("secrets-key-vault-secret-value", [subject(KV, kvSecret, { secretPaths: ["properties.value"] })]), []);
        assert.ok(isSecretPath(["values.auth"], "values.auth.password"));
        assert.ok(!isSecretPath(["values.auth"], "values.authz"));
    });

    it("is not applicable where secretness is invisible (plain YAML, the Pulumi CLI)", () => {
        assert.deepEqual(runPolicies([subject(SECRET, secret), subject(KV, kvSecret)], { policies: secretsPolicies }), []);
    });

    nullSafety("secrets", [SECRET, KV, "kubernetes:core/v1:ConfigMap", "kubernetes:helm.sh/v3:Release"]);
});
