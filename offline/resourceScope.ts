/**
 * Which kinds are cluster-scoped, as a Kubernetes API server's discovery reports them
 * (`kubectl api-resources --namespaced=false`). The schema packages (kubernetes-models,
 * @kubernetes-models/*) carry each kind's OpenAPI schema but not its scope, and `check` runs with no
 * API server, so the scope is recorded here per API group: the built-in groups of Kubernetes 1.37
 * and the CRDs of the charts trustmesh installs (their CRD manifests' `spec.scope`). Every other kind
 * is namespaced, as nearly all custom resources are; the end-to-end run compares this table with the
 * discovery of a real kube-apiserver.
 */
const clusterScopedByGroup: Record<string, readonly string[]> = {
    core: ["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
    "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding"],
    "storage.k8s.io": ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"],
    "scheduling.k8s.io": ["PriorityClass"],
    "node.k8s.io": ["RuntimeClass"],
    "apiextensions.k8s.io": ["CustomResourceDefinition"],
    "apiregistration.k8s.io": ["APIService"],
    "admissionregistration.k8s.io": [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
    ],
    "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR"],
    "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
    "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
    "authentication.k8s.io": ["TokenReview", "SelfSubjectReview"],
    "authorization.k8s.io": ["SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"],
    "internal.apiserver.k8s.io": ["StorageVersion"],
    "storagemigration.k8s.io": ["StorageVersionMigration"],
    "resource.k8s.io": ["DeviceClass", "ResourceSlice"],
    "gateway.networking.k8s.io": ["GatewayClass"],
    // CRDs of the platform charts (spec.scope: Cluster in their published manifests).
    "cert-manager.io": ["ClusterIssuer"],
    "trust.cert-manager.io": ["Bundle", "ClusterBundle"],
    "trust-manager.io": ["ClusterBundle"],
    "kubevirt.io": [],
    "secrets-store.csi.x-k8s.io": [],
};

/** The API group of an apiVersion (`v1` is the core group). */
export function groupOf(apiVersion: string): string {
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "core";
}

/** True when objects of this kind have no namespace (kubectl ignores `-n` for them). */
export function isClusterScoped(apiVersion: string, kind: string): boolean {
    return clusterScopedByGroup[groupOf(apiVersion)]?.includes(kind) ?? false;
}

/** Every cluster-scoped kind as `group/Kind`, for the comparison with a real API server's discovery. */
export function clusterScopedKinds(): string[] {
    return Object.entries(clusterScopedByGroup).flatMap(([group, kinds]) => kinds.map((k) => `${group}/${k}`));
}
