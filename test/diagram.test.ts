import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { planCli } from "../offline/cli/plan";
import { describeEnvironment, environmentDiagram, mermaidId } from "../offline/diagram";
import type { RecordedResource } from "../offline/engine";
import type { PlanResult } from "../offline/plan";
import { captureOutput } from "./helpers/stacks";
import { plannedStack } from "./helpers/plans";

/** Ids a Mermaid flowchart declares (nodes and subgraphs), and its edges' endpoints. */
function mermaidStructure(text: string) {
    const declared = new Set<string>();
    const endpoints: string[] = [];
    let depth = 0;
    for (const line of text.split("\n").map((l) => l.trim())) {
        const subgraph = line.match(/^subgraph (\w+)\["[^"]*"\]$/);
        if (subgraph) {
            declared.add(subgraph[1]!);
            depth++;
            continue;
        }
        if (line === "end") {
            depth--;
            assert.ok(depth >= 0, "an `end` without its subgraph");
            continue;
        }
        const edge = line.match(/^(\w+) (-->|-\.->|==>)\|"[^"]*"\| (\w+)$/);
        if (edge) {
            endpoints.push(edge[1]!, edge[3]!);
            continue;
        }
        const node = line.match(/^(\w+)(\("[^"]*"\)|\{\{"[^"]*"\}\}|\[\("[^"]*"\)\]|\["[^"]*"\])$/);
        if (node) {
            declared.add(node[1]!);
            continue;
        }
        assert.ok(line === "" || line === "flowchart LR" || line === "direction TB" || line.startsWith("%%"), `unexpected Mermaid line: ${line}`);
    }
    assert.equal(depth, 0, "every subgraph is closed");
    return { declared, endpoints };
}

function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}): RecordedResource {
    const urn = `urn:pulumi:t::trustmesh::${type}::${name}`;
    return { urn, type, name, dependencies: [], protect: false, custom: true, inputs, rawInputs: inputs, secretPaths: [], ...extra };
}

describe("environment diagram", function () {
    this.timeout(300_000);
    let dev: PlanResult;
    let text: string;

    before(async () => {
        dev = await plannedStack("dev");
        text = environmentDiagram(dev.run.resources, "dev");
    });

    it("is a well-formed Mermaid flowchart whose edges all join declared nodes", () => {
        assert.match(text, /^flowchart LR\n/);
        const { declared, endpoints } = mermaidStructure(text);
        assert.ok(endpoints.length > 0);
        for (const id of endpoints) assert.ok(declared.has(id), `edge endpoint ${id} is declared`);
    });

    it("shows the dev plan's GKE and AKS clusters inside their clouds", () => {
        const gke = dev.run.resources.find((r) => r.type === "gcp:container/cluster:Cluster");
        const aks = dev.run.resources.find((r) => r.type === "azure-native:containerservice:ManagedCluster");
        assert.ok(gke && aks, "the dev plan has both clusters");
        assert.match(text, new RegExp(`subgraph cloud_gcp\\["Google Cloud · project ${dev.config.gcp!.project}"\\]\\n\\s+subgraph cluster_gke\\["GKE cluster ${String(gke.inputs.name)} · ${dev.config.gcp!.region}`));
        assert.match(text, new RegExp(`subgraph cloud_azure\\["Azure · ${dev.config.azure!.location}"\\]\\n\\s+subgraph cluster_aks\\["AKS cluster ${String(aks.inputs.resourceName)} · `));
        assert.match(text, /public endpoint, authorized networks/, "dev's control planes are public behind authorized networks");
    });

    it("draws each mesh link as mTLS from the client's egress gateway to the server's ingress gateway", () => {
        assert.ok(dev.config.mesh.links.length > 0, "dev configures a link");
        for (const link of dev.config.mesh.links) {
            const edge = text.split("\n").find((l) => l.includes(`mTLS ${link.host}`));
            assert.ok(edge, `an edge for ${link.host}:\n${text}`);
            assert.match(edge, new RegExp(`^\\s+${link.client}_gateway_\\w+ ==>\\|"mTLS ${link.host.replace(/\./g, "\\.")}:\\d+"\\| ${link.server}_gateway_\\w+$`));
        }
        assert.match(text, /gke_gateway_\w+\["Gateway istio-system\/\S+ · egress · ISTIO_MUTUAL"\]/);
        assert.match(text, /aks_gateway_\w+\["Gateway istio-system\/\S+ · ingress · MUTUAL"\]/);
    });

    it("shows the issuers of each cluster, signed by the shared root CA", () => {
        for (const key of ["gke", "aks"]) {
            assert.match(text, new RegExp(`${key}_issuer_internal_ca\\("ClusterIssuer internal-ca · CA"\\)`));
            assert.match(text, new RegExp(`pki_\\w+ -->\\|"intermediate CA"\\| ${key}_issuer_internal_ca`));
        }
        assert.match(text, /\{\{"root CA · trustmesh dev root CA"\}\}/);
        assert.match(text, /ClusterIssuer letsencrypt-staging · ACME staging DNS01/, "dev uses Let's Encrypt staging");
    });

    it("shows the workload identities and the Key Vault their pods read", () => {
        const vault = dev.config.azure!.keyVault!.name;
        assert.match(text, new RegExp(`keyvault_${mermaidId(vault)}\\[\\("Key Vault ${vault}"\\)\\]`));
        assert.match(text, /cluster_aks -\.->\|"workload identity payments\/\S+"\| azure_identity_\w+/);
        assert.match(text, /cluster_gke -\.->\|"workload identity cert-manager\/cert-manager"\| gcp_identity_\w+/);
        assert.match(text, new RegExp(`azure_identity_\\w+ -->\\|"reads secrets · SecretProviderClass payments/\\S+"\\| keyvault_${mermaidId(vault)}`));
    });

    it("never carries a secret value", () => {
        assert.doesNotMatch(text, /offline-secret-|BEGIN (EC |RSA )?PRIVATE KEY|\[secret\]/);
    });

    it("shows a cluster reached through a kubeconfig context when the plan has no cluster resource", () => {
        const provider = resource("pulumi:providers:kubernetes", "gke", { context: "gke" });
        const issuer = resource(
            "kubernetes:cert-manager.io/v1:ClusterIssuer",
            "gke-issuer",
            { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: 'odd "name"' }, spec: { selfSigned: {} } },
            { provider: provider.urn },
        );
        const model = describeEnvironment([provider, issuer]);
        assert.deepEqual(
            model.clusters.map((c) => [c.key, c.cloud, c.label]),
            [["gke", "kubeconfig", "Kubernetes cluster gke · kubeconfig context"]],
        );
        const rendered = environmentDiagram([provider, issuer]);
        assert.match(rendered, /subgraph cluster_gke\["Kubernetes cluster gke · kubeconfig context"\]/);
        assert.match(rendered, /gke_issuer_odd_name\("ClusterIssuer odd #quot;name#quot; · self-signed"\)/);
        mermaidStructure(rendered);
    });

    it("is written by `npm run plan -- --diagram <file>`", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "diagram-"));
        const file = path.join(dir, "dev.mmd");
        const io = captureOutput();
        const code = await planCli(["--diagram", file, "--out", path.join(dir, "out")], io.log, io.error);
        assert.equal(code, 0, io.err.join("\n"));
        assert.ok(io.out.includes(`Mermaid diagram written to ${file}`));
        const written = readFileSync(file, "utf8");
        assert.match(written, /^flowchart LR\n {2}%% trustmesh environment "dev" \(dev\), from the offline plan\n/);
        assert.match(written, /cluster_gke/);
    });
});
