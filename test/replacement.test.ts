import { strict as assert } from "node:assert";
import { runOffline, type RecordedResource } from "../offline/engine";
import { replacementChanges, replacementFields, type ReplacementChange } from "../offline/replacementFields";
import { readStackFile } from "../offline/stackFile";
import { parseEnvironmentConfig } from "../stacks/config";
import { environmentProgram } from "../stacks/program";
import "../offline/fakes/index";

type Path = Array<string | number>;

/**
 * Every knob of the prod stack, changed one at a time. `in place`: the change must touch no field that
 * replaces or is refused (offline/replacementFields.ts) unless `ignoreChanges` covers it, and remove no
 * cluster, pool, vault or identity. `replaces`: a knob that by its nature makes a new resource (a new
 * name, a new VM size): the test proves it does, so the README's list of such knobs stays true.
 */
interface Knob {
    path: Path;
    /** The new value (or an edit of the section). */
    set: unknown;
    expect: "in place" | "replaces";
    /** For `replaces`: why no in-place change exists. */
    why?: string;
}

const knobs: Knob[] = [
    // GKE: the autoscaler's bounds and the machine shape change in place (node pool update).
    { path: ["gcp", "nodePools", 0, "minNodes"], set: 2, expect: "in place" },
    { path: ["gcp", "nodePools", 0, "maxNodes"], set: 4, expect: "in place" },
    { path: ["gcp", "nodePools", 1, "machineType"], set: "e2-standard-16", expect: "in place" },
    { path: ["gcp", "nodePools", 1, "diskSizeGb"], set: 200, expect: "in place" },
    { path: ["gcp", "zones", 2], set: "europe-west1-c", expect: "in place" },
    { path: ["gcp", "cluster", "authorizedNetworks", 0, "cidrBlock"], set: "10.10.14.0/28", expect: "in place" },
    { path: ["gcp", "cluster", "releaseChannel"], set: "REGULAR", expect: "in place" },
    { path: ["gcp", "cluster", "maintenanceStartTime"], set: "05:00", expect: "in place" },
    // Seed 000's pool: its taint and label follow `dedicatedTo`, updated in place by the node pool update.
    { path: ["gcp", "nodePools", 2, "dedicatedTo"], set: "vms", expect: "in place" },
    { path: ["gcp", "nodePools", 1, "name"], set: "workers", expect: "replaces", why: "the pool name is its identity: a renamed pool is a new pool" },
    { path: ["gcp", "network", "masterCidr"], set: "172.16.0.16/28", expect: "replaces", why: "GKE fixes the control plane's range at creation" },
    // AKS: counts, tiers, channels, add-ons change in place.
    { path: ["azure", "nodePools", 0, "minCount"], set: 3, expect: "in place" },
    { path: ["azure", "nodePools", 1, "maxCount"], set: 6, expect: "in place" },
    { path: ["azure", "cluster", "tier"], set: "Premium", expect: "in place" },
    { path: ["azure", "cluster", "containerInsights"], set: false, expect: "in place" },
    { path: ["azure", "cluster", "upgradeChannel"], set: "patch", expect: "in place" },
    { path: ["azure", "cluster", "kubernetesVersion"], set: "1.33", expect: "in place" },
    { path: ["azure", "keyVault", "secrets", "db-password"], set: "another-placeholder", expect: "in place" },
    { path: ["azure", "nodePools", 0, "vmSize"], set: "Standard_D4s_v5", expect: "replaces", why: "AKS cannot resize a pool: a new size needs a new pool" },
    { path: ["azure", "availabilityZones"], set: ["1", "2"], expect: "replaces", why: "AKS fixes a pool's zones at creation" },
    { path: ["azure", "keyVault", "name"], set: "trustmesh-prod-kv2", expect: "replaces", why: "the vault name is its identity (and its DNS name)" },
    // PKI, mesh and policy knobs that reach cloud resources (a DNS grant, NSG and firewall rules, the Binary Authorization policy).
    { path: ["pki", "acme", "gcpDnsZone"], set: "prod-example-org", expect: "in place" },
    { path: ["mesh", "links", 0, "linkPort"], set: 13307, expect: "in place" },
    // Application secrets (#14): a new value is a new Secret Manager version and Key Vault secret, not a new identity or vault.
    { path: ["namespaces", 0, "secrets", "values", "api-token"], set: "another-placeholder", expect: "in place" },
    { path: ["policy"], set: { allowedRegistries: ["gcr.io/", "docker.io/istio/", "quay.io/jetstack/", "docker.io/library/", "ghcr.io/stakater/", "mcr.microsoft.com/", "registry.k8s.io/"] }, expect: "in place" },
];

