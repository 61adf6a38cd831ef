import type { TrustmeshResourcePolicy } from "./types";
import { arr, isUnknownField, isUnknownPath, obj, packConfig, packConfigSchema } from "./values";

/**
 * Azure Key Vault (seed 003): `azure-native:keyvault:Vault` inputs (`properties.*`) and
 * `azure-native:authorization:RoleAssignment` inputs.
 */

export const vaultType = "azure-native:keyvault:Vault";
export const roleAssignmentType = "azure-native:authorization:RoleAssignment";

function vaultPolicy(
    name: string,
    severity: TrustmeshResourcePolicy["severity"],
    description: string,
    check: (properties: Record<string, any>, report: (message: string) => void, environment: string) => void,
    extra: Partial<TrustmeshResourcePolicy> = {},
): TrustmeshResourcePolicy {
    return {
        name,
        domain: "key-vault",
        severity,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (args.type !== vaultType) return;
            if (isUnknownField(args.props, "properties")) return;
            check(obj(args.props?.properties), reportViolation, packConfig(args.getConfig).environment);
        },
        ...extra,
    };
}

export const rbacAuthorization = vaultPolicy("key-vault-rbac-authorization", "high", "Checks that Key Vault uses Azure RBAC for data-plane access (properties.enableRbacAuthorization), not access policies.", (p, report) => {
    if (isUnknownField(p, "enableRbacAuthorization")) return;
    if (p.enableRbacAuthorization !== true) report("set properties.enableRbacAuthorization: true and grant access with role assignments scoped to the vault.");
});

export const noAccessPolicies = vaultPolicy("key-vault-no-access-policies", "low", "Checks that an RBAC-mode Key Vault carries no legacy access policies, which would be ignored and mislead readers.", (p, report) => {
    if (p.enableRbacAuthorization === true && arr(p.accessPolicies).length > 0) report("remove properties.accessPolicies; with RBAC authorization they are ignored.");
}, { enforcementLevel: "advisory" });

export const softDelete = vaultPolicy("key-vault-soft-delete", "high", "Checks that Key Vault soft delete is on (properties.enableSoftDelete) with a retention of at least 7 days.", (p, report) => {
    if (p.enableSoftDelete === false) report("remove properties.enableSoftDelete: false; deleted secrets must be recoverable.");
    if (typeof p.softDeleteRetentionInDays === "number" && p.softDeleteRetentionInDays < 7) report(`properties.softDeleteRetentionInDays is ${p.softDeleteRetentionInDays}; use 7 to 90 days.`);
});

export const purgeProtection = vaultPolicy("key-vault-purge-protection", "high", "Checks that Key Vault purge protection is on (properties.enablePurgeProtection), so a deleted vault cannot be purged before its retention ends.", (p, report) => {
    if (isUnknownField(p, "enablePurgeProtection")) return;
    if (p.enablePurgeProtection !== true) report("set properties.enablePurgeProtection: true.");
});

export const publicNetwork = vaultPolicy(
    "key-vault-public-network",
    "high",
    "Checks that a prod Key Vault is not open to the internet: publicNetworkAccess Disabled, or networkAcls.defaultAction Deny.",
    (p, report, environment) => {
        if (environment !== "prod") return;
        if (isUnknownField(p, "publicNetworkAccess") || isUnknownPath(p, "networkAcls.defaultAction")) return;
        const disabled = typeof p.publicNetworkAccess === "string" && p.publicNetworkAccess.toLowerCase() === "disabled";
        const denied = typeof obj(p.networkAcls).defaultAction === "string" && p.networkAcls.defaultAction.toLowerCase() === "deny";
        if (!disabled && !denied) report('prod vaults must set properties.publicNetworkAccess: "Disabled" or properties.networkAcls.defaultAction: "Deny" with the allowed networks listed.');
    },
    { configSchema: packConfigSchema },
);

/** Built-in role definition GUIDs. */
export const builtInRoles = {
    owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    userAccessAdministrator: "18d7d88d-d35b-4fb5-a5c3-7773c20a72b9",
    keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    keyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    keyVaultReader: "21090545-7ca7-4776-b22c-e363652d74d2",
    keyVaultCertificatesOfficer: "a4417e6f-fecd-4de8-b567-7b0420556985",
    keyVaultCertificateUser: "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    keyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
    keyVaultCryptoServiceEncryptionUser: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
} as const;

const keyVaultRoles = new Set<string>([
    builtInRoles.keyVaultAdministrator, builtInRoles.keyVaultSecretsUser, builtInRoles.keyVaultSecretsOfficer, builtInRoles.keyVaultReader,
    builtInRoles.keyVaultCertificatesOfficer, builtInRoles.keyVaultCertificateUser, builtInRoles.keyVaultCryptoOfficer, builtInRoles.keyVaultCryptoUser,
    builtInRoles.keyVaultCryptoServiceEncryptionUser,
]);
const privilegedRoles = new Map<string, string>([
    [builtInRoles.owner, "Owner"],
    [builtInRoles.contributor, "Contributor"],
    [builtInRoles.userAccessAdministrator, "User Access Administrator"],
]);

/** The role GUID at the end of a role definition id (`/subscriptions/.../roleDefinitions/<guid>` or a bare GUID). */
export function roleGuid(roleDefinitionId: unknown): string | undefined {
    if (typeof roleDefinitionId !== "string") return undefined;
    return roleDefinitionId.split("/").pop()?.toLowerCase();
}

export const roleAssignmentScope: TrustmeshResourcePolicy = {
    name: "key-vault-role-assignment-scope",
    domain: "key-vault",
    severity: "high",
    description: "Checks that Key Vault role assignments are scoped to one vault (or one secret), never to a resource group or subscription.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== roleAssignmentType) return;
        const props = obj(args.props);
        const guid = roleGuid(props.roleDefinitionId);
        if (!guid || !keyVaultRoles.has(guid) || typeof props.scope !== "string") return;
        if (!/\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+/i.test(props.scope)) {
            reportViolation(`a Key Vault role is assigned at scope ${props.scope}; scope it to the vault's id (…/providers/Microsoft.KeyVault/vaults/<name>).`);
        }
    },
};

export const roleAssignmentPrivileged: TrustmeshResourcePolicy = {
    name: "azure-role-assignment-not-privileged",
    domain: "key-vault",
    severity: "critical",
    description: "Checks that no role assignment grants Owner, Contributor or User Access Administrator; grant the narrow data-plane role instead.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== roleAssignmentType) return;
        const guid = roleGuid(obj(args.props).roleDefinitionId);
        const role = guid ? privilegedRoles.get(guid) : undefined;
        if (role) reportViolation(`assigns ${role}; assign a narrow role such as Key Vault Secrets User (${builtInRoles.keyVaultSecretsUser}) scoped to the vault.`);
    },
};

export const keyVaultPolicies: TrustmeshResourcePolicy[] = [
    rbacAuthorization,
    noAccessPolicies,
    softDelete,
    purgeProtection,
    publicNetwork,
    roleAssignmentScope,
    roleAssignmentPrivileged,
];
