import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import "../offline/fakes/index";
import { runOffline, type RecordedResource } from "../offline/engine";
import type { PlanResult } from "../offline/plan";
import { AksCluster, type AksClusterArgs } from "../components/aksCluster";
import { AzureWorkloadIdentity, withAzureWorkloadIdentity, type PodTemplateWithLabels } from "../components/azureWorkloadIdentity";
import { KeyVault } from "../components/keyVault";
import { KeyVaultSecrets, keyVaultTlsCertificate, withKeyVaultSecrets, type PodSpecWithContainers } from "../components/keyVaultSecrets";
import { plannedStack } from "./helpers/plans";

const subscriptionId = "11111111-2222-4333-8444-555555555555";
const tenantId = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const adminGroup = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff";

const aksArgs = (over: Partial<AksClusterArgs> = {}): AksClusterArgs => ({
    clusterKey: "aks",
    clusterName: "dev-aks",
    location: "westeurope",
    subscriptionId,
    tenantId,
    resourceGroupName: "dev-trustmesh",
    nodeSubnetId: "/subscriptions/x/resourceGroups/dev-trustmesh/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes",
    vnetCidr: "10.40.0.0/16",
    podsCidr: "10.244.0.0/16",
    servicesCidr: "10.50.0.0/20",
    adminGroupObjectIds: [adminGroup],
    authorizedIpRanges: ["198.51.100.0/24"],
    privateCluster: false,
    tier: "Free",
    nodePools: [
        { name: "system", vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 2, system: true },
        { name: "apps", minCount: 1, maxCount: 5 },
    ],
    secretRotationInterval: "2m",
    ...over,
});

type Loose = RecordedResource & { inputs: Record<string, any>; rawInputs: Record<string, any> };

function one(resources: RecordedResource[], type: string, name?: string): Loose {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    assert.equal(found.length, 1, `expected one ${type} ${name ?? ""}, got ${found.map((r) => r.name).join(", ")}`);
    return found[0]! as Loose;
}

