import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as pulumi from "@pulumi/pulumi";
import { keyVaultNamePattern, keyVaultNameRule, keyVaultObjectNamePattern, keyVaultObjectNameRule } from "./azureRules";
import { cidrProblem, isWholeInternet } from "./cidr";
import { builtInRoleDefinitionId } from "./azureWorkloadIdentity";
import { rfc1123Label } from "./names";

export interface KeyVaultReaderArgs {
    /** Short name for the role assignment children, unique in the vault, e.g. `mysql`. */
    name: string;
    /** Principal (object) id of the workload identity. */
    principalId: pulumi.Input<string>;
    /** Grant `Key Vault Secrets User` (read secret values). @default true */
    secrets?: boolean;
    /** Grant `Key Vault Certificate User` (read certificates; their keys are read as secrets). @default false */
    certificates?: boolean;
    /** Grant `Key Vault Crypto User` (use keys). @default false */
    keys?: boolean;
}

export interface KeyVaultPrivateEndpointArgs {
    /** Subnet the private endpoint takes an address in. */
    subnetId: pulumi.Input<string>;
    /** VNet linked to the `privatelink.vaultcore.azure.net` zone so workloads resolve the private address. */
    vnetId: pulumi.Input<string>;
}

export interface KeyVaultArgs {
    /** Vault name: 3-24 letters, digits and hyphens, globally unique. */
    vaultName: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    /** Subscription (for role definition ids). */
    subscriptionId: string;
    /** Entra tenant that authenticates vault requests. */
    tenantId: string;
    /** Allow the public endpoint (behind the firewall). Off means a private endpoint is the only way in. @default false */
    publicNetworkAccess?: boolean;
    /** Public ranges the firewall lets through when public network access is on; never 0.0.0.0/0. @default [] */
    allowedIpRanges?: string[];
    /** Subnets (with the Microsoft.KeyVault service endpoint) the firewall lets through. @default [] */
    allowedSubnetIds?: pulumi.Input<string>[];
    /** Private endpoint plus private DNS zone. @default - none */
    privateEndpoint?: KeyVaultPrivateEndpointArgs;
    /** Soft-delete retention, 7-90 days. @default 90 */
    softDeleteRetentionDays?: number;
    /** Secrets to create, by name; values are stored as Pulumi secrets. @default {} */
    secrets?: Record<string, pulumi.Input<string>>;
    /** Identities that read the vault; their roles are scoped to this vault only. @default [] */
    readers?: KeyVaultReaderArgs[];
    /** Protect the vault from `pulumi destroy` and replacement. @default false */
    protect?: boolean;
    /** Tags. @default {} */
    tags?: Record<string, string>;
}

export function validateKeyVaultArgs(args: KeyVaultArgs): string[] {
    const problems: string[] = [];
    if (!keyVaultNamePattern.test(args.vaultName)) problems.push(`vaultName "${args.vaultName}" ${keyVaultNameRule}`);
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (!guid.test(args.tenantId ?? "")) problems.push(`tenantId "${args.tenantId ?? ""}" must be the Entra tenant GUID`);
    if (!guid.test(args.subscriptionId ?? "")) problems.push(`subscriptionId "${args.subscriptionId ?? ""}" must be the subscription GUID`);
    const retention = args.softDeleteRetentionDays ?? 90;
    if (!Number.isInteger(retention) || retention < 7 || retention > 90) problems.push(`softDeleteRetentionDays ${retention} must be an integer from 7 to 90`);
    for (const range of args.allowedIpRanges ?? []) {
        // Key Vault network rules take IPv4 addresses and ranges only.
        const problem = cidrProblem(range);
        if (problem) problems.push(`allowedIpRanges entry "${range}" ${problem}`);
        else if (isWholeInternet(range)) problems.push(`allowedIpRanges entry "${range}" would open the vault to the whole internet`);
    }
    if (!args.publicNetworkAccess && (args.allowedIpRanges ?? []).length > 0) {
        problems.push("allowedIpRanges has no effect with publicNetworkAccess off; remove them or turn public access on");
    }
    for (const name of Object.keys(args.secrets ?? {})) {
        if (!keyVaultObjectNamePattern.test(name)) problems.push(`secrets key "${name}" ${keyVaultObjectNameRule}`);
    }
    const readers = new Set<string>();
    for (const reader of args.readers ?? []) {
        if (!rfc1123Label.test(reader.name)) problems.push(`readers name "${reader.name}" must be a lowercase RFC 1123 label`);
        if (readers.has(reader.name)) problems.push(`readers name "${reader.name}" is used twice`);
        readers.add(reader.name);
    }
    return problems;
}

/**
 * An Azure Key Vault in RBAC mode with soft delete and purge protection, a default-deny firewall (or
 * no public endpoint at all), secrets from stack config kept as Pulumi secrets, and read roles for
 * workload identities scoped to this vault.
 */
