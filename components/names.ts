// Naming and port rules shared by the components' argument checks and the stack config schema, so a
// name the config accepts is one every component accepts too.

/** An RFC 1123 label: namespaces, Services, volumes and most Kubernetes object names. At most 63 characters. */
export const rfc1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A lowercase fully qualified DNS name (no wildcard, no trailing dot), at most 253 characters. */
export const dnsNamePattern = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A TCP port number, 1-65535. */
export function isTcpPort(port: number | undefined): port is number {
    return port !== undefined && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * Fixed names: the chart names its Deployment, Service and pod label after the chart
 * (`cert-manager-istio-csr`), and the proxies reach it through the Service on 443 (target 6443).
 */
export const istioCsrNames = {
    release: "cert-manager-istio-csr",
    podLabels: { app: "cert-manager-istio-csr" },
    servicePort: 443,
    /** The gRPC CA port on the pod: what NetworkPolicies must open (they match pod ports, not Service ports). */
    servingPort: 6443,
    trustAnchorsConfigMap: "istio-csr-trust-anchors",
    trustAnchorsKey: "root-cas.pem",
    trustAnchorsMountPath: "/var/run/secrets/istio-csr",
} as const;

/** A SPIFFE trust domain: lowercase letters, digits, dots, dashes, underscores (SPIFFE ID spec). */
export const trustDomainPattern = /^[a-z0-9._-]{1,255}$/;

/**
 * An Istio principal (what AuthorizationPolicy `principals` lists): the SPIFFE ID of a ServiceAccount
 * without its `spiffe://` scheme, `<trust domain>/ns/<namespace>/sa/<service account>`.
 */
export function istioPrincipal(trustDomain: string, namespace: string, serviceAccount: string): string {
    return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