describe("AksCluster (mocks)", () => {
    let resources: RecordedResource[];
    let cluster: Record<string, any>;
    let outputs: Record<string, unknown>;
    let secretOutputs: string[];
    before(async () => {
        const run = await runOffline(
            () => {
                const aks = new AksCluster("aks", aksArgs());
                return { kubeconfig: aks.kubeconfig, oidc: aks.oidcIssuerUrl, name: aks.clusterName };
            },
            { stack: "dev" },
        );
        resources = run.resources;
        outputs = run.outputs;
        secretOutputs = run.secretOutputs;
        cluster = one(resources, "azure-native:containerservice:ManagedCluster").inputs;
    });

    it("turns on the OIDC issuer and Workload Identity", () => {
        assert.deepEqual(cluster.oidcIssuerProfile, { enabled: true });
        assert.deepEqual(cluster.securityProfile.workloadIdentity, { enabled: true });
    });

    it("uses Entra ID with Azure RBAC, the admin groups, and no local accounts", () => {
        assert.equal(cluster.aadProfile.managed, true);
        assert.equal(cluster.aadProfile.enableAzureRBAC, true);
        assert.deepEqual(cluster.aadProfile.adminGroupObjectIDs, [adminGroup]);
        assert.equal(cluster.aadProfile.tenantID, tenantId);
        assert.equal(cluster.disableLocalAccounts, true);
        assert.equal(cluster.enableRBAC, true);
    });

    it("uses Azure CNI overlay with the Cilium dataplane and network policy", () => {
        const n = cluster.networkProfile;
        assert.equal(n.networkPlugin, "azure");
        assert.equal(n.networkPluginMode, "overlay");
        assert.equal(n.networkDataplane, "cilium");
        assert.equal(n.networkPolicy, "cilium");
        assert.equal(n.podCidr, "10.244.0.0/16");
        assert.equal(n.serviceCidr, "10.50.0.0/20");
        assert.equal(n.dnsServiceIP, "10.50.0.10");
    });

    it("runs the control plane and kubelet with user-assigned identities", () => {
        const cp = one(resources, "azure-native:managedidentity:UserAssignedIdentity", "aks-control-plane-identity");
        const kubelet = one(resources, "azure-native:managedidentity:UserAssignedIdentity", "aks-kubelet-identity");
        assert.equal(cluster.identity.type, "UserAssigned");
        assert.equal(cluster.identity.userAssignedIdentities.length, 1);
        assert.match(cluster.identity.userAssignedIdentities[0], /^\/subscriptions\/[^/]+\/resourceGroups\/dev-trustmesh\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/aks-control-plane-identity/);
        assert.match(cluster.identityProfile.kubeletidentity.resourceId, /Microsoft\.ManagedIdentity\/userAssignedIdentities\/aks-kubelet-identity/);
        assert.match(cluster.identityProfile.kubeletidentity.clientId, /^[0-9a-f-]{36}$/);
        assert.ok(cp && kubelet);
        const operator = one(resources, "azure-native:authorization:RoleAssignment", "aks-control-plane-kubelet-operator").inputs;
        assert.match(operator.roleDefinitionId, /f1a07417-d97a-45cb-824c-7a7467783830$/);
        assert.match(String(operator.scope), /Microsoft\.ManagedIdentity\/userAssignedIdentities\/aks-kubelet-identity[^/]*$/, "scoped to the kubelet identity only");
        assert.equal(operator.principalType, "ServicePrincipal");
    });

    it("restricts a public API server to the authorized ranges", () => {
        assert.deepEqual(cluster.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["198.51.100.0/24"] });
    });

    it("sets both auto-upgrade channels", () => {
        assert.deepEqual(cluster.autoUpgradeProfile, { upgradeChannel: "stable", nodeOSUpgradeChannel: "NodeImage" });
    });

    it("taints the system pool CriticalAddonsOnly and autoscales every pool", () => {
        const [system] = cluster.agentPoolProfiles;
        assert.equal(cluster.agentPoolProfiles.length, 1);
        assert.equal(system.name, "system");
        assert.equal(system.mode, "System");
        assert.deepEqual(system.nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
        assert.equal(system.enableAutoScaling, true);
        assert.equal(system.minCount, 1);
        assert.equal(system.maxCount, 2);
        assert.equal(system.enableNodePublicIP, false);
        const apps = one(resources, "azure-native:containerservice:AgentPool", "aks-apps").inputs;
        assert.equal(apps.mode, "User");
        assert.deepEqual(apps.nodeTaints, []);
        assert.equal(apps.enableAutoScaling, true);
        assert.equal(apps.minCount, 1);
        assert.equal(apps.maxCount, 5);
    });

    it("enables the Key Vault secrets provider with rotation and a poll interval", () => {
        assert.deepEqual(cluster.addonProfiles.azureKeyvaultSecretsProvider, { enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } });
    });

    it("sets the sku tier from args", () => {
        assert.deepEqual(cluster.sku, { name: "Base", tier: "Free" });
    });

    it("enables Defender and Container Insights by default, on a created workspace", () => {
        const workspace = one(resources, "azure-native:operationalinsights:Workspace", "aks-logs");
        assert.ok(workspace);
        assert.equal(cluster.securityProfile.defender.securityMonitoring.enabled, true);
        assert.match(String(cluster.securityProfile.defender.logAnalyticsWorkspaceResourceId), /Microsoft\.OperationalInsights\/workspaces\/aks-logs/);
        assert.equal(cluster.addonProfiles.omsagent.enabled, true);
    });

    it("names the Kubernetes provider after the cluster key and gives it a kubelogin kubeconfig, as a secret", () => {
        const provider = one(resources, "pulumi:providers:kubernetes");
        assert.equal(provider.name, "aks");
        assert.ok(provider.secretPaths.includes("kubeconfig"), `secret paths: ${provider.secretPaths.join(", ")}`);
        assert.equal(provider.inputs.kubeconfig, "[secret]");
        const kubeconfig = parse(String(provider.rawInputs.kubeconfig));
        const exec = kubeconfig.users[0].user.exec;
        assert.equal(exec.command, "kubelogin");
        assert.deepEqual(exec.args.slice(0, 5), ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]);
        assert.equal(kubeconfig.users[0].user["client-certificate-data"], undefined, "no admin client certificate");
        assert.equal(kubeconfig.users[0].user.token, undefined);
        assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/dev-aks-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io:443$/);
        assert.ok(secretOutputs.includes("kubeconfig"));
        assert.equal(outputs.kubeconfig, "[secret]");
    });

    it("reports the OIDC issuer URL", () => {
        assert.match(String(outputs.oidc), /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\/66666666-7777-4888-9999-aaaaaaaaaaaa\/[0-9a-f-]{36}\/$/);
    });

    it("makes a private cluster with no public FQDN when asked", async () => {
        const run = await runOffline(() => {
            new AksCluster("aks", aksArgs({ privateCluster: true, authorizedIpRanges: [], tier: "Standard", defender: false, containerInsights: false }));
            return {};
        }, { stack: "prod" });
        const c = one(run.resources, "azure-native:containerservice:ManagedCluster").inputs;
        assert.deepEqual(c.apiServerAccessProfile, { enablePrivateCluster: true, enablePrivateClusterPublicFQDN: false, privateDNSZone: "system" });
        assert.equal(c.sku.tier, "Standard");
        assert.equal(c.securityProfile.defender, undefined);
        assert.equal(run.resources.some((r) => r.type === "azure-native:operationalinsights:Workspace"), false);
    });

    it("refuses 0.0.0.0/0 before any resource exists", async () => {
        let registered = -1;
        await assert.rejects(
            runOffline(() => {
                new AksCluster("aks", aksArgs({ authorizedIpRanges: ["0.0.0.0/0"] }));
                return {};
            }, { stack: "dev" }).catch((e) => {
                registered = 0;
                throw e;
            }),
            /AksCluster aks: authorizedIpRanges entry "0.0.0.0\/0" would open the API server to the whole internet/,
        );
        assert.equal(registered, 0);
    });
});

