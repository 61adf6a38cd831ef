import { strict as assert } from "node:assert";
import { nullSafety, policyTable, subject, violationsOf } from "./harness";

const MC = "azure-native:containerservice:ManagedCluster";
const cluster = {
    resourceGroupName: "rg",
    disableLocalAccounts: true,
    enableRBAC: true,
    aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: ["bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"] },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
    networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium", networkDataplane: "cilium" },
    apiServerAccessProfile: { enablePrivateCluster: true },
    autoUpgradeProfile: { upgradeChannel: "stable", nodeOSUpgradeChannel: "NodeImage" },
    addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } } },
    agentPoolProfiles: [{ name: "system", mode: "System", enableNodePublicIP: false }],
};

describe("policy: AKS", () => {
    policyTable(MC, cluster, [
        { policy: "aks-local-accounts-disabled", path: "disableLocalAccounts", value: false },
        { policy: "aks-azure-rbac", path: "aadProfile.enableAzureRBAC", value: false },
        { policy: "aks-azure-rbac", path: "aadProfile", value: undefined },
        { policy: "aks-kubernetes-rbac", path: "enableRBAC", value: false },
        { policy: "aks-oidc-issuer", path: "oidcIssuerProfile.enabled", value: false },
        { policy: "aks-workload-identity", path: "securityProfile.workloadIdentity.enabled", value: false },
        { policy: "aks-no-pod-identity", path: "podIdentityProfile", value: { enabled: true } },
        { policy: "aks-network-policy", path: "networkProfile.networkPolicy", value: "none" },
        { policy: "aks-api-server-access", path: "apiServerAccessProfile.enablePrivateCluster", value: false },
        { policy: "aks-api-server-access", path: "apiServerAccessProfile.authorizedIPRanges", value: ["0.0.0.0/0"] },
        { policy: "aks-auto-upgrade", path: "autoUpgradeProfile.upgradeChannel", value: "none" },
        { policy: "aks-auto-upgrade", path: "autoUpgradeProfile.nodeOSUpgradeChannel", value: "None" },
        { policy: "aks-key-vault-secrets-rotation", path: "addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation", value: "false" },
        { policy: "aks-no-http-application-routing", path: "addonProfiles.httpApplicationRouting", value: { enabled: true } },
        { policy: "aks-no-node-public-ip", path: "agentPoolProfiles.0.enableNodePublicIP", value: true },
        { policy: "aks-no-node-public-ip", path: "enableNodePublicIP", value: true, type: "azure-native:containerservice:AgentPool", base: { resourceName: "apps" } },
    ]);

    it("accepts a public API server limited to authorized ranges", () => {
        const ranged = { ...cluster, apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/28"] } };
        assert.deepEqual(violationsOf("aks-api-server-access", [subject(MC, ranged)]), []);
    });

    it("never reports a value unknown during preview", () => {
        const unknown = { ...cluster, securityProfile: undefined, oidcIssuerProfile: undefined, apiServerAccessProfile: undefined, disableLocalAccounts: undefined };
        for (const name of ["aks-workload-identity", "aks-oidc-issuer", "aks-api-server-access", "aks-local-accounts-disabled"]) {
            assert.deepEqual(violationsOf(name, [subject(MC, unknown)]), [], name);
        }
    });

    nullSafety("aks", [MC, "azure-native:containerservice:AgentPool"]);
});
