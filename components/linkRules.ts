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
