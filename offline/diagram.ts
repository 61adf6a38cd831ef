import type { RecordedResource } from "./engine";
import { manifestsOf, type Manifest } from "./manifests";

/**
 * A Mermaid diagram of an environment, built from the resources a plan recorded, by type: clusters
 * (GKE, AKS, or a kubeconfig context), their ClusterIssuers and Istio Gateways, the mTLS links
 * between gateways, the cloud identities bound to Kubernetes ServiceAccounts, Key Vaults and the root
 * CA. It reads names and hosts only (redacted inputs), never a secret.
 */
export function environmentDiagram(resources: RecordedResource[], title?: string): string {
    const model = describeEnvironment(resources);
    return renderMermaid(model, title);
}

export interface DiagramNode {
    id: string;
    label: string;
    shape: "box" | "round" | "hexagon" | "cylinder";
}

export interface DiagramCluster {
    /** The cluster key: the name of its Kubernetes provider (`gke`, `aks`). */
    key: string;
    cloud: "gcp" | "azure" | "kubeconfig";
    label: string;
    nodes: DiagramNode[];
}

export interface DiagramEdge {
    from: string;
    to: string;
    label: string;
    style: "solid" | "dotted" | "thick";
}

export interface EnvironmentModel {
    clusters: DiagramCluster[];
    /** Nodes outside any cluster, by cloud (`pki` for the root CA). */
    cloudNodes: Record<"gcp" | "azure" | "pki", DiagramNode[]>;
    edges: DiagramEdge[];
    /** Cloud labels (project / location) where the plan names them. */
    cloudLabels: Partial<Record<"gcp" | "azure", string>>;
}

const types = {
    gke: "gcp:container/cluster:Cluster",
    aks: "azure-native:containerservice:ManagedCluster",
    k8sProvider: "pulumi:providers:kubernetes",
    vault: "azure-native:keyvault:Vault",
    userIdentity: "azure-native:managedidentity:UserAssignedIdentity",
    federated: "azure-native:managedidentity:FederatedIdentityCredential",
    secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
    gsa: "gcp:serviceaccount/account:Account",
    gsaIam: "gcp:serviceaccount/iAMMember:IAMMember",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
} as const;