/**
 * Leaves of the stack file not changed here, each for its reason: they name the environment's place or
 * address plan (changing one is building another environment), are the same field as a knob above,
 * or reach no listed resource type. Each plan takes seconds, so a knob is planned once per field.
 */
const untestedKnobs: Array<{ pattern: RegExp; why: string }> = [
    { pattern: /^environment$/, why: "the tier decides every default; another tier is another environment" },
    { pattern: /^gcp\.(project|region)$/, why: "where the GKE side lives" },
    { pattern: /^gcp\.zones\.[01]$/, why: "the same field as gcp.zones.2" },
    { pattern: /^gcp\.network\./, why: "the VPC's address plan, fixed at creation (masterCidr is shown replacing)" },
    { pattern: /^gcp\.nodePools\.[02]\.name$/, why: "the same as gcp.nodePools.1.name" },
    { pattern: /^gcp\.nodePools\.2\.(machineType|minNodes|maxNodes)$/, why: "the same fields as pool 0's and 1's" },
    {
        pattern: /^gcp\.nodePools\.2\.nestedVirtualization$/,
        why: "no valid edit: the VM's pool must have it and no other series here allows it; GKE fixes it at node creation (nodeConfig.advancedMachineFeatures is listed as replacing, proven in the replacementChanges test)",
    },
    { pattern: /^gcp\.nodePools\.0\.(machineType|system)$/, why: "machineType: the same field as pool 1's; system: taints, updated in place by the same node pool update" },
    { pattern: /^gcp\.nodePools\.1\.(minNodes|maxNodes)$/, why: "the same fields as pool 0's" },
    { pattern: /^gcp\.cluster\.authorizedNetworks\.0\.displayName$/, why: "the same list as its cidrBlock" },
    { pattern: /^azure\.(subscriptionId|tenantId|location)$/, why: "where the AKS side lives" },
    { pattern: /^azure\.network\./, why: "the VNet's and overlay's address plan, fixed at creation" },
    { pattern: /^azure\.nodePools\.\d\.(name|system)$/, why: "pool identity and mode (a system pool is the cluster's first pool)" },
    { pattern: /^azure\.nodePools\.0\.maxCount$|^azure\.nodePools\.1\.minCount$/, why: "the same autoscaler fields as the other pool's" },
    { pattern: /^azure\.cluster\.adminGroupObjectIds\.\d$/, why: "aadProfile, updated in place like the tier" },
    { pattern: /^azure\.availabilityZones\.\d$/, why: "the zone list is changed as a whole" },
    { pattern: /^pki\.acme\.(email|azureDnsZone|azureDnsResourceGroup)$/, why: "the ACME account and the AKS DNS role's scope: a ClusterIssuer and a role assignment, neither listed" },
    {
        pattern: /^namespaces\./,
        why: "namespaces are Kubernetes objects; their names are referenced by links and the vault reader; an application's secrets' ServiceAccount and names make its identity and secrets (a secret's value is tested)",
    },
    { pattern: /^workloads\./, why: "the seed workloads are Kubernetes objects (a Deployment, Certificates, a VM), none listed; the VM's pool is the pool's own knob" },
    { pattern: /^mesh\.links\.0\./, why: "the link's ends and names: another link, not another setting (linkPort is tested)" },
    { pattern: /^mesh\.(dns|example)\./, why: "DNS records and the example's Kubernetes objects, none listed" },
    { pattern: /^deploy\./, why: "where the deployment runs from: checked against the clusters' endpoints; reaches no listed type" },
];

function leaves(value: unknown, path: Path = []): Path[] {
    if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, [...path, index]));
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
    return [path];
}

function setAt(target: Record<string, any>, path: Path, value: unknown): void {
    let node: any = target;
    for (const part of path.slice(0, -1)) node = node[part];
    node[path[path.length - 1]!] = structuredClone(value);
}

const stack = "prod";

