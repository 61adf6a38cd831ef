import { strict as assert } from "node:assert";
import { builtInRoles } from "../../policy/keyVault";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const VAULT = "azure-native:keyvault:Vault";
const RA = "azure-native:authorization:RoleAssignment";
const vaultId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/trustmesh-prod-kv";
const vault = {
    resourceGroupName: "rg",
    vaultName: "trustmesh-prod-kv",
    properties: {
        tenantId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        publicNetworkAccess: "Disabled",
        networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
    },
};
const assignment = {
    principalId: "00000000-0000-4000-8000-000000000001",
    principalType: "ServicePrincipal",
    roleDefinitionId: `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${builtInRoles.keyVaultSecretsUser}`,
    scope: vaultId,
};

describe("policy: Key Vault", () => {
    policyTable(VAULT, vault, [
        { policy: "key-vault-rbac-authorization", path: "properties.enableRbacAuthorization", value: false },
        { policy: "key-vault-no-access-policies", path: "properties.accessPolicies", value: [{ objectId: "x", tenantId: "y", permissions: {} }] },
        { policy: "key-vault-soft-delete", path: "properties.enableSoftDelete", value: false },
        { policy: "key-vault-soft-delete", path: "properties.softDeleteRetentionInDays", value: 3 },
        { policy: "key-vault-purge-protection", path: "properties.enablePurgeProtection", value: undefined },
        { policy: "key-vault-public-network", path: "properties.networkAcls.defaultAction", value: "Allow", base: { ...vault, properties: { ...vault.properties, publicNetworkAccess: "Enabled" } } },
    ]);
    policyTable(RA, assignment, [
        { policy: "key-vault-role-assignment-scope", path: "scope", value: "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg" },
        { policy: "azure-role-assignment-not-privileged", path: "roleDefinitionId", value: `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${builtInRoles.contributor}` },
        { policy: "azure-role-assignment-not-privileged", path: "roleDefinitionId", value: builtInRoles.owner },
    ]);

    it("leaves public network access to the environment: only prod must close it", () => {
        const open = { ...vault, properties: { ...vault.properties, publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Allow" } } };
        assert.deepEqual(violationsOf("key-vault-public-network", [subject(VAULT, open)], { config: { environment: "staging" } }), []);
    });

    it("never reports a scope unknown during preview (the vault's id is an output)", () => {
        assert.deepEqual(violationsOf("key-vault-role-assignment-scope", [subject(RA, { ...assignment, scope: undefined })]), []);
    });

    nullSafety("key-vault", [VAULT, RA]);
});
