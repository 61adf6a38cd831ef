import type { TrustmeshResourcePolicy } from "./types";
import { arr, isOpenCidr, isUnknownField, isUnknownPath, obj } from "./values";

/**
 * AKS hardening (seed 003 with Workload Identity instead of aad-pod-identity, and the CIS AKS benchmark),
 * on `azure-native:containerservice:ManagedCluster` (and `AgentPool`) inputs; field names from
 * `@pulumi/azure-native` types/input.d.ts.
 */

export const managedClusterType = "azure-native:containerservice:ManagedCluster";
export const agentPoolType = "azure-native:containerservice:AgentPool";

function aksPolicy(
    name: string,
    severity: TrustmeshResourcePolicy["severity"],
    description: string,
    check: (props: Record<string, any>, report: (message: string) => void) => void,
): TrustmeshResourcePolicy {
    return {
        name,
        domain: "aks",
        severity,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (args.type === managedClusterType) check(obj(args.props), reportViolation);
        },
    };
}

export const localAccounts = aksPolicy("aks-local-accounts-disabled", "high", "Checks that AKS local accounts are disabled (disableLocalAccounts), so every access goes through Entra ID.", (p, report) => {
    if (isUnknownField(p, "disableLocalAccounts")) return;
    if (p.disableLocalAccounts !== true) report("set disableLocalAccounts: true; the local admin kubeconfig bypasses Entra ID and cannot be audited per user.");
});

export const azureRbac = aksPolicy("aks-azure-rbac", "high", "Checks that AKS uses managed Entra ID integration with Azure RBAC for Kubernetes authorization (aadProfile.managed, aadProfile.enableAzureRBAC).", (p, report) => {
    if (isUnknownField(p, "aadProfile")) return;
    const aad = obj(p.aadProfile);
    if (aad.managed !== true) report("set aadProfile.managed: true (managed Entra ID integration).");
    if (aad.enableAzureRBAC !== true) report("set aadProfile.enableAzureRBAC: true so Kubernetes access is granted with Azure role assignments.");
});

export const kubernetesRbac = aksPolicy("aks-kubernetes-rbac", "critical", "Checks that Kubernetes RBAC is not turned off on AKS (enableRBAC).", (p, report) => {
    if (p.enableRBAC === false) report("remove enableRBAC: false; without RBAC every authenticated user is cluster-admin.");
});

export const oidcIssuer = aksPolicy("aks-oidc-issuer", "high", "Checks that the AKS OIDC issuer is on (oidcIssuerProfile.enabled), which Workload Identity federation needs.", (p, report) => {
    if (isUnknownPath(p, "oidcIssuerProfile.enabled")) return;
    if (obj(p.oidcIssuerProfile).enabled !== true) report("set oidcIssuerProfile.enabled: true.");
});

export const workloadIdentity = aksPolicy("aks-workload-identity", "high", "Checks that AKS Workload Identity is on (securityProfile.workloadIdentity.enabled).", (p, report) => {
    const wi = obj(obj(p.securityProfile).workloadIdentity);
    if (isUnknownPath(p, "securityProfile.workloadIdentity.enabled")) return;
    if (wi.enabled !== true) report("set securityProfile.workloadIdentity.enabled: true so pods get Entra ID tokens without secrets.");
});

export const podIdentity = aksPolicy("aks-no-pod-identity", "medium", "Checks that the archived aad-pod-identity add-on is off (podIdentityProfile.enabled); use Workload Identity.", (p, report) => {
    if (obj(p.podIdentityProfile).enabled === true) report("set podIdentityProfile.enabled: false and use Workload Identity; aad-pod-identity is archived and exposes the node's IMDS.");
});

export const networkPolicy = aksPolicy("aks-network-policy", "high", "Checks that AKS enforces NetworkPolicies (networkProfile.networkPolicy azure, calico or cilium).", (p, report) => {
    const profile = obj(p.networkProfile);
    if (isUnknownField(p, "networkProfile") || isUnknownField(profile, "networkPolicy")) return;
    const value = typeof profile.networkPolicy === "string" ? profile.networkPolicy.toLowerCase() : undefined;
    if (!value || !["azure", "calico", "cilium"].includes(value)) report(`networkProfile.networkPolicy is ${profile.networkPolicy ?? "<unset>"}; set "cilium" (with networkDataplane cilium), "azure" or "calico".`);
});

