"""A Python program that uses trustmesh through its generated SDK (pulumi_trustmesh), as a Python team would.

Two Kubernetes providers stand for the two clusters; their API server is an address on 127.0.0.1 where
nothing listens, so a preview plans every object without reaching a cluster (the kubernetes provider says
the cluster is unreachable and previews without server-side checks). The e2e python check runs
`pulumi preview` on it under the real CLI.
"""
import pulumi
import pulumi_kubernetes as k8s
import pulumi_trustmesh as trustmesh

config = pulumi.Config()
api_server = config.require("unreachableApiServer")


def cluster_provider(name: str) -> k8s.Provider:
    kubeconfig = f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {api_server}
    insecure-skip-tls-verify: true
contexts:
- name: {name}
  context: {{cluster: {name}, user: {name}}}
current-context: {name}
users:
- name: {name}
  user: {{token: preview-only}}
"""
    return k8s.Provider(name, kubeconfig=pulumi.Output.secret(kubeconfig))


aks = cluster_provider("aks")
gke = cluster_provider("gke")

payments = trustmesh.NamespaceBaseline(
    "payments",
    name="payments",
    trust_bundle_label="trustmesh.io/trust-bundle",
    opts=pulumi.ResourceOptions(providers={"kubernetes": aks}),
)
checkout = trustmesh.NamespaceBaseline(
    "checkout",
    name="checkout",
    opts=pulumi.ResourceOptions(providers={"kubernetes": gke}),
)
link = trustmesh.MeshLink(
    "payments-link",
    service="payments-api",
    namespace="payments",
    port=8443,
    link_port=15443,
    host="payments.link.example.com",
    server="aks",
    client="gke",
    client_namespace="checkout",
    server_provider=aks,
    client_provider=gke,
    opts=pulumi.ResourceOptions(depends_on=[payments, checkout]),
)

pulumi.export("paymentsNamespace", payments.namespace_name)
pulumi.export("linkHost", link.host)
pulumi.export("clientName", link.client_name)