export class KeyVault extends pulumi.ComponentResource {
    public readonly vaultId: pulumi.Output<string>;
    public readonly vaultName: pulumi.Output<string>;
    public readonly vaultUri: pulumi.Output<string>;
    /** Versionless secret URIs by secret name. */
    public readonly secretUris: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
        // Component args are recorded in state too: the secret values must be secrets there as well.
        super("trustmesh:index:KeyVault", name, { ...args, secrets: secretValues(args.secrets) }, opts);
        const problems = validateKeyVaultArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`KeyVault ${name}: ${problems.join("; ")}`, this);
        const built = buildKeyVault(name, args, this);
        this.vaultId = built.vault.id;
        this.vaultName = built.vault.name;
        this.vaultUri = built.vault.properties.apply((p) => p.vaultUri ?? "");
        this.secretUris = Object.fromEntries(Object.entries(built.secrets).map(([key, secret]) => [key, secret.properties.apply((p) => p.secretUri ?? "")]));
        this.registerOutputs({ vaultId: this.vaultId, vaultName: this.vaultName, vaultUri: this.vaultUri, secretUris: this.secretUris });
    }
}

export function buildKeyVault(name: string, args: KeyVaultArgs, parent: pulumi.Resource) {
    const opts = { parent };
    const tags = { "managed-by": "trustmesh", ...(args.tags ?? {}) };
    const publicAccess = args.publicNetworkAccess ?? false;

    const vault = new keyvault.Vault(
        `${name}-vault`,
        {
            vaultName: args.vaultName,
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            tags,
            properties: {
                tenantId: args.tenantId,
                sku: { family: "A", name: "standard" },
                // Azure RBAC instead of access policies: reads are granted per identity and scope, and audited.
                enableRbacAuthorization: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: args.softDeleteRetentionDays ?? 90,
                // A deleted vault or secret cannot be purged before the retention ends, not even by an owner.
                enablePurgeProtection: true,
                enabledForDeployment: false,
                enabledForDiskEncryption: false,
                enabledForTemplateDeployment: false,
                publicNetworkAccess: publicAccess ? "Enabled" : "Disabled",
                networkAcls: {
                    defaultAction: "Deny",
                    // Lets ARM and Azure's own trusted services (backup, Defender) through; workloads still need a rule.
                    bypass: "AzureServices",
                    ipRules: (args.allowedIpRanges ?? []).map((value) => ({ value })),
                    virtualNetworkRules: (args.allowedSubnetIds ?? []).map((id) => ({ id })),
                },
            },
        },
        // With purge protection, a vault deleted by mistake blocks its name for the whole retention: protect it in prod.
        { parent, protect: args.protect ?? false },
    );

    const secrets: Record<string, keyvault.Secret> = {};
    for (const [secretName, value] of Object.entries(secretValues(args.secrets))) {
        secrets[secretName] = new keyvault.Secret(
            `${name}-secret-${secretName.toLowerCase()}`,
            { resourceGroupName: args.resourceGroupName, vaultName: vault.name, secretName, properties: { value } },
            { parent, additionalSecretOutputs: ["properties"] },
        );
    }

    const roleAssignments: authorization.RoleAssignment[] = [];
    for (const reader of args.readers ?? []) {
        const roles: Array<[string, string]> = [];
        if (reader.secrets ?? true) roles.push(["secrets", "Key Vault Secrets User"]);
        if (reader.certificates) roles.push(["certificates", "Key Vault Certificate User"]);
        if (reader.keys) roles.push(["keys", "Key Vault Crypto User"]);
        for (const [suffix, role] of roles) {
            roleAssignments.push(
                new authorization.RoleAssignment(
                    `${name}-${reader.name}-${suffix}`,
                    {
                        principalId: reader.principalId,
                        principalType: "ServicePrincipal",
                        roleDefinitionId: builtInRoleDefinitionId(args.subscriptionId, role),
                        // This vault only: never the resource group or subscription.
                        scope: vault.id,
                    },
                    opts,
                ),
            );
        }
    }

    let privateEndpoint: network.PrivateEndpoint | undefined;
    let dnsZone: privatedns.PrivateZone | undefined;
    if (args.privateEndpoint) {
        dnsZone = new privatedns.PrivateZone(`${name}-dns`, { resourceGroupName: args.resourceGroupName, privateZoneName: "privatelink.vaultcore.azure.net", location: "global", tags }, opts);
        new privatedns.VirtualNetworkLink(
            `${name}-dns-link`,
            { resourceGroupName: args.resourceGroupName, privateZoneName: dnsZone.name, location: "global", registrationEnabled: false, virtualNetwork: { id: args.privateEndpoint.vnetId }, tags },
            opts,
        );
        privateEndpoint = new network.PrivateEndpoint(
            `${name}-pe`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                subnet: { id: args.privateEndpoint.subnetId },
                privateLinkServiceConnections: [{ name: "vault", privateLinkServiceId: vault.id, groupIds: ["vault"] }],
                tags,
            },
            opts,
        );
        new network.PrivateDnsZoneGroup(
            `${name}-pe-dns`,
            { resourceGroupName: args.resourceGroupName, privateEndpointName: privateEndpoint.name, privateDnsZoneConfigs: [{ name: "vault", privateDnsZoneId: dnsZone.id }] },
            opts,
        );
    }

    return { vault, secrets, roleAssignments, privateEndpoint, dnsZone };
}

/** Every secret value wrapped as a Pulumi secret, whatever the caller passed. */
export function secretValues(values: Record<string, pulumi.Input<string>> | undefined): Record<string, pulumi.Output<string>> {
    return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, pulumi.secret(value)]));
}
