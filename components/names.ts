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
