import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isIstioReservedPort } from "./istio";
import { dnsNamePattern, isTcpPort, rfc1123Label } from "./names";

/** Derived object names add up to 26 characters to the link name, and must stay RFC 1123 labels. */
export const maxLinkNameLength = 37;

/** What both sides of a mesh link check alike: the link name, the host and the gateway's link port. */
export function linkSideProblems(args: { linkName?: string; host?: string; linkPort?: number }): string[] {
    const problems: string[] = [];
    if (!rfc1123Label.test(args.linkName ?? "") || (args.linkName ?? "").length > maxLinkNameLength) {
        problems.push(`linkName "${args.linkName}" must be a lowercase RFC 1123 label of at most ${maxLinkNameLength} characters`);
    }
    if (!dnsNamePattern.test(args.host ?? "")) problems.push(`host "${args.host}" must be a lowercase fully qualified DNS name such as mysql.example.com`);
    if (!isTcpPort(args.linkPort)) {
        problems.push(`linkPort ${args.linkPort} must be a TCP port (1-65535)`);
    } else if (isIstioReservedPort(args.linkPort)) {
        problems.push(`linkPort ${args.linkPort} is in Istio's reserved range 15000-15090; pick another port`);
    }
    return problems;
}

/**
 * The `<credential>-cacert` Secret both sides of a link put beside their gateway credential: Istio reads
 * a credential's CA from it in preference to the credential's own `ca.crt`, so during a root rotation
 * it can hold both roots.
 */
export function trustAnchorsSecret(
    name: string,
    args: { credential: string; namespace: pulumi.Input<string>; labels: Record<string, string>; pem: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: `${args.credential}-cacert`, namespace: args.namespace, labels: { ...args.labels, "trustmesh.io/mesh-trust-anchors": "true" } },
            type: "Opaque",
            // Public certificates, but a Secret is where Istio reads a credential's CA from.
            stringData: { "ca.crt": pulumi.secret(args.pem) },
        },
        opts,
    );
}
