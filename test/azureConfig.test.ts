import { strict as assert } from "node:assert";
import { ConfigError, parseEnvironmentConfig } from "../stacks/config";
import { azureEnvironmentProblems, keyVaultNamePattern, resolveAksSettings } from "../stacks/config/azure";
import { dnsServiceIp, validateAksClusterArgs, type AksClusterArgs } from "../components/aksCluster";
import { validateAzureNetworkArgs } from "../components/azureNetwork";
import { validateKeyVaultArgs } from "../components/keyVault";
import { keyVaultObjectsParameter, validateKeyVaultSecretsArgs } from "../components/keyVaultSecrets";
import { builtInRoleDefinitionId } from "../components/azureWorkloadIdentity";
import { problemsOf, stackConfig } from "./helpers/stacks";



describe("Azure config", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`accepts the ${stack} stack file with no cross-section problem`, () => {
            const config = parseEnvironmentConfig(stackConfig(stack));
            assert.deepEqual(azureEnvironmentProblems(config), []);
        });
    }

    const invalid: Array<{ name: string; edit: (a: Record<string, any>) => void; key: string; message: RegExp }> = [
        { name: "a missing tenant", edit: (a) => delete a.tenantId, key: "trustmesh:azure.tenantId", message: /is required/ },
        { name: "a missing subscription", edit: (a) => delete a.subscriptionId, key: "trustmesh:azure.subscriptionId", message: /is required/ },
        { name: "a tenant that is not a GUID", edit: (a) => (a.tenantId = "contoso.onmicrosoft.com"), key: "trustmesh:azure.tenantId", message: /GUID/ },
        { name: "a vault name of 2 characters", edit: (a) => (a.keyVault.name = "kv"), key: "trustmesh:azure.keyVault.name", message: /3-24 letters/ },
        { name: "a vault name of 25 characters", edit: (a) => (a.keyVault.name = "a".repeat(25)), key: "trustmesh:azure.keyVault.name", message: /3-24 letters/ },
        { name: "a vault name with an underscore", edit: (a) => (a.keyVault.name = "trustmesh_dev"), key: "trustmesh:azure.keyVault.name", message: /3-24 letters/ },
        { name: "a vault name starting with a digit", edit: (a) => (a.keyVault.name = "1vault"), key: "trustmesh:azure.keyVault.name", message: /start with a letter/ },
        { name: "a vault name with '--'", edit: (a) => (a.keyVault.name = "trust--vault"), key: "trustmesh:azure.keyVault.name", message: /no '--'/ },
        { name: "0.0.0.0/0 on the API server", edit: (a) => (a.cluster.authorizedIpRanges = ["0.0.0.0/0"]), key: "trustmesh:azure.cluster.authorizedIpRanges[0]", message: /whole internet/ },
        { name: "0.0.0.0/0 on the vault firewall", edit: (a) => (a.keyVault.allowedIpRanges = ["0.0.0.0/0"]), key: "trustmesh:azure.keyVault.allowedIpRanges[0]", message: /whole internet/ },
        { name: "pods overlapping the VNet", edit: (a) => (a.network.podsCidr = "10.40.128.0/17"), key: "trustmesh:azure.network.podsCidr", message: /overlaps vnetCidr/ },
        { name: "services overlapping pods", edit: (a) => (a.network.servicesCidr = "10.244.16.0/20"), key: "trustmesh:azure.network.servicesCidr", message: /overlaps podsCidr/ },
        { name: "a node subnet outside the VNet", edit: (a) => (a.network.nodesCidr = "10.41.0.0/20"), key: "trustmesh:azure.network.nodesCidr", message: /not inside vnetCidr/ },
        { name: "no admin group", edit: (a) => (a.cluster.adminGroupObjectIds = []), key: "trustmesh:azure.cluster.adminGroupObjectIds", message: /too small|at least/i },
        { name: "no system node pool", edit: (a) => (a.nodePools = [{ name: "apps" }]), key: "trustmesh:azure.nodePools", message: /system: true/ },
        { name: "a bad rotation interval", edit: (a) => (a.cluster.secretRotationInterval = "2 minutes"), key: "trustmesh:azure.cluster.secretRotationInterval", message: /duration/ },
    ];
    for (const c of invalid) {
        it(`refuses ${c.name}, naming the key`, () => {
            const values = stackConfig("dev");
            c.edit(values.azure);
            const problems = problemsOf(values);
            const hit = problems.find((p) => p.key === c.key);
            assert.ok(hit, `no problem for ${c.key} in ${JSON.stringify(problems)}`);
            assert.match(hit.message, c.message);
        });
    }

    it("lists every problem at once", () => {
        const values = stackConfig("dev");
        delete values.azure.tenantId;
        values.azure.keyVault.name = "x";
        values.azure.cluster.authorizedIpRanges = ["0.0.0.0/0"];
        const keys = problemsOf(values).map((p) => p.key);
        for (const key of ["trustmesh:azure.tenantId", "trustmesh:azure.keyVault.name", "trustmesh:azure.cluster.authorizedIpRanges[0]"]) assert.ok(keys.includes(key), key);
    });

    it("accepts 3- and 24-character vault names", () => {
        for (const name of ["kvx", "a".repeat(24), "trustmesh-dev-kv", "Kv-1"]) assert.ok(keyVaultNamePattern.test(name), name);
    });

    describe("resolveAksSettings", () => {
        const table: Array<{ stack: string; privateCluster: boolean; tier: string; vaultPublic: boolean; defender: boolean }> = [
            { stack: "dev", privateCluster: false, tier: "Free", vaultPublic: true, defender: false },
            { stack: "staging", privateCluster: false, tier: "Free", vaultPublic: true, defender: false },
            { stack: "prod", privateCluster: true, tier: "Standard", vaultPublic: false, defender: true },
        ];
        for (const row of table) {
            it(`${row.stack}: private ${row.privateCluster}, tier ${row.tier}, vault public ${row.vaultPublic}`, () => {
                const config = parseEnvironmentConfig(stackConfig(row.stack));
                const s = resolveAksSettings({ environment: config.environment, azure: config.azure! });
                assert.equal(s.privateCluster, row.privateCluster);
                assert.equal(s.tier, row.tier);
                assert.equal(s.keyVaultPublicNetworkAccess, row.vaultPublic);
                assert.equal(s.defender, row.defender);
                assert.equal(s.clusterName, `${row.stack}-aks`);
            });
        }
    });

    describe("cross-section rules", () => {
        const cases: Array<{ name: string; stack: string; edit: (v: Record<string, any>) => void; path: string; message: RegExp }> = [
            { name: "prod with a public API server", stack: "prod", edit: (v) => (v.azure.cluster.privateCluster = false), path: "azure.cluster.privateCluster", message: /refused in prod/ },
            { name: "prod on the Free tier", stack: "prod", edit: (v) => (v.azure.cluster.tier = "Free"), path: "azure.cluster.tier", message: /no uptime SLA/ },
            { name: "prod with a public vault", stack: "prod", edit: (v) => (v.azure.keyVault.publicNetworkAccess = true), path: "azure.keyVault.publicNetworkAccess", message: /refused in prod/ },
            { name: "a public cluster without authorized ranges", stack: "dev", edit: (v) => (v.azure.cluster.authorizedIpRanges = []), path: "azure.cluster.authorizedIpRanges", message: /whole internet/ },
            { name: "a vault namespace not on aks", stack: "dev", edit: (v) => (v.azure.keyVault.namespace = "billing"), path: "azure.keyVault.namespace", message: /allowed: payments, mysql/ },
        ];
        for (const c of cases) {
            it(`refuses ${c.name}`, () => {
                const values = stackConfig(c.stack);
                c.edit(values);
                // These are ordinary config errors: reported with every other problem, before anything registers.
                const error = (() => {
                    try {
                        parseEnvironmentConfig(values);
                    } catch (e) {
                        return e as ConfigError;
                    }
                    return assert.fail("expected a ConfigError");
                })();
                assert.ok(error instanceof ConfigError);
                const hit = error.problems.find((p) => p.key === `trustmesh:${c.path}`);
                assert.ok(hit, JSON.stringify(error.problems));
                assert.match(hit.message, c.message);
            });
        }
    });
});