export const apiServerAccess = aksPolicy(
    "aks-api-server-access",
    "high",
    "Checks that the AKS API server is private or limited to authorized IP ranges, never 0.0.0.0/0.",
    (p, report) => {
        if (isUnknownField(p, "apiServerAccessProfile")) return;
        const profile = obj(p.apiServerAccessProfile);
        const ranges = arr(profile.authorizedIPRanges);
        for (const range of ranges) if (isOpenCidr(range)) report(`apiServerAccessProfile.authorizedIPRanges contains ${range}; list only the networks that administer the cluster.`);
        if (profile.enablePrivateCluster !== true && ranges.length === 0 && !isUnknownField(profile, "authorizedIPRanges")) {
            report("set apiServerAccessProfile.enablePrivateCluster: true or apiServerAccessProfile.authorizedIPRanges; the API server is open to the internet.");
        }
    },
);

export const autoUpgrade = aksPolicy("aks-auto-upgrade", "medium", "Checks that AKS has an auto-upgrade channel (autoUpgradeProfile.upgradeChannel not none) and node OS upgrades on.", (p, report) => {
    const profile = obj(p.autoUpgradeProfile);
    if (isUnknownPath(p, "autoUpgradeProfile.upgradeChannel")) return;
    const channel = typeof profile.upgradeChannel === "string" ? profile.upgradeChannel.toLowerCase() : undefined;
    if (!channel || channel === "none") report(`autoUpgradeProfile.upgradeChannel is ${profile.upgradeChannel ?? "<unset>"}; set "patch" or "stable".`);
    const os = typeof profile.nodeOSUpgradeChannel === "string" ? profile.nodeOSUpgradeChannel.toLowerCase() : undefined;
    if (os === "none" || os === "unmanaged") report(`autoUpgradeProfile.nodeOSUpgradeChannel is ${profile.nodeOSUpgradeChannel}; set "NodeImage" or "SecurityPatch".`);
});

export const keyVaultRotation = aksPolicy(
    "aks-key-vault-secrets-rotation",
    "medium",
    "Checks that the AKS Key Vault secrets-provider add-on, when on, rotates secrets (addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation).",
    (p, report) => {
        if (isUnknownField(p, "addonProfiles")) return;
        const addons = obj(p.addonProfiles);
        const key = Object.keys(addons).find((k) => k.toLowerCase() === "azurekeyvaultsecretsprovider");
        if (!key) return;
        const addon = obj(addons[key]);
        if (addon.enabled !== true) return;
        const config = obj(addon.config);
        if (isUnknownPath(addon, "config.enableSecretRotation")) return;
        if (String(config.enableSecretRotation).toLowerCase() !== "true") {
            report(`set addonProfiles.${key}.config.enableSecretRotation: "true" so rotated Key Vault secrets reach the pods.`);
        }
    },
);

export const httpApplicationRouting = aksPolicy("aks-no-http-application-routing", "medium", "Checks that the HTTP application routing add-on, not meant for production, is off.", (p, report) => {
    const addons = obj(p.addonProfiles);
    const key = Object.keys(addons).find((k) => k.toLowerCase() === "httpapplicationrouting");
    if (key && obj(addons[key]).enabled === true) report(`set addonProfiles.${key}.enabled: false; expose services through the Istio ingress gateway.`);
});

export const nodePublicIp: TrustmeshResourcePolicy = {
    name: "aks-no-node-public-ip",
    domain: "aks",
    severity: "high",
    description: "Checks that AKS nodes get no public IP (agentPoolProfiles[].enableNodePublicIP, AgentPool.enableNodePublicIP).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type === agentPoolType && obj(args.props).enableNodePublicIP === true) reportViolation("set enableNodePublicIP: false.");
        if (args.type !== managedClusterType) return;
        arr(obj(args.props).agentPoolProfiles).forEach((pool, i) => {
            if (obj(pool).enableNodePublicIP === true) reportViolation(`agentPoolProfiles[${i}] (${pool.name ?? "?"}) must set enableNodePublicIP: false.`);
        });
    },
};

export const aksPolicies: TrustmeshResourcePolicy[] = [
    localAccounts,
    azureRbac,
    kubernetesRbac,
    oidcIssuer,
    workloadIdentity,
    podIdentity,
    networkPolicy,
    apiServerAccess,
    autoUpgrade,
    keyVaultRotation,
    httpApplicationRouting,
    nodePublicIp,
];