describe("AzureWorkloadIdentity, KeyVault and KeyVaultSecrets (mocks)", () => {
    let resources: RecordedResource[];
    before(async () => {
        const run = await runOffline(() => {
            const provider = new k8s.Provider("aks", { kubeconfig: "{}" });
            const wi = new AzureWorkloadIdentity(
                "mysql-reader",
                {
                    resourceGroupName: "rg",
                    location: "westeurope",
                    oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/t/i/",
                    namespace: "mysql",
                    serviceAccountName: "mysql",
                    roleAssignments: [{ name: "dns", roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/befefa01-2a29-4197-83a8-272ff33ce314", scope: "/subscriptions/s/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.com" }],
                },
                { providers: [provider] },
            );
            const vault = new KeyVault("kv", {
                vaultName: "trustmesh-dev-kv",
                resourceGroupName: "rg",
                location: "westeurope",
                subscriptionId,
                tenantId,
                publicNetworkAccess: true,
                allowedIpRanges: ["198.51.100.0/24"],
                secrets: { "db-password": "s3cr3t-value" },
                readers: [{ name: "mysql", principalId: wi.principalId, certificates: true }],
            });
            const tls = keyVaultTlsCertificate("web-cert", "web-tls");
            new KeyVaultSecrets(
                "mysql-kv",
                { namespace: "mysql", vaultName: vault.vaultName, tenantId, clientId: wi.clientId, objects: [{ name: "db-password", alias: "password" }, tls.object], syncedSecrets: [{ secretName: "kv-secret", data: [{ objectName: "password", key: "MySecretParameter" }] }, tls.syncedSecret] },
                { providers: [provider] },
            );
            return {};
        }, { stack: "dev" });
        resources = run.resources;
    });

    it("federates the identity with the cluster issuer for exactly one ServiceAccount", () => {
        const fic = one(resources, "azure-native:managedidentity:FederatedIdentityCredential").inputs;
        assert.equal(fic.issuer, "https://westeurope.oic.prod-aks.azure.com/t/i/");
        assert.equal(fic.subject, "system:serviceaccount:mysql:mysql");
        assert.deepEqual(fic.audiences, ["api://AzureADTokenExchange"]);
    });

    it("annotates the ServiceAccount with the identity's client id, on the aks provider", () => {
        const sa = one(resources, "kubernetes:core/v1:ServiceAccount");
        const identity = one(resources, "azure-native:managedidentity:UserAssignedIdentity", "mysql-reader-identity");
        assert.equal(sa.inputs.metadata.annotations["azure.workload.identity/client-id"], identity.inputs.clientId ?? sa.inputs.metadata.annotations["azure.workload.identity/client-id"]);
        assert.match(sa.inputs.metadata.annotations["azure.workload.identity/client-id"], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(sa.inputs.metadata.namespace, "mysql");
        assert.equal(sa.inputs.metadata.name, "mysql");
        assert.match(String(sa.provider), /pulumi:providers:kubernetes::aks$/);
    });

    it("scopes the identity's own role assignments as asked, as a ServicePrincipal", () => {
        const ra = one(resources, "azure-native:authorization:RoleAssignment", "mysql-reader-dns").inputs;
        assert.equal(ra.principalType, "ServicePrincipal");
        assert.equal(ra.scope, "/subscriptions/s/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.com");
    });

    it("creates the vault in RBAC mode with soft delete 90, purge protection and a default-deny firewall", () => {
        const p = one(resources, "azure-native:keyvault:Vault").inputs.properties;
        assert.equal(p.enableRbacAuthorization, true);
        assert.equal(p.enableSoftDelete, true);
        assert.equal(p.softDeleteRetentionInDays, 90);
        assert.equal(p.enablePurgeProtection, true);
        assert.equal(p.tenantId, tenantId);
        assert.equal(p.publicNetworkAccess, "Enabled");
        assert.equal(p.networkAcls.defaultAction, "Deny");
        assert.deepEqual(p.networkAcls.ipRules, [{ value: "198.51.100.0/24" }]);
        assert.equal(p.accessPolicies, undefined);
    });

    it("keeps secret values from config as Pulumi secrets", () => {
        const secret = one(resources, "azure-native:keyvault:Secret");
        assert.ok(secret.secretPaths.some((p) => p === "properties" || p === "properties.value"), secret.secretPaths.join(", "));
        assert.equal(secret.rawInputs.properties.value, "s3cr3t-value");
        assert.equal(JSON.stringify(secret.inputs).includes("s3cr3t-value"), false);
    });

    it("grants read roles scoped to the vault only, as a ServicePrincipal", () => {
        const vault = one(resources, "azure-native:keyvault:Vault");
        const secrets = one(resources, "azure-native:authorization:RoleAssignment", "kv-mysql-secrets").inputs;
        const certs = one(resources, "azure-native:authorization:RoleAssignment", "kv-mysql-certificates").inputs;
        for (const ra of [secrets, certs]) {
            assert.equal(ra.principalType, "ServicePrincipal");
            assert.match(String(ra.scope), /^\/subscriptions\/[^/]+\/resourceGroups\/rg\/providers\/Microsoft\.KeyVault\/vaults\/trustmesh-dev-kv$/);
            assert.ok(vault);
            assert.match(ra.principalId, /^[0-9a-f-]{36}$/);
        }
        assert.match(secrets.roleDefinitionId, /^\/subscriptions\/11111111-2222-4333-8444-555555555555\/providers\/Microsoft\.Authorization\/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/);
        assert.match(certs.roleDefinitionId, /db79e9a7-68ee-4b58-9aeb-b90e7c24fcba$/);
    });

    it("writes the SecretProviderClass for the azure provider with workload identity", () => {
        const spc = one(resources, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").inputs;
        assert.equal(spc.apiVersion, "secrets-store.csi.x-k8s.io/v1");
        assert.equal(spc.metadata.namespace, "mysql");
        assert.equal(spc.spec.provider, "azure");
        const p = spc.spec.parameters;
        assert.equal(p.usePodIdentity, "false");
        assert.equal(p.useVMManagedIdentity, "false");
        assert.match(p.clientID, /^[0-9a-f-]{36}$/);
        assert.equal(p.keyvaultName, "trustmesh-dev-kv");
        assert.equal(p.tenantId, tenantId);
        const objects = parse(p.objects).array.map((o: string) => parse(o));
        assert.deepEqual(objects, [
            { objectName: "db-password", objectType: "secret", objectVersion: "", objectAlias: "password" },
            { objectName: "web-cert", objectType: "secret", objectVersion: "", objectAlias: "web-cert" },
        ]);
        assert.deepEqual(spc.spec.secretObjects, [
            { secretName: "kv-secret", type: "Opaque", data: [{ objectName: "password", key: "MySecretParameter" }] },
            { secretName: "web-tls", type: "kubernetes.io/tls", data: [{ objectName: "web-cert", key: "tls.key" }, { objectName: "web-cert", key: "tls.crt" }] },
        ]);
    });
});

describe("pod helpers", () => {
    it("labels a pod template for workload identity and sets its ServiceAccount", () => {
        const template: PodTemplateWithLabels = { metadata: { labels: { app: "mysql" } }, spec: { containers: [] } };
        const t = withAzureWorkloadIdentity(template, "mysql");
        assert.deepEqual(t.metadata!.labels, { app: "mysql", "azure.workload.identity/use": "true" });
        assert.equal(t.spec!.serviceAccountName, "mysql");
    });

    it("adds the read-only CSI volume, mount and env vars from the synced Secret", () => {
        const pod: PodSpecWithContainers = { containers: [{ name: "app", image: "x" }, { name: "sidecar", image: "y" }] };
        const spec = withKeyVaultSecrets(
            pod,
            { secretProviderClassName: "keyvault", containers: ["app"], env: [{ name: "HELLOWORLD_ENV", secretName: "kv-secret", key: "MySecretParameter" }] },
        );
        assert.deepEqual(spec.volumes, [{ name: "secrets-store", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "keyvault" } } }]);
        assert.deepEqual(spec.containers[0]!.volumeMounts, [{ name: "secrets-store", mountPath: "/mnt/secrets-store", readOnly: true }]);
        assert.deepEqual(spec.containers[0]!.env, [{ name: "HELLOWORLD_ENV", valueFrom: { secretKeyRef: { name: "kv-secret", key: "MySecretParameter" } } }]);
        assert.equal(spec.containers[1]!.volumeMounts, undefined);
        assert.throws(() => withKeyVaultSecrets({ containers: [{ name: "app" }] }, { secretProviderClassName: "k", containers: ["nope"] }), /no container named nope/);
    });
});

describe("Azure in the environment plan", () => {
    let dev: PlanResult;
    let prod: PlanResult;
    before(async () => {
        dev = await plannedStack("dev");
        prod = await plannedStack("prod");
    });

    const clusterOf = (plan: PlanResult) => one(plan.run.resources, "azure-native:containerservice:ManagedCluster").inputs;
    const vaultOf = (plan: PlanResult) => one(plan.run.resources, "azure-native:keyvault:Vault").inputs.properties;

    it("dev: public API server behind the authorized ranges, Free tier, vault behind its firewall", () => {
        const c = clusterOf(dev);
        assert.deepEqual(c.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["198.51.100.0/24"] });
        assert.equal(c.sku.tier, "Free");
        const v = vaultOf(dev);
        assert.equal(v.publicNetworkAccess, "Enabled");
        assert.equal(v.networkAcls.defaultAction, "Deny");
        assert.deepEqual(v.networkAcls.ipRules, [{ value: "198.51.100.0/24" }]);
        assert.equal(dev.run.resources.some((r) => r.type === "azure-native:network:PrivateEndpoint" && r.name.startsWith("aks-keyvault")), false);
    });

    it("prod: private cluster, Standard tier, Defender, vault without public access behind a private endpoint, protected", () => {
        const c = clusterOf(prod);
        assert.equal(c.apiServerAccessProfile.enablePrivateCluster, true);
        assert.equal(c.sku.tier, "Standard");
        assert.equal(c.securityProfile.defender.securityMonitoring.enabled, true);
        const v = vaultOf(prod);
        assert.equal(v.publicNetworkAccess, "Disabled");
        assert.deepEqual(v.networkAcls.ipRules, []);
        assert.ok(one(prod.run.resources, "azure-native:network:PrivateEndpoint", "aks-keyvault-pe"));
        assert.equal(one(prod.run.resources, "azure-native:keyvault:Vault").protect, true);
    });

    it("puts the workload ServiceAccount and SecretProviderClass on aks, in the application namespace", () => {
        for (const plan of [dev, prod]) {
            const spc = plan.manifests.find((m) => m.kind === "SecretProviderClass");
            assert.ok(spc);
            assert.equal(spc.cluster, "aks");
            assert.equal(spc.namespace, "payments");
            assert.equal(spc.object.spec.parameters.usePodIdentity, "false");
            const sa = plan.manifests.find((m) => m.kind === "ServiceAccount" && m.name === "keyvault-reader");
            assert.ok(sa);
            assert.equal(sa.cluster, "aks");
        }
    });

    it("validates the ServiceAccounts against their schema and reports the SecretProviderClass as unvalidated", () => {
        for (const plan of [dev, prod]) {
            assert.deepEqual(plan.schemaErrors.filter((s) => s.cluster === "aks"), []);
            assert.ok(plan.unvalidated.some((u) => u.kind === "SecretProviderClass"));
            assert.equal(plan.unvalidated.some((u) => u.kind === "ServiceAccount"), false);
        }
    });

    it("never puts a Key Vault secret value or a kubeconfig in plain inputs", () => {
        for (const plan of [dev, prod]) {
            const provider = plan.run.resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "aks")!;
            assert.equal(provider.inputs.kubeconfig, "[secret]");
            // The stack's own secret and the application's (trustmesh:namespaces[].secrets) alike.
            const secrets = plan.run.resources.filter((r) => r.type === "azure-native:keyvault:Secret");
            assert.ok(secrets.length >= 2, "the Key Vault secrets of the stack and of the payments application");
            for (const secret of secrets) {
                assert.ok(JSON.stringify(secret.inputs).includes("offline-secret-") === false);
                assert.ok(secret.secretPaths.length > 0);
            }
        }
    });
});