describe("Azure component argument checks", () => {
    const aksArgs = (): AksClusterArgs => ({
        clusterKey: "aks",
        clusterName: "dev-aks",
        location: "westeurope",
        subscriptionId: "11111111-2222-4333-8444-555555555555",
        tenantId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
        resourceGroupName: "rg",
        nodeSubnetId: "subnet",
        vnetCidr: "10.40.0.0/16",
        podsCidr: "10.244.0.0/16",
        servicesCidr: "10.50.0.0/20",
        adminGroupObjectIds: ["bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"],
        authorizedIpRanges: ["198.51.100.0/24"],
        privateCluster: false,
        nodePools: [{ name: "system", minCount: 1, maxCount: 2, system: true }],
    });

    it("accepts valid AKS args", () => assert.deepEqual(validateAksClusterArgs(aksArgs()), []));

    const aksCases: Array<{ name: string; edit: (a: AksClusterArgs) => void; message: RegExp }> = [
        { name: "0.0.0.0/0", edit: (a) => (a.authorizedIpRanges = ["0.0.0.0/0"]), message: /authorizedIpRanges entry "0.0.0.0\/0" would open the API server/ },
        { name: "a missing tenant", edit: (a) => (a.tenantId = undefined as unknown as string), message: /tenantId "" must be the Entra tenant GUID/ },
        { name: "a missing subscription", edit: (a) => (a.subscriptionId = ""), message: /subscriptionId "" must be the subscription GUID/ },
        { name: "pods overlapping the VNet", edit: (a) => (a.podsCidr = "10.40.0.0/17"), message: /podsCidr "10.40.0.0\/17" overlaps vnetCidr/ },
        { name: "services overlapping pods", edit: (a) => (a.servicesCidr = "10.244.0.0/24"), message: /servicesCidr "10.244.0.0\/24" overlaps podsCidr/ },
        { name: "a public cluster without ranges", edit: (a) => (a.authorizedIpRanges = []), message: /authorizedIpRanges is empty on a public cluster/ },
        { name: "no admin group", edit: (a) => (a.adminGroupObjectIds = []), message: /adminGroupObjectIds must list at least one/ },
        { name: "no system pool", edit: (a) => (a.nodePools = [{ name: "apps", minCount: 1, maxCount: 2 }]), message: /at least one pool with system: true/ },
    ];
    for (const c of aksCases) {
        it(`AksCluster refuses ${c.name}`, () => {
            const args = aksArgs();
            c.edit(args);
            const problems = validateAksClusterArgs(args);
            assert.ok(problems.some((p) => c.message.test(p)), problems.join("\n"));
        });
    }

    it("AzureNetwork refuses a node subnet outside the VNet and 0.0.0.0/0", () => {
        const problems = validateAzureNetworkArgs({ location: "westeurope", resourceGroupName: "rg", vnetCidr: "0.0.0.0/0", nodesCidr: "10.41.0.0/20" });
        assert.ok(problems.some((p) => /vnetCidr "0.0.0.0\/0" may not be 0.0.0.0\/0/.test(p)), problems.join("\n"));
        const outside = validateAzureNetworkArgs({ location: "westeurope", resourceGroupName: "rg", vnetCidr: "10.40.0.0/16", nodesCidr: "10.41.0.0/20" });
        assert.deepEqual(outside, ['nodesCidr "10.41.0.0/20" must lie inside vnetCidr "10.40.0.0/16"']);
    });

    const kvBase = { resourceGroupName: "rg", location: "westeurope", subscriptionId: "11111111-2222-4333-8444-555555555555", tenantId: "66666666-7777-4888-9999-aaaaaaaaaaaa" };
    const vaultNames: Array<[string, boolean]> = [
        ["kv", false],
        ["kvx", true],
        ["a".repeat(24), true],
        ["a".repeat(25), false],
        ["my_vault", false],
        ["vault-", false],
        ["-vault", false],
    ];
    for (const [vaultName, ok] of vaultNames) {
        it(`KeyVault ${ok ? "accepts" : "refuses"} vault name "${vaultName}"`, () => {
            const problems = validateKeyVaultArgs({ ...kvBase, vaultName });
            assert.equal(problems.length === 0, ok, problems.join("\n"));
            if (!ok) assert.match(problems[0]!, new RegExp(`vaultName "${vaultName}" must be 3-24 letters`));
        });
    }

    it("KeyVault refuses 0.0.0.0/0, a missing tenant and a bad retention, all at once", () => {
        const problems = validateKeyVaultArgs({ ...kvBase, vaultName: "kv-ok", tenantId: "", publicNetworkAccess: true, allowedIpRanges: ["0.0.0.0/0"], softDeleteRetentionDays: 120 });
        assert.equal(problems.length, 3, problems.join("\n"));
    });

    it("KeyVaultSecrets refuses a synced secret that names an unknown object, and a tls secret without tls.key", () => {
        const problems = validateKeyVaultSecretsArgs("spc", {
            namespace: "payments",
            vaultName: "kv",
            tenantId: "t",
            clientId: "c",
            objects: [{ name: "db-password" }],
            syncedSecrets: [
                { secretName: "s", data: [{ objectName: "nope", key: "k" }] },
                { secretName: "tls", type: "kubernetes.io/tls", data: [{ objectName: "db-password", key: "tls.crt" }] },
            ],
        });
        assert.ok(problems.some((p) => /refers to object "nope"/.test(p)));
        assert.ok(problems.some((p) => /needs the keys tls.crt and tls.key/.test(p)));
    });

    it("renders the objects parameter the Azure provider parses", () => {
        assert.equal(
            keyVaultObjectsParameter([{ name: "db-password" }, { name: "web", type: "secret", alias: "web.pem", version: "0123456789abcdef0123456789abcdef" }]),
            'array:\n  - |\n    objectName: db-password\n    objectType: secret\n    objectVersion: ""\n  - |\n    objectName: web\n    objectType: secret\n    objectVersion: "0123456789abcdef0123456789abcdef"\n    objectAlias: web.pem\n',
        );
    });

    const dnsTable: Array<[string, string]> = [
        ["10.50.0.0/20", "10.50.0.10"],
        ["10.0.0.0/16", "10.0.0.10"],
        ["172.16.255.0/24", "172.16.255.10"],
    ];
    for (const [range, ip] of dnsTable) it(`dnsServiceIp(${range}) = ${ip}`, () => assert.equal(dnsServiceIp(range), ip));

    it("names built-in roles by their well-known GUIDs and refuses unknown ones", () => {
        assert.equal(
            builtInRoleDefinitionId("11111111-2222-4333-8444-555555555555", "Key Vault Secrets User"),
            "/subscriptions/11111111-2222-4333-8444-555555555555/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
        );
        assert.throws(() => builtInRoleDefinitionId("s", "Owner"), /unknown Azure built-in role "Owner"; known roles: Key Vault Secrets User/);
    });
});