export function describeEnvironment(resources: RecordedResource[]): EnvironmentModel {
    const manifests = manifestsOf(resources);
    const model: EnvironmentModel = { clusters: [], cloudNodes: { gcp: [], azure: [], pki: [] }, edges: [], cloudLabels: {} };
    const clusters = new Map<string, DiagramCluster>();

    // Clusters: each cloud cluster resource, keyed by the Kubernetes provider that shares its parent.
    for (const r of resources.filter((x) => x.type === types.gke || x.type === types.aks)) {
        const gke = r.type === types.gke;
        const key = providerKeyOf(r, resources) ?? (gke ? "gke" : "aks");
        const name = str(gke ? r.inputs.name : r.inputs.resourceName) ?? r.name;
        const location = str(r.inputs.location);
        const access = gke ? gkeAccess(r.inputs) : aksAccess(r.inputs);
        const label = [`${gke ? "GKE" : "AKS"} cluster ${name}`, location, access].filter(Boolean).join(" · ");
        clusters.set(key, { key, cloud: gke ? "gcp" : "azure", label, nodes: [] });
        if (gke && str(r.inputs.project)) model.cloudLabels.gcp = `project ${str(r.inputs.project)}`;
        if (!gke && location) model.cloudLabels.azure = location;
    }
    // A cluster the program only reaches through a kubeconfig context (no cluster resource yet).
    for (const m of manifests) {
        if (!clusters.has(m.cluster)) clusters.set(m.cluster, { key: m.cluster, cloud: "kubeconfig", label: `Kubernetes cluster ${m.cluster} · kubeconfig context`, nodes: [] });
    }
    const clusterId = (key: string) => mermaidId(`cluster_${key}`);

    // Issuers and gateways, inside their cluster.
    const caIssuers: string[] = [];
    const gateways: Array<{ id: string; manifest: Manifest; hosts: string[]; mode?: string; port?: number; link?: string }> = [];
    for (const m of manifests) {
        const cluster = clusters.get(m.cluster)!;
        const spec = (m.redacted.spec ?? {}) as Record<string, any>;
        if (m.kind === "ClusterIssuer" && m.apiVersion.startsWith("cert-manager.io/")) {
            const id = mermaidId(`${m.cluster}_issuer_${m.name}`);
            cluster.nodes.push({ id, label: `ClusterIssuer ${m.name} · ${issuerKind(spec)}`, shape: "round" });
            if (spec.ca) caIssuers.push(id);
        }
        if (m.kind === "Gateway" && m.apiVersion.startsWith("networking.istio.io/")) {
            const server = (Array.isArray(spec.servers) ? spec.servers[0] : undefined) as Record<string, any> | undefined;
            const mode = str(server?.tls?.mode);
            const selector = Object.values((spec.selector ?? {}) as Record<string, unknown>).map(String).join(",");
            const id = mermaidId(`${m.cluster}_gateway_${m.namespace ?? ""}_${m.name}`);
            const role = /egress/.test(selector) ? "egress" : /ingress/.test(selector) ? "ingress" : selector || "gateway";
            cluster.nodes.push({ id, label: [`Gateway ${m.namespace ? `${m.namespace}/` : ""}${m.name}`, role, mode].filter(Boolean).join(" · "), shape: "box" });
            const labels = (m.redacted.metadata?.labels ?? {}) as Record<string, string>;
            gateways.push({
                id,
                manifest: m,
                hosts: (spec.servers ?? []).flatMap((s: Record<string, any>) => (Array.isArray(s.hosts) ? s.hosts.map(String) : [])),
                mode,
                port: typeof server?.port?.number === "number" ? server.port.number : undefined,
                link: labels["trustmesh.io/mesh-link"],
            });
        }
    }

    // The seeds' workloads, inside their cluster: KubeVirt VMs, Deployments Reloader restarts on
    // renewal, and client Jobs, linked to the VM whose Service they dial.
    const vms: Array<{ id: string; namespace?: string }> = [];
    for (const m of manifests.filter((x) => x.kind === "VirtualMachine" && x.apiVersion.startsWith("kubevirt.io/"))) {
        const spec = ((m.redacted.spec ?? {}) as Record<string, any>).template?.spec ?? {};
        const secretDisk = (Array.isArray(spec.volumes) ? spec.volumes : []).find((v: Record<string, any>) => v?.secret)?.secret?.secretName;
        const id = mermaidId(`${m.cluster}_vm_${m.namespace ?? ""}_${m.name}`);
        clusters.get(m.cluster)!.nodes.push({ id, label: [`VirtualMachine ${m.namespace}/${m.name} · KubeVirt`, secretDisk ? `TLS from Secret ${secretDisk} (disk)` : undefined].filter(Boolean).join(" · "), shape: "box" });
        vms.push({ id, namespace: m.namespace });
    }
    for (const m of manifests.filter((x) => x.kind === "Deployment")) {
        const reload = ((m.redacted.metadata?.annotations ?? {}) as Record<string, string>)["secret.reloader.stakater.com/reload"];
        if (!reload) continue;
        clusters.get(m.cluster)!.nodes.push({ id: mermaidId(`${m.cluster}_deployment_${m.namespace ?? ""}_${m.name}`), label: `Deployment ${m.namespace}/${m.name} · keystores · Reloader restarts on ${reload}`, shape: "box" });
    }
    for (const m of manifests.filter((x) => x.kind === "Job")) {
        const containers = (((m.redacted.spec ?? {}) as Record<string, any>).template?.spec?.containers ?? []) as Array<Record<string, any>>;
        const command = containers.flatMap((c) => [...(Array.isArray(c?.command) ? c.command : []), ...(Array.isArray(c?.args) ? c.args : [])]).join(" ");
        const target = vms.find((vm) => vm.namespace && command.includes(`.${vm.namespace}.svc`));
        if (!target) continue;
        const id = mermaidId(`${m.cluster}_job_${m.namespace ?? ""}_${m.name}`);
        clusters.get(m.cluster)!.nodes.push({ id, label: `Job ${m.namespace}/${m.name}`, shape: "round" });
        model.edges.push({ from: id, to: target.id, label: "TLS, verified against the root", style: "solid" });
    }

    // Links: a client gateway (ISTIO_MUTUAL, egress) to the server gateway (MUTUAL) of the same link or host.
    for (const server of gateways.filter((g) => g.mode === "MUTUAL")) {
        for (const client of gateways.filter((g) => g !== server && g.mode !== "MUTUAL")) {
            const sameLink = server.link !== undefined && client.link === server.link;
            const sharedHost = client.hosts.find((h) => server.hosts.includes(h));
            if (!sameLink && !sharedHost) continue;
            const host = sharedHost ?? server.hosts[0] ?? server.link ?? "";
            model.edges.push({ from: client.id, to: server.id, label: `mTLS ${host}${server.port ? `:${server.port}` : ""}`, style: "thick" });
        }
    }

    // Root CA and the intermediates it signs for each cluster's CA issuer.
    for (const r of resources.filter((x) => x.type === types.selfSignedCert && x.inputs.isCaCertificate === true)) {
        const subject = (r.inputs.subject ?? {}) as Record<string, unknown>;
        const id = mermaidId(`pki_${r.name}`);
        model.cloudNodes.pki.push({ id, label: `root CA · ${str(subject.commonName) ?? r.name}`, shape: "hexagon" });
        for (const issuer of caIssuers) model.edges.push({ from: id, to: issuer, label: "intermediate CA", style: "solid" });
    }

    // Key Vaults.
    const vaults = new Map<string, string>();
    for (const r of resources.filter((x) => x.type === types.vault)) {
        const name = str(r.inputs.vaultName) ?? r.name;
        const id = mermaidId(`keyvault_${name}`);
        vaults.set(name, id);
        model.cloudNodes.azure.push({ id, label: `Key Vault ${name}`, shape: "cylinder" });
    }

    // Azure workload identities: a managed identity federated with a ServiceAccount of the AKS cluster.
    const azureCluster = [...clusters.values()].find((c) => c.cloud === "azure");
    const identitiesByNamespace = new Map<string, string[]>();
    for (const fed of resources.filter((x) => x.type === types.federated)) {
        const subject = str(fed.inputs.subject)?.match(/^system:serviceaccount:([^:]+):(.+)$/);
        const identity = resources.find((x) => x.type === types.userIdentity && x.parent !== undefined && x.parent === fed.parent);
        const name = identity?.name ?? str(fed.inputs.resourceName) ?? fed.name;
        const id = mermaidId(`azure_identity_${name}`);
        model.cloudNodes.azure.push({ id, label: `managed identity ${name}`, shape: "round" });
        if (subject) identitiesByNamespace.set(subject[1]!, [...(identitiesByNamespace.get(subject[1]!) ?? []), id]);
        if (azureCluster && subject) {
            model.edges.push({ from: clusterId(azureCluster.key), to: id, label: `workload identity ${subject[1]}/${subject[2]}`, style: "dotted" });
        }
    }

    // GCP workload identities: a Google service account a ServiceAccount may impersonate.
    const gcpCluster = [...clusters.values()].find((c) => c.cloud === "gcp");
    for (const binding of resources.filter((x) => x.type === types.gsaIam && x.inputs.role === "roles/iam.workloadIdentityUser")) {
        const member = str(binding.inputs.member)?.match(/\[([^/\]]+)\/([^\]]+)\]$/);
        const account = resources.find((x) => x.type === types.gsa && x.parent !== undefined && x.parent === binding.parent);
        const accountName = str(account?.inputs.accountId) ?? str(binding.inputs.serviceAccountId)?.split("/").pop()?.split("@")[0] ?? binding.name;
        const id = mermaidId(`gcp_identity_${accountName}`);
        if (!model.cloudNodes.gcp.some((n) => n.id === id)) model.cloudNodes.gcp.push({ id, label: `Google service account ${accountName}`, shape: "round" });
        if (gcpCluster && member) {
            model.edges.push({ from: clusterId(gcpCluster.key), to: id, label: `workload identity ${member[1]}/${member[2]}`, style: "dotted" });
        }
    }

    // Secret Manager: one store node per namespace's secrets, read by the Google service account granted on them.
    for (const m of manifests.filter((x) => x.kind === "SecretProviderClass" && ((x.redacted.spec ?? {}) as Record<string, any>).provider === "gke")) {
        const id = mermaidId(`secretmanager_${m.namespace ?? ""}_${m.name}`);
        const prefix = `${m.namespace}-`;
        const grants = resources.filter((x) => x.type === types.secretIam && str(x.inputs.secretId)?.startsWith(prefix));
        model.cloudNodes.gcp.push({ id, label: `Secret Manager · ${grants.length} secret(s) of ${m.namespace}`, shape: "cylinder" });
        const email = str(grants[0]?.inputs.member)?.replace(/^serviceAccount:/, "");
        const reader = email ? model.cloudNodes.gcp.find((n) => n.id === mermaidId(`gcp_identity_${email.split("@")[0]}`)) : undefined;
        model.edges.push({ from: reader?.id ?? clusterId(m.cluster), to: id, label: `reads secrets · SecretProviderClass ${m.namespace ?? ""}/${m.name}`, style: "solid" });
    }

    // Key Vault readers: a SecretProviderClass names the vault; the identity federated in its namespace
    // reads it (when there is exactly one), else the cluster does.
    for (const m of manifests.filter((x) => x.kind === "SecretProviderClass")) {
        const params = ((m.redacted.spec ?? {}) as Record<string, any>).parameters ?? {};
        const vault = vaults.get(String(params.keyvaultName));
        if (!vault) continue;
        const candidates = identitiesByNamespace.get(m.namespace ?? "") ?? [];
        // Several identities in one namespace: the one named like the class's component reads through it.
        const owner = resources.find((r) => r.urn === m.urn)?.parent?.split("::").pop();
        const named = owner ? candidates.find((c) => c.startsWith(mermaidId(`azure_identity_${owner}`))) : undefined;
        const from = named ?? (candidates.length === 1 ? candidates[0]! : clusterId(m.cluster));
        model.edges.push({ from, to: vault, label: `reads secrets · SecretProviderClass ${m.namespace ?? ""}/${m.name}`, style: "solid" });
    }

    model.clusters = [...clusters.values()].sort((a, b) => a.key.localeCompare(b.key));
    return model;
}

