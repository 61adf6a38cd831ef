import { strict as assert } from "node:assert";
import type { RecordedResource } from "../offline/engine";
import { crossCloudPaths, linkPathProblems, type LinkPath } from "../offline/linkPaths";
import { planExitCode, planStack, type PlanResult } from "../offline/plan";
import { plannedStack } from "./helpers/plans";
import { tempStack } from "./helpers/stacks";

/**
 * Issue 19, finding 6 and the "cross-cloud paths" check: every link's path (client egress -> server
 * load balancer -> server firewall -> server gateway) admits exactly the client's egress addresses,
 * in both directions, and each way of breaking a hop is caught and named.
 */
describe("cross-cloud paths", function () {
    this.timeout(300_000);
    let prod: PlanResult;
    let reverse: PlanResult;
    before(async () => {
        prod = await plannedStack("prod");
        // The other direction: a link served on GKE, called from AKS.
        const dir = tempStack("prod", "prod", (config) => {
            const mesh = config["trustmesh:mesh"];
            mesh.links.push({ name: "payments", service: "payments", namespace: "payments", port: 8443, linkPort: 18443, host: "payments.mesh.prod.example.com", server: "gke", client: "aks", clientNamespace: "payments" });
        });
        reverse = await planStack({ stack: "prod", stacksDir: dir });
    });

    const hop = (path: LinkPath, name: string) => path.hops.find((h) => h.hop === name)!;
    const resources = (plan: PlanResult) => structuredClone(plan.run.resources) as RecordedResource[];
    const pathsOf = (plan: PlanResult, edited: RecordedResource[]) => crossCloudPaths(edited, plan.config.mesh.links);
    const ofType = (all: RecordedResource[], type: string) => all.filter((r) => r.type === type);

    it("prod's GKE -> AKS link: every hop admits exactly the GKE NAT addresses, and the plan passes", () => {
        assert.equal(prod.linkPaths.length, 1);
        const [path] = prod.linkPaths;
        const natIps = ofType(prod.run.resources, "gcp:compute/address:Address").filter((a) => /-nat-ip-/.test(a.name)).map((a) => a.outputs!.address);
        assert.deepEqual(path!.clientAddresses, natIps);
        assert.deepEqual(linkPathProblems(prod.linkPaths), []);
        assert.deepEqual(hop(path!, "server load balancer").admits, natIps.map((ip) => `${ip}/32`));
        assert.deepEqual(hop(path!, "server firewall").admits, natIps);
        assert.match(hop(path!, "server firewall").via, /NSG aks-nodes-nsg rule allow-mesh-links \(priority 100\)/);
        assert.match(hop(path!, "server gateway").via, /Gateway istio-system\/mysql-ingress port 13306/);
        assert.equal(planExitCode(prod), 0);
    });

    it("the reverse direction: AKS's static outbound IPs, admitted by the GKE gateway Service and a VPC firewall rule", () => {
        assert.equal(reverse.linkPaths.length, 2);
        const path = reverse.linkPaths.find((p) => p.server === "gke")!;
        const outbound = ofType(reverse.run.resources, "azure-native:network:PublicIPAddress").filter((ip) => /outbound-ip/.test(ip.name)).map((ip) => ip.outputs!.ipAddress);
        assert.equal(outbound.length, 1);
        assert.deepEqual(path.clientAddresses, outbound);
        assert.deepEqual(linkPathProblems(reverse.linkPaths), []);
        assert.match(hop(path, "server firewall").via, /trustmesh-prod-allow-mesh-links/);
        const rule = ofType(reverse.run.resources, "gcp:compute/firewall:Firewall").find((r) => r.name === "gke-allow-mesh-links")!;
        assert.deepEqual((rule.inputs as any).allows, [{ protocol: "tcp", ports: ["18443"] }]);
        assert.deepEqual((rule.inputs as any).sourceRanges, outbound.map((ip) => `${ip}/32`));
    });

    describe("breaking a hop on purpose is caught, naming the link and the hop", () => {
        it("ephemeral Cloud NAT addresses (AUTO_ONLY)", () => {
            const edited = resources(prod);
            const nat = ofType(edited, "gcp:compute/routerNat:RouterNat")[0]!;
            (nat.inputs as any).natIpAllocateOption = "AUTO_ONLY";
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /^link mysql \(gke -> aks:13306\), client egress: .*AUTO_ONLY.*no peer can admit exactly them/.test(p)), problems.join("\n"));
        });

        it("AKS outbound IPs left to AKS", () => {
            const edited = resources(reverse);
            delete (ofType(edited, "azure-native:containerservice:ManagedCluster")[0]!.inputs as any).networkProfile.loadBalancerProfile;
            const problems = linkPathProblems(pathsOf(reverse, edited));
            assert.ok(problems.some((p) => /^link payments \(aks -> gke:18443\), client egress: .*outbound IPs AKS picks itself/.test(p)), problems.join("\n"));
        });

        it("a gateway Service open to the internet (no loadBalancerSourceRanges)", () => {
            const edited = resources(prod);
            const release = ofType(edited, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "aks-istio-ingress-gateway")!;
            delete (release.inputs as any).values.service.loadBalancerSourceRanges;
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /^link mysql .*server load balancer: loadBalancerSourceRanges is unset: port 13306 is open to the whole internet/.test(p)), problems.join("\n"));
        });

        it("a gateway Service admitting a wider range than the client", () => {
            const edited = resources(prod);
            const release = ofType(edited, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "aks-istio-ingress-gateway")!;
            (release.inputs as any).values.service.loadBalancerSourceRanges.push("198.51.100.0/24");
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /server load balancer: admits 198\.51\.100\.0\/24 beyond the client/.test(p)), problems.join("\n"));
        });

        it("the subnet NSG without the link rule (the finding: AKS never adds it there)", () => {
            const edited = resources(prod);
            const nsg = ofType(edited, "azure-native:network:NetworkSecurityGroup")[0]!;
            (nsg.inputs as any).securityRules = (nsg.inputs as any).securityRules.filter((r: { name: string }) => r.name !== "allow-mesh-links");
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /server firewall: no rule allows TCP 13306 before the NSG denies the internet/.test(p)), problems.join("\n"));
        });

        it("an NSG rule that lets the internet in on the link port", () => {
            const edited = resources(prod);
            const nsg = ofType(edited, "azure-native:network:NetworkSecurityGroup")[0]!;
            (nsg.inputs as any).securityRules.push({ name: "allow-all-13306", priority: 200, direction: "Inbound", access: "Allow", protocol: "*", sourceAddressPrefix: "Internet", destinationPortRange: "13000-14000" });
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /server firewall: admits Internet \(anyone\) beyond the client/.test(p)), problems.join("\n"));
        });

        it("an NSG rule for another address than the client's NAT", () => {
            const edited = resources(prod);
            const nsg = ofType(edited, "azure-native:network:NetworkSecurityGroup")[0]!;
            const rule = (nsg.inputs as any).securityRules.find((r: { name: string }) => r.name === "allow-mesh-links");
            rule.sourceAddressPrefixes = ["192.0.2.10"];
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /server firewall: admits 192\.0\.2\.10 beyond the client; does not admit the client's 203\.0\.113\./.test(p)), problems.join("\n"));
        });

        it("a VPC firewall rule from 0.0.0.0/0 on a GKE-served link port", () => {
            const edited = resources(reverse);
            const rule = ofType(edited, "gcp:compute/firewall:Firewall").find((r) => r.name === "gke-allow-mesh-links")!;
            (rule.inputs as any).sourceRanges = ["0.0.0.0/0"];
            const problems = linkPathProblems(pathsOf(reverse, edited));
            assert.ok(problems.some((p) => /^link payments \(aks -> gke:18443\), server firewall: admits 0\.0\.0\.0\/0 \(anyone\) beyond the client/.test(p)), problems.join("\n"));
        });

        it("a Gateway that does not require client certificates", () => {
            const edited = resources(prod);
            const gateway = ofType(edited, "kubernetes:networking.istio.io/v1:Gateway").find((g) => (g.inputs as any).metadata.name === "mysql-ingress")!;
            (gateway.inputs as any).spec.servers[0].tls.mode = "SIMPLE";
            const problems = linkPathProblems(pathsOf(prod, edited));
            assert.ok(problems.some((p) => /server gateway: the Gateway's TLS mode is SIMPLE, not MUTUAL/.test(p)), problems.join("\n"));
        });

        it("a broken path fails the plan (exit 1)", () => {
            const edited = resources(prod);
            ofType(edited, "gcp:compute/routerNat:RouterNat").forEach((nat) => ((nat.inputs as any).natIpAllocateOption = "AUTO_ONLY"));
            assert.equal(planExitCode({ ...prod, linkPaths: pathsOf(prod, edited) }), 1);
        });
    });
});
