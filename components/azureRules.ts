/**
 * The rules of Azure that trustmesh checks before registering anything. Plain values with no Pulumi
 * imports, shared by the components and the stack config schema.
 */

/** A Key Vault name: globally unique DNS label `<name>.vault.azure.net`. */
export const keyVaultNamePattern = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
export const keyVaultNameRule = "must be 3-24 letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'";

/** A Key Vault secret, key or certificate name. */
export const keyVaultObjectNamePattern = /^[a-zA-Z0-9-]{1,127}$/;
export const keyVaultObjectNameRule = "must be 1-127 letters, digits and hyphens";