export function renderMermaid(model: EnvironmentModel, title?: string): string {
    const lines = ["flowchart LR"];
    if (title) lines.push(`  %% ${title}`);
    const clusterBlock = (cluster: DiagramCluster, indent: string) => {
        lines.push(`${indent}subgraph ${mermaidId(`cluster_${cluster.key}`)}["${escapeLabel(cluster.label)}"]`);
        lines.push(`${indent}  direction TB`);
        for (const node of cluster.nodes) lines.push(`${indent}  ${renderNode(node)}`);
        lines.push(`${indent}end`);
    };
    for (const cloud of ["gcp", "azure"] as const) {
        const inCloud = model.clusters.filter((c) => c.cloud === cloud);
        const nodes = model.cloudNodes[cloud];
        if (inCloud.length === 0 && nodes.length === 0) continue;
        const name = cloud === "gcp" ? "Google Cloud" : "Azure";
        const label = model.cloudLabels[cloud] ? `${name} · ${model.cloudLabels[cloud]}` : name;
        lines.push(`  subgraph cloud_${cloud}["${escapeLabel(label)}"]`);
        for (const cluster of inCloud) clusterBlock(cluster, "    ");
        for (const node of nodes) lines.push(`    ${renderNode(node)}`);
        lines.push("  end");
    }
    for (const cluster of model.clusters.filter((c) => c.cloud === "kubeconfig")) clusterBlock(cluster, "  ");
    for (const node of model.cloudNodes.pki) lines.push(`  ${renderNode(node)}`);
    const arrows = { solid: "-->", dotted: "-.->", thick: "==>" } as const;
    for (const edge of model.edges) lines.push(`  ${edge.from} ${arrows[edge.style]}|"${escapeLabel(edge.label)}"| ${edge.to}`);
    return `${lines.join("\n")}\n`;
}

