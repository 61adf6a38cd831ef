import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { BlockList } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { addressAt, cidrContains, cidrProblem, cidrsOverlap, isCanonicalCidr, isWholeInternet, parseCidr } from "../components/cidr";

/** A random IPv4 block with zero host bits, built from Node's own address parser as the oracle. */
const ipv4Block = fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }))
    .map(([n, bits]) => {
        const network = bits === 0 ? 0 : (n & (0xffffffff << (32 - bits))) >>> 0;
        return `${[24, 16, 8, 0].map((s) => (network >>> s) & 255).join(".")}/${bits}`;
    });

function blockListHas(outer: string, address: string): boolean {
    const [net, bits] = outer.split("/") as [string, string];
    const list = new BlockList();
    list.addSubnet(net, Number(bits), net.includes(":") ? "ipv6" : "ipv4");
    return list.check(address, address.includes(":") ? "ipv6" : "ipv4");
}

describe("CIDR rules (components/cidr)", () => {
    it("accepts blocks with zero host bits and refuses everything else", () => {
        for (const good of ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.4/30", "10.1.2.3/32"]) assert.ok(isCanonicalCidr(good), good);
        for (const bad of ["10.0.0.1/8", "10.0.0.0/33", "10.1/16", "010.0.0.0/8", "10.0.0.0", "10.0.0.0/016x", "", "fd00::/64 ", "256.0.0.0/8", "::ffff:10.0.0.0/104"]) {
            assert.ok(!isCanonicalCidr(bad, ["ipv4", "ipv6"]), bad);
        }
    });

    it("takes IPv6 only where the field says so, with an error naming both families", () => {
        assert.ok(!isCanonicalCidr("fd00:10::/64"));
        assert.ok(isCanonicalCidr("fd00:10::/64", ["ipv4", "ipv6"]));
        assert.ok(!isCanonicalCidr("fd00:10::1/64", ["ipv6"]), "host bits set");
        assert.match(cidrProblem("fd00:10::/64")!, /is IPv6, which this field does not accept: use an IPv4 CIDR/);
        assert.match(cidrProblem("10.0.0.0/8", ["ipv6"])!, /is IPv4, which this field does not accept: use an IPv6 CIDR/);
        assert.match(cidrProblem("10.0.0.1/8", ["ipv4", "ipv6"])!, /must be an IPv4 CIDR such as 10.0.0.0\/16 or an IPv6 CIDR .* with zero host bits/);
        assert.equal(cidrProblem("2001:db8::/32", ["ipv6"]), undefined);
        assert.ok(isWholeInternet("::/0") && isWholeInternet("0.0.0.0/0") && !isWholeInternet("10.0.0.0/8"));
    });

    it("containment and overlap agree with node:net BlockList on random IPv4 blocks", () => {
        fc.assert(
            fc.property(ipv4Block, ipv4Block, (a, b) => {
                const [bNet, bBits] = b.split("/") as [string, string];
                const lastOfB = addressAt(b, 2 ** (32 - Number(bBits)) - 1);
                const expectContains = blockListHas(a, bNet) && blockListHas(a, lastOfB);
                assert.equal(cidrContains(a, b), expectContains, `${a} contains ${b}`);
                assert.equal(cidrsOverlap(a, b), blockListHas(a, bNet) || blockListHas(b, a.split("/")[0]!), `${a} overlaps ${b}`);
            }),
            { numRuns: 300 },
        );
    });

    it("compares IPv6 blocks and never calls two families overlapping", () => {
        assert.ok(cidrContains("fd00::/48", "fd00:0:0:1::/64"));
        assert.ok(!cidrContains("fd00:0:0:1::/64", "fd00::/48"));
        assert.ok(cidrsOverlap("fd00:0:0:1::/64", "fd00::/48"));
        assert.ok(!cidrsOverlap("fd00:1::/64", "fd00:2::/64"));
        assert.ok(!cidrsOverlap("0.0.0.0/0", "::/0"));
    });

    it("addressAt counts from the network address and refuses offsets outside the block", () => {
        assert.equal(addressAt("10.0.0.0/16", 10), "10.0.0.10");
        assert.equal(addressAt("10.0.254.0/23", 256), "10.0.255.0");
        assert.equal(addressAt("fd12:3456:789a:1::/108", 10), "fd12:3456:789a:1::a");
        assert.throws(() => addressAt("10.0.0.0/30", 4), /outside 10.0.0.0\/30/);
        assert.throws(() => addressAt("10.0.0.1/30", 1), /not a CIDR/);
        assert.equal(parseCidr("10.0.0.0/30")?.family, "ipv4");
    });
});

describe("components stand alone", () => {
    it("no file under components/ imports the environment program, the offline engine or the policy pack", () => {
        const offenders: string[] = [];
        for (const file of readdirSync("components", { recursive: true }) as string[]) {
            if (!file.endsWith(".ts")) continue;
            const text = readFileSync(join("components", file), "utf8");
            for (const match of text.matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g)) {
                const spec = match[1] ?? match[2] ?? match[3]!;
                if (/^\.\.\/(.*\/)?(stacks|offline|policy|test|bench|automation)(\/|$)/.test(spec)) offenders.push(`${file}: ${spec}`);
            }
        }
        assert.deepEqual(offenders, []);
    });
});