async function planWith(trustmesh: Record<string, unknown>): Promise<RecordedResource[]> {
    const file = readStackFile(stack);
    const config = { ...file.config };
    for (const [key, value] of Object.entries(trustmesh)) config[`trustmesh:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    return (await runOffline(environmentProgram, { stack, config, secretKeys: file.secretKeys })).resources;
}

const describeChange = (c: ReplacementChange) => `${c.type} ${c.urn.split("::").pop()} ${c.path} (${c.effect}): ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`;

describe("replacementChanges", () => {
    const pool = (initialNodeCount: number, ignoreChanges: string[] = [], name = "gke-apps-pool"): RecordedResource => ({
        urn: `urn:pulumi:prod::trustmesh::gcp:container/nodePool:NodePool::${name}`,
        type: "gcp:container/nodePool:NodePool",
        name,
        dependencies: [],
        protect: false,
        custom: true,
        inputs: { name: "apps", initialNodeCount, autoscaling: { minNodeCount: initialNodeCount } },
        rawInputs: {},
        secretPaths: [],
        ignoreChanges,
    });

    it("flags a changed replace-forcing field (finding 7: initialNodeCount) unless ignoreChanges covers it", () => {
        assert.deepEqual(replacementChanges([pool(1)], [pool(2)]).map((c) => `${c.path} ${c.effect}`), ["initialNodeCount replaces"]);
        assert.deepEqual(replacementChanges([pool(1, ["initialNodeCount"])], [pool(2, ["initialNodeCount"])]), []);
    });

    it("flags turning a pool's nested virtualization off (GKE sets advanced machine features at node creation)", () => {
        const nested = (enableNestedVirtualization: boolean): RecordedResource => {
            const resource = pool(1);
            return { ...resource, inputs: { ...resource.inputs, nodeConfig: { advancedMachineFeatures: { enableNestedVirtualization, threadsPerCore: 2 } } } };
        };
        assert.deepEqual(replacementChanges([nested(true)], [nested(false)]).map((c) => `${c.path} ${c.effect}`), ["nodeConfig.advancedMachineFeatures replaces"]);
    });

    it("flags a listed resource that disappears (a rename is a new resource), not one that is only added", () => {
        assert.deepEqual(replacementChanges([pool(1)], [pool(1, [], "gke-workers-pool")]).map((c) => c.effect).sort(), ["created", "deleted"]);
        assert.deepEqual(replacementChanges([], [pool(1)]).map((c) => c.effect), ["created"]);
    });
});

describe("no accidental replacement: every prod knob, one at a time", function () {
    this.timeout(900_000);
    let baseline: RecordedResource[];
    const base = readStackFile(stack).trustmesh;
    before(async () => {
        baseline = await planWith(base);
    });

    it("every listed field comes with the documentation it is taken from", () => {
        for (const [type, fields] of Object.entries(replacementFields)) {
            assert.ok(fields.length > 0, type);
            for (const field of fields) assert.match(field.source, /(terraform\.io|learn\.microsoft\.com|@pulumi)/, `${type} ${field.path}`);
        }
    });

    it("the baseline has a resource of every listed type it builds, and the fields read from it exist", () => {
        for (const type of ["gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool", "azure-native:containerservice:ManagedCluster", "azure-native:containerservice:AgentPool", "azure-native:keyvault:Vault", "azure-native:managedidentity:UserAssignedIdentity"]) {
            assert.ok(baseline.some((r) => r.type === type), type);
        }
    });

    it("every leaf of the prod stack file is a knob tested here or listed with the reason it is not", () => {
        const tested = new Set(knobs.map((k) => k.path.join(".")));
        const untested = leaves(base)
            .map((p) => p.join("."))
            .filter((p) => !tested.has(p) && !untestedKnobs.some((i) => i.pattern.test(p)));
        assert.deepEqual(untested, [], "add a knob (with its new value) or the reason it is not tested");
    });

    for (const knob of knobs) {
        it(`${knob.path.join(".")} -> ${JSON.stringify(knob.set)}: ${knob.expect}${knob.why ? ` (${knob.why})` : ""}`, async () => {
            const edited = structuredClone(base) as Record<string, any>;
            setAt(edited, knob.path, knob.set);
            parseEnvironmentConfig(edited); // the edit must be a valid config, or the test proves nothing
            const changes = replacementChanges(baseline, await planWith(edited)).filter((c) => c.effect !== "created");
            if (knob.expect === "in place") assert.deepEqual(changes.map(describeChange), []);
            else assert.ok(changes.length > 0, "expected a replace-forcing change");
        });
    }
});
