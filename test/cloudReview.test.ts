import { strict as assert } from "node:assert";
import { gkeVulnerabilityMode, unsupportedGkeVulnerabilityModes } from "../components/gkeCluster";
import type { RecordedResource } from "../offline/engine";
import type { PlanResult } from "../offline/plan";
import { binaryAuthorizationPatterns } from "../stacks/gcp";
import { plannedStack } from "./helpers/plans";
import { problemsOf, stackConfig } from "./helpers/stacks";

/** Issue 19, cloud layer: what a review of the prod plan found, each checked on the plans of the project's stacks. */
describe("cloud review findings (issue 19)", function () {
    this.timeout(300_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "prod"]) plans[stack] = await plannedStack(stack);
    });
    const all = (stack: string, type: string): RecordedResource[] => plans[stack]!.run.resources.filter((r) => r.type === type);
    const one = (stack: string, type: string, name?: string): RecordedResource => {
        const found = all(stack, type).filter((r) => name === undefined || r.name === name);
        assert.equal(found.length, 1, `${stack}: expected one ${type}${name ? ` ${name}` : ""}, got ${found.length}`);
        return found[0]!;
    };
    const inputs = (r: RecordedResource) => r.inputs as Record<string, any>;
    const byUrn = (stack: string, urn: string) => plans[stack]!.run.resources.find((r) => r.urn === urn);

    describe("7: no field the autoscaler or a config edit changes replaces a pool or cluster", () => {
        it("GKE node pools ignore initialNodeCount after creation (changing it forces a new pool)", () => {
            const pools = all("prod", "gcp:container/nodePool:NodePool");
            // Every pool of the prod stack file (apps, system, and seed 000's kubevirt pool), each checked.
            assert.deepEqual(pools.map((pool) => inputs(pool).name).sort(), stackConfig("prod").gcp.nodePools.map((pool: { name: string }) => pool.name).sort());
            for (const pool of pools) assert.ok(pool.ignoreChanges?.includes("initialNodeCount"), `${pool.name} ignores initialNodeCount`);
        });

        it("AKS leaves the node count to the autoscaler and the Kubernetes version to its upgrade channel", () => {
            const cluster = one("prod", "azure-native:containerservice:ManagedCluster");
            assert.deepEqual(cluster.ignoreChanges, ["agentPoolProfiles[0].count", "kubernetesVersion"]);
            assert.deepEqual(one("prod", "azure-native:containerservice:AgentPool").ignoreChanges, ["count"]);
        });

        it("prod pins every AKS pool to three zones from the first deploy; dev pins none", () => {
            const prodCluster = inputs(one("prod", "azure-native:containerservice:ManagedCluster"));
            const prodPool = inputs(one("prod", "azure-native:containerservice:AgentPool"));
            assert.deepEqual(prodCluster.agentPoolProfiles[0].availabilityZones, ["1", "2", "3"]);
            assert.deepEqual(prodPool.availabilityZones, ["1", "2", "3"]);
            assert.equal(inputs(one("dev", "azure-native:containerservice:ManagedCluster")).agentPoolProfiles[0].availabilityZones, undefined);
        });

        it("prod's system pool has at least two nodes", () => {
            const system = inputs(one("prod", "azure-native:containerservice:ManagedCluster")).agentPoolProfiles[0];
            assert.equal(system.mode, "System");
            assert.ok(system.minCount >= 2, `minCount ${system.minCount}`);
        });

        it("prod refuses a system pool of one node and fewer than two zones, naming the keys", () => {
            const config = stackConfig("prod");
            config.azure.nodePools[0].minCount = 1;
            config.azure.availabilityZones = ["1"];
            const problems = problemsOf(config);
            assert.ok(problems.some((p) => p.key === "trustmesh:azure.nodePools[0].minCount" && /at least 2/.test(p.message)), JSON.stringify(problems));
            assert.ok(problems.some((p) => p.key === "trustmesh:azure.availabilityZones" && /at least two/.test(p.message)), JSON.stringify(problems));
        });
    });

    describe("8: Container Insights collects through a Data Collection Rule associated with the cluster", () => {
        it("prod has the rule, sending the Container Insights stream to the cluster's workspace", () => {
            const rule = one("prod", "azure-native:monitor:DataCollectionRule");
            const workspace = one("prod", "azure-native:operationalinsights:Workspace");
            const spec = inputs(rule);
            assert.deepEqual(spec.dataSources.extensions[0].streams, ["Microsoft-ContainerInsights-Group-Default"]);
            assert.equal(spec.dataSources.extensions[0].extensionName, "ContainerInsights");
            assert.equal(spec.destinations.logAnalytics[0].workspaceResourceId, workspace.outputs?.id ?? workspace.urn);
            assert.deepEqual(spec.dataFlows, [{ streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: [spec.destinations.logAnalytics[0].name] }]);
            // The add-on itself runs with managed-identity auth: without the rule it collects nothing.
            const addon = inputs(one("prod", "azure-native:containerservice:ManagedCluster")).addonProfiles.omsagent;
            assert.equal(addon.config.useAADAuth, "true");
        });

        it("the association ties that rule to the AKS cluster", () => {
            const association = one("prod", "azure-native:monitor:DataCollectionRuleAssociation");
            const cluster = one("prod", "azure-native:containerservice:ManagedCluster");
            const rule = one("prod", "azure-native:monitor:DataCollectionRule");
            assert.equal(inputs(association).associationName, "ContainerInsightsExtension");
            assert.ok(association.dependencies.includes(cluster.urn) && association.dependencies.includes(rule.urn));
            assert.match(inputs(association).resourceUri, /\/providers\/Microsoft\.ContainerService\/managedClusters\//);
        });

        it("dev, with Container Insights off, has neither", () => {
            assert.equal(all("dev", "azure-native:monitor:DataCollectionRule").length, 0);
            assert.equal(all("dev", "azure-native:monitor:DataCollectionRuleAssociation").length, 0);
        });
    });

    it("9: GKE asks for a vulnerability scanning mode it still supports", () => {
        for (const stack of ["dev", "prod"]) {
            const posture = inputs(one(stack, "gcp:container/cluster:Cluster")).securityPostureConfig;
            assert.equal(posture.vulnerabilityMode, gkeVulnerabilityMode);
            assert.ok(!unsupportedGkeVulnerabilityModes.includes(posture.vulnerabilityMode));
        }
    });

    it("10: every GKE node service account holds roles/container.defaultNodeServiceAccount", () => {
        const pools = all("prod", "gcp:container/nodePool:NodePool");
        const members = all("prod", "gcp:projects/iAMMember:IAMMember").filter((m) => inputs(m).role === "roles/container.defaultNodeServiceAccount");
        for (const pool of pools) {
            const account = inputs(pool).nodeConfig.serviceAccount as string;
            assert.ok(members.some((m) => inputs(m).member === `serviceAccount:${account}`), `${pool.name}'s account ${account} has the role`);
        }
    });

    it("11: every Azure resource goes through the provider pinned to trustmesh:azure.subscriptionId", () => {
        for (const stack of ["dev", "prod"]) {
            const subscription = plans[stack]!.config.azure!.subscriptionId;
            const azure = all(stack, "pulumi:providers:azure-native");
            assert.equal(azure.length, 1, `${stack}: one explicit azure-native provider`);
            assert.equal(inputs(azure[0]!).subscriptionId, subscription);
            const resources = plans[stack]!.run.resources.filter((r) => r.type.startsWith("azure-native:"));
            assert.ok(resources.length > 20);
            for (const r of resources) assert.equal(r.provider, azure[0]!.urn, `${stack}: ${r.type} ${r.name} uses the pinned provider`);
        }
    });

    describe("12: least privilege for DNS01 on GKE, and a managed Binary Authorization policy", () => {
        it("cert-manager's Google account has roles/dns.admin on the configured zone only, never on the project", () => {
            for (const stack of ["dev", "prod"]) {
                const projectWide = all(stack, "gcp:projects/iAMMember:IAMMember").filter((m) => inputs(m).role === "roles/dns.admin");
                assert.deepEqual(projectWide.map((m) => m.name), [], `${stack}: no project-wide dns.admin`);
                const zoneGrant = inputs(one(stack, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember"));
                assert.equal(zoneGrant.role, "roles/dns.admin");
                assert.equal(zoneGrant.managedZone, plans[stack]!.config.pki.acme!.gcpDnsZone);
                assert.match(zoneGrant.member, /^serviceAccount:gke-cert-manager@/);
            }
        });

        it("the GKE issuer names that zone (hostedZoneName), so it never lists the project's zones", () => {
            const issuer = plans.prod!.manifests.find((m) => m.cluster === "gke" && m.kind === "ClusterIssuer" && m.name.startsWith("letsencrypt"));
            assert.ok(issuer);
            const solver = (issuer.object as any).spec.acme.solvers[0].dns01.cloudDNS;
            assert.equal(solver.hostedZoneName, plans.prod!.config.pki.acme!.gcpDnsZone);
        });

        it("a stack with trustmesh:gcp and ACME but no gcpDnsZone is refused, naming the key", () => {
            const config = stackConfig("prod");
            delete config.pki.acme.gcpDnsZone;
            const problems = problemsOf(config);
            assert.ok(problems.some((p) => p.key === "trustmesh:pki.acme.gcpDnsZone" && /that Cloud DNS managed zone only/.test(p.message)), JSON.stringify(problems));
        });

        it("prod enforces a policy that denies by default and admits only the allowed registries", () => {
            const cluster = inputs(one("prod", "gcp:container/cluster:Cluster"));
            assert.equal(cluster.binaryAuthorization.evaluationMode, "PROJECT_SINGLETON_POLICY_ENFORCE");
            const policy = inputs(one("prod", "gcp:binaryauthorization/policy:Policy"));
            assert.deepEqual(policy.defaultAdmissionRule, { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" });
            assert.equal(policy.globalPolicyEvaluationMode, "ENABLE");
            assert.deepEqual(
                policy.admissionWhitelistPatterns.map((p: { namePattern: string }) => p.namePattern),
                binaryAuthorizationPatterns(plans.prod!.config.policy.allowedRegistries),
            );
            assert.equal(all("dev", "gcp:binaryauthorization/policy:Policy").length, 0, "dev enforces nothing, so manages no policy");
        });

        it("registry prefixes become Binary Authorization patterns", () => {
            assert.deepEqual(binaryAuthorizationPatterns(["gcr.io/", "docker.io/library/mysql", "gcr.io/"]), ["gcr.io/**", "docker.io/library/mysql*"]);
        });
    });

    it("6 (basics): reserved GKE NAT addresses and AKS outbound IPs, each protected in prod", () => {
        const nat = inputs(one("prod", "gcp:compute/routerNat:RouterNat"));
        assert.equal(nat.natIpAllocateOption, "MANUAL_ONLY");
        const natIps = all("prod", "gcp:compute/address:Address").filter((a) => (nat.natIps as string[]).includes(a.outputs?.selfLink as string));
        assert.equal(natIps.length, 1);
        assert.ok(natIps.every((a) => a.protect));
        const cluster = inputs(one("prod", "azure-native:containerservice:ManagedCluster"));
        const outbound = cluster.networkProfile.loadBalancerProfile.outboundIPs.publicIPs.map((ip: { id: string }) => ip.id);
        const outboundIps = all("prod", "azure-native:network:PublicIPAddress").filter((ip) => outbound.includes(ip.outputs?.id));
        assert.equal(outboundIps.length, 1);
        assert.ok(outboundIps.every((ip) => ip.protect));
        assert.ok(byUrn("prod", outboundIps[0]!.urn));
    });
});