function renderNode(node: DiagramNode): string {
    const label = `"${escapeLabel(node.label)}"`;
    switch (node.shape) {
        case "round":
            return `${node.id}(${label})`;
        case "hexagon":
            return `${node.id}{{${label}}}`;
        case "cylinder":
            return `${node.id}[(${label})]`;
        case "box":
            return `${node.id}[${label}]`;
    }
}

/** A Mermaid node id: letters, digits and `_` only. */
export function mermaidId(text: string): string {
    return text.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
}

function escapeLabel(text: string): string {
    return text.replace(/"/g, "#quot;").replace(/\n/g, " ");
}

function providerKeyOf(cluster: RecordedResource, resources: RecordedResource[]): string | undefined {
    if (!cluster.parent) return undefined;
    return resources.find((r) => r.type === types.k8sProvider && r.parent === cluster.parent)?.name;
}

function gkeAccess(inputs: Record<string, unknown>): string {
    const pcc = (inputs.privateClusterConfig ?? {}) as Record<string, unknown>;
    return pcc.enablePrivateEndpoint === true ? "private endpoint" : "public endpoint, authorized networks";
}

function aksAccess(inputs: Record<string, unknown>): string {
    const access = (inputs.apiServerAccessProfile ?? {}) as Record<string, unknown>;
    return access.enablePrivateCluster === true ? "private endpoint" : "public endpoint, authorized IPs";
}

function issuerKind(spec: Record<string, any>): string {
    if (spec.ca) return "CA";
    if (spec.selfSigned) return "self-signed";
    if (spec.acme) {
        const solver = (spec.acme.solvers?.[0] ?? {}) as Record<string, any>;
        const how = solver.dns01 ? `DNS01 ${Object.keys(solver.dns01).join(",")}` : solver.http01 ? "HTTP01" : "";
        return ["ACME", /staging/.test(String(spec.acme.server)) ? "staging" : "", how].filter(Boolean).join(" ");
    }
    if (spec.vault) return "Vault";
    return "issuer";
}

function str(value: unknown): string | undefined {
    return typeof value === "string" && value.length > 0 ? value : undefined;
}
