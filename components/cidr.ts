/**
 * CIDR rules shared by the components' argument checks and the stack config schema. Parsing and
 * matching go through ipaddr.js so IPv4 and IPv6 are handled by one maintained implementation; this
 * file only states trustmesh's rules on top of it (zero host bits, which families a field accepts).
 */
import ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

/** A parsed CIDR block whose host bits are all zero. */
export interface CidrBlock {
    family: IpFamily;
    /** The network address. */
    address: ipaddr.IPv4 | ipaddr.IPv6;
    prefix: number;
}

/**
 * Parses `block` when it is a CIDR with zero host bits (`10.0.0.0/16`, `fd00:10::/64`), otherwise
 * undefined. IPv4 must be written as four decimal parts: `10.1/16` or octal-looking `010.0.0.0/8` are
 * refused because the clouds read them differently from what they look like.
 */
export function parseCidr(block: string): CidrBlock | undefined {
    if (typeof block !== "string" || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(block)) return undefined;
    if (ipaddr.IPv4.isValidCIDRFourPartDecimal(block)) {
        const [address, prefix] = ipaddr.IPv4.parseCIDR(block);
        if (/(^|\.)0\d/.test(block.split("/")[0]!)) return undefined;
        return hostBitsZero(block, address, prefix, "ipv4");
    }
    if (ipaddr.IPv6.isValidCIDR(block)) {
        const [address, prefix] = ipaddr.IPv6.parseCIDR(block);
        if (address.isIPv4MappedAddress()) return undefined;
        return hostBitsZero(block, address, prefix, "ipv6");
    }
    return undefined;
}

function hostBitsZero(block: string, address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number, family: IpFamily): CidrBlock | undefined {
    const network = family === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(block) : ipaddr.IPv6.networkAddressFromCIDR(block);
    return network.toNormalizedString() === address.toNormalizedString() ? { family, address, prefix } : undefined;
}

/** The family of a valid CIDR, or undefined. */
export function cidrFamily(block: string): IpFamily | undefined {
    return parseCidr(block)?.family;
}

/** True for a CIDR with zero host bits of one of `families` (IPv4 only unless told otherwise). */
export function isCanonicalCidr(block: string, families: readonly IpFamily[] = ["ipv4"]): boolean {
    const parsed = parseCidr(block);
    return parsed !== undefined && families.includes(parsed.family);
}

/**
 * Why `block` is not acceptable for a field that takes `families`, or undefined when it is. The
 * message names what is allowed, so a caller only prefixes the field name and value.
 */
export function cidrProblem(block: string, families: readonly IpFamily[] = ["ipv4"]): string | undefined {
    const parsed = parseCidr(block);
    const allowed = families.map((f) => (f === "ipv4" ? "an IPv4 CIDR such as 10.0.0.0/16" : "an IPv6 CIDR such as fd00:10::/64")).join(" or ");
    if (!parsed) return `must be ${allowed} with zero host bits`;
    if (!families.includes(parsed.family)) {
        return parsed.family === "ipv6" ? `is IPv6, which this field does not accept: use ${allowed}` : `is IPv4, which this field does not accept: use ${allowed}`;
    }
    return undefined;
}

/** The prefix length of a CIDR (`16` for `10.0.0.0/16`). Meaningful only for a valid block. */
export function prefixLength(block: string): number {
    return Number(block.split("/")[1]);
}

/** True when `block` covers every address of its family (`0.0.0.0/0`, `::/0`). */
export function isWholeInternet(block: string): boolean {
    return parseCidr(block)?.prefix === 0;
}

/** True when `inner` lies entirely inside `outer` (same family, inner at least as long a prefix). */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parseCidr(outer);
    const i = parseCidr(inner);
    if (!o || !i || o.family !== i.family || i.prefix < o.prefix) return false;
    return i.address.match(o.address, o.prefix);
}

/** True when two blocks share an address. CIDR blocks either nest or are disjoint. */
export function cidrsOverlap(a: string, b: string): boolean {
    return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * The address `offset` places after the network address of `block` (offset 1 is the first host),
 * e.g. the cluster DNS address AKS takes from the service range. Throws when it falls outside.
 */
export function addressAt(block: string, offset: number): string {
    const parsed = parseCidr(block);
    if (!parsed) throw new Error(`"${block}" is not a CIDR with zero host bits`);
    const bytes = parsed.address.toByteArray();
    const width = BigInt(bytes.length * 8);
    const value = bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n) + BigInt(offset);
    if (offset < 0 || BigInt(offset) >= 1n << (width - BigInt(parsed.prefix))) {
        throw new Error(`offset ${offset} is outside ${block}`);
    }
    const out = bytes.map((_, i) => Number((value >> (width - 8n * BigInt(i + 1))) & 255n));
    return ipaddr.fromByteArray(out).toString();
}
