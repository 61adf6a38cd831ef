import { strict as assert } from "node:assert";
import { choiceProblems } from "../components/choices";
import { NamespaceBaseline, namespaceLabels, PodSecurityLevel, podSecurityVersion, validateNamespaceBaselineArgs, type NamespaceBaselineArgs } from "../components/namespaceBaseline";
import { runOffline } from "../offline/engine";
import "../offline/fakes/index";

describe("choices", () => {
    const table: Array<{ value: string | undefined; problems: string[] }> = [
        { value: undefined, problems: [] },
        { value: "restricted", problems: [] },
        { value: "baseline", problems: [] },
        { value: "privileged", problems: ['podSecurity "privileged" must be one of "restricted", "baseline"'] },
        { value: "Restricted", problems: ['podSecurity "Restricted" must be one of "restricted", "baseline"'] },
    ];
    for (const row of table) {
        it(`podSecurity ${JSON.stringify(row.value)} -> ${row.problems.length} problem(s)`, () => {
            assert.deepEqual(choiceProblems("podSecurity", row.value, PodSecurityLevel), row.problems);
        });
    }
});

describe("NamespaceBaseline", () => {
    it("labels the namespace for Pod Security Admission restricted, sidecar injection and the trust bundle", () => {
        assert.deepEqual(namespaceLabels({ name: "web", trustBundleLabel: "trustmesh.io/trust-bundle" }), {
            "app.kubernetes.io/managed-by": "trustmesh",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": podSecurityVersion,
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "istio-injection": "enabled",
            "trustmesh.io/trust-bundle": "enabled",
        });
        const baseline = namespaceLabels({ name: "legacy", podSecurity: "baseline", baselineReason: "vendor image runs as root", sidecarInjection: false });
        assert.equal(baseline["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(baseline["pod-security.kubernetes.io/warn"], "restricted", "still warns at restricted");
        assert.equal(baseline["istio-injection"], "disabled");
        assert.equal(baseline["trustmesh.io/trust-bundle"], undefined);
    });

    const bad: Array<{ name: string; args: NamespaceBaselineArgs; message: RegExp }> = [
        { name: "a name that is not a label", args: { name: "Web_App" }, message: /name "Web_App" must be a lowercase RFC 1123 label/ },
        { name: "an unknown Pod Security level", args: { name: "web", podSecurity: "privileged" as PodSecurityLevel }, message: /podSecurity "privileged" must be one of "restricted", "baseline"/ },
        { name: "baseline without a reason", args: { name: "web", podSecurity: "baseline" }, message: /needs a baselineReason/ },
        { name: "a label overriding Pod Security", args: { name: "web", labels: { "pod-security.kubernetes.io/enforce": "privileged" } }, message: /labels may not set "pod-security.kubernetes.io\/enforce"/ },
    ];
    for (const row of bad) {
        it(`refuses ${row.name}`, async () => {
            assert.ok(validateNamespaceBaselineArgs(row.args).some((p) => row.message.test(p)));
            await assert.rejects(
                runOffline(() => {
                    new NamespaceBaseline("bad", row.args);
                    return {};
                }, { stack: "test" }),
                row.message,
            );
        });
    }

    it("creates the namespace, default deny for both directions, DNS and istiod egress, quota and limits", async () => {
        const run = await runOffline(() => {
            new NamespaceBaseline("web", { name: "web" });
            return {};
        }, { stack: "test" });
        const byName = new Map(run.resources.map((r) => [r.name, r.inputs as Record<string, any>]));
        assert.deepEqual(byName.get("web-default-deny")!.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const dns = byName.get("web-allow-dns")!.spec.egress[0];
        assert.deepEqual(dns.ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
        assert.deepEqual(dns.to[0].podSelector, { matchLabels: { "k8s-app": "kube-dns" } });
        assert.deepEqual(byName.get("web-allow-istiod")!.spec.egress[0].ports, [{ protocol: "TCP", port: 15012 }]);
        assert.equal(byName.get("web-quota")!.spec.hard.pods, "50");
        assert.deepEqual(byName.get("web-limits")!.spec.limits[0].default, { cpu: "500m", memory: "512Mi" });
        // Every child waits for the namespace.
        const ns = run.resources.find((r) => r.name === "web-namespace")!;
        for (const child of run.resources.filter((r) => r.type.startsWith("kubernetes:") && r !== ns)) {
            assert.ok(child.dependencies.includes(ns.urn), `${child.name} depends on the namespace`);
        }
    });
});
