import { strict as assert } from "node:assert";
import { remediate, runPolicies } from "../../offline/policyRunner";
import { containersOf, podSpecOf, workloadTypes } from "../../policy/kubernetes";
import { podSecurityPolicies } from "../../policy/podSecurity";
import { clone, nullSafety, policyTable, subject, violationsOf, withField } from "./harness";

const pod = {
    metadata: { name: "app", namespace: "payments" },
    spec: {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
            {
                name: "app",
                image: "docker.io/library/nginx:1.27.0",
                ports: [{ containerPort: 8080 }],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
        ],
        initContainers: [
            { name: "init", image: "docker.io/library/busybox:1.36", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
        ],
        volumes: [{ name: "cache", emptyDir: {} }],
    },
};
const c = "spec.containers.0";
const i = "spec.initContainers.0";

describe("policy: pod security (Pod Security Standards)", () => {
    policyTable("kubernetes:core/v1:Pod", pod, [
        { policy: "pss-privileged", path: `${c}.securityContext.privileged`, value: true },
        { policy: "pss-privileged", path: `${i}.securityContext.privileged`, value: true },
        { policy: "pss-host-namespaces", path: "spec.hostNetwork", value: true },
        { policy: "pss-host-namespaces", path: "spec.hostPID", value: true },
        { policy: "pss-host-namespaces", path: "spec.hostIPC", value: true },
        { policy: "pss-windows-host-process", path: "spec.securityContext.windowsOptions", value: { hostProcess: true } },
        { policy: "pss-windows-host-process", path: `${c}.securityContext.windowsOptions`, value: { hostProcess: true } },
        { policy: "pss-host-path-volumes", path: "spec.volumes.0", value: { name: "host", hostPath: { path: "/" } } },
        { policy: "pss-host-ports", path: `${c}.ports.0.hostPort`, value: 8080 },
        { policy: "pss-capabilities-baseline", path: `${c}.securityContext.capabilities.add`, value: ["SYS_ADMIN"] },
        { policy: "pss-capabilities-baseline", path: `${i}.securityContext.capabilities.add`, value: ["CAP_NET_RAW"] },
        { policy: "pss-apparmor", path: `${c}.securityContext.appArmorProfile`, value: { type: "Unconfined" } },
        { policy: "pss-apparmor", path: "metadata.annotations", value: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" } },
        { policy: "pss-selinux", path: "spec.securityContext.seLinuxOptions", value: { type: "spc_t" } },
        { policy: "pss-selinux", path: `${c}.securityContext.seLinuxOptions`, value: { user: "system_u" } },
        { policy: "pss-proc-mount", path: `${c}.securityContext.procMount`, value: "Unmasked" },
        { policy: "pss-seccomp-baseline", path: "spec.securityContext.seccompProfile.type", value: "Unconfined" },
        { policy: "pss-sysctls", path: "spec.securityContext.sysctls", value: [{ name: "kernel.msgmax", value: "65536" }] },
        { policy: "pss-volume-types", path: "spec.volumes.0", value: { name: "nfs", nfs: { server: "x", path: "/" } } },
        { policy: "pss-allow-privilege-escalation", path: `${c}.securityContext.allowPrivilegeEscalation`, value: true },
        { policy: "pss-allow-privilege-escalation", path: `${i}.securityContext.allowPrivilegeEscalation`, value: undefined },
        { policy: "pss-run-as-non-root", path: "spec.securityContext.runAsNonRoot", value: undefined },
        { policy: "pss-run-as-non-root", path: `${c}.securityContext.runAsNonRoot`, value: false },
        { policy: "pss-run-as-user", path: "spec.securityContext.runAsUser", value: 0 },
        { policy: "pss-run-as-user", path: `${i}.securityContext.runAsUser`, value: 0 },
        { policy: "pss-seccomp-restricted", path: "spec.securityContext.seccompProfile", value: undefined },
        { policy: "pss-capabilities-restricted", path: `${c}.securityContext.capabilities.drop`, value: ["NET_RAW"] },
        { policy: "pss-capabilities-restricted", path: `${i}.securityContext.capabilities.add`, value: ["CHOWN"] },
    ]);

    it("checks every workload kind's pod template (and ephemeral containers)", () => {
        const deployment = { metadata: { name: "d" }, spec: { template: { metadata: {}, spec: clone(pod.spec) } } };
        const bad = withField(deployment, "spec.template.spec.containers.0.securityContext.privileged", true);
        assert.equal(violationsOf("pss-privileged", [subject("kubernetes:apps/v1:Deployment", bad)]).length, 1);
        const cron = { spec: { jobTemplate: { spec: { template: { spec: withField(pod.spec, "hostPID", true) } } } } };
        assert.equal(violationsOf("pss-host-namespaces", [subject("kubernetes:batch/v1:CronJob", cron)]).length, 1);
        const ephemeral = withField(pod, "spec.ephemeralContainers", [{ name: "debug", image: "busybox:1.36", securityContext: { privileged: true } }]);
        assert.match(violationsOf("pss-privileged", [subject("kubernetes:core/v1:Pod", ephemeral)])[0]!.message, /ephemeral container "debug"/);
        for (const type of workloadTypes) assert.ok(podSpecOf(type, type === "kubernetes:core/v1:Pod" ? pod : { spec: { template: { spec: {} }, jobTemplate: { spec: { template: { spec: {} } } } }, template: { spec: {} } }), type);
    });

    it("applies the pod-level securityContext the way Kubernetes does: inherited, and overridden by the container", () => {
        const views = containersOf(withField(pod.spec, "containers.0.securityContext.runAsUser", 2000));
        assert.equal(views[0]!.securityContext.runAsUser, 2000);
        assert.equal(views[1]!.securityContext.runAsUser, 10001);
        // A container may turn runAsNonRoot back off: the pod-level true does not save it.
        assert.equal(violationsOf("pss-run-as-non-root", [subject("kubernetes:core/v1:Pod", withField(pod, `${c}.securityContext.runAsNonRoot`, false))]).length, 1);
        // A container may set seccomp itself when the pod does not.
        const perContainer = withField(withField(withField(pod, "spec.securityContext.seccompProfile", undefined), `${c}.securityContext.seccompProfile`, { type: "RuntimeDefault" }), `${i}.securityContext.seccompProfile`, { type: "Localhost", localhostProfile: "p.json" });
        assert.deepEqual(violationsOf("pss-seccomp-restricted", [subject("kubernetes:core/v1:Pod", perContainer)]), []);
    });

    it("exempts Windows pods from the Linux-only restricted controls", () => {
        const windows = withField(withField(withField(pod, "spec.os", { name: "windows" }), `${c}.securityContext.allowPrivilegeEscalation`, undefined), "spec.securityContext.seccompProfile", undefined);
        for (const name of ["pss-allow-privilege-escalation", "pss-seccomp-restricted"]) {
            assert.deepEqual(violationsOf(name, [subject("kubernetes:core/v1:Pod", windows)]), [], name);
        }
    });

    it("compares capability names exactly as Pod Security Admission does: CAP_-prefixed or lowercase names are refused", () => {
        const added = (caps: string[]) => subject("kubernetes:core/v1:Pod", withField(pod, `${c}.securityContext.capabilities.add`, caps));
        const baseline = violationsOf("pss-capabilities-baseline", [added(["CAP_CHOWN", "chown", "CHOWN"])]);
        assert.equal(baseline.length, 2, JSON.stringify(baseline));
        assert.match(baseline[0]!.message, /adds capability CAP_CHOWN \(Pod Security Admission compares names exactly: write CHOWN\)/);
        assert.match(baseline[1]!.message, /adds capability chown \(Pod Security Admission compares names exactly: write CHOWN\)/);
        const restrictedAdd = violationsOf("pss-capabilities-restricted", [added(["CAP_NET_BIND_SERVICE"])]);
        assert.equal(restrictedAdd.length, 1);
        assert.match(restrictedAdd[0]!.message, /write NET_BIND_SERVICE/);
        const lowerDrop = violationsOf("pss-capabilities-restricted", [subject("kubernetes:core/v1:Pod", withField(pod, `${c}.securityContext.capabilities.drop`, ["all"]))]);
        assert.equal(lowerDrop.length, 1);
        assert.match(lowerDrop[0]!.message, /drop: \["ALL"\] \(Pod Security Admission compares names exactly: write ALL\)/);
    });

    it("allows NET_BIND_SERVICE and the baseline capabilities where the profiles do", () => {
        const bind = withField(pod, `${c}.securityContext.capabilities.add`, ["NET_BIND_SERVICE"]);
        assert.deepEqual(violationsOf("pss-capabilities-restricted", [subject("kubernetes:core/v1:Pod", bind)]), []);
        const chown = withField(pod, `${c}.securityContext.capabilities.add`, ["CHOWN"]);
        assert.deepEqual(violationsOf("pss-capabilities-baseline", [subject("kubernetes:core/v1:Pod", chown)]), []);
    });

    it("remediates allowPrivilegeEscalation without touching the input, and the result passes", () => {
        const bad = withField(withField(pod, `${c}.securityContext.allowPrivilegeEscalation`, undefined), `${i}.securityContext`, undefined);
        const before = clone(bad);
        const s = subject("kubernetes:core/v1:Pod", bad);
        const { subjects, remediations } = remediate([s], { policies: podSecurityPolicies });
        assert.deepEqual(bad, before, "the input is not mutated");
        assert.deepEqual(remediations.map((r) => r.policy), ["pss-allow-privilege-escalation"]);
        assert.equal(subjects[0]!.props.spec.containers[0].securityContext.allowPrivilegeEscalation, false);
        assert.equal(subjects[0]!.props.spec.initContainers[0].securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(runPolicies(subjects, { policies: podSecurityPolicies.filter((p) => p.name === "pss-allow-privilege-escalation") }), []);
        assert.deepEqual(remediate([subject("kubernetes:core/v1:Pod", pod)], { policies: podSecurityPolicies }).remediations, [], "nothing to fix on a compliant pod");
    });

    it("has a policy for every Pod Security Standards control", () => {
        assert.equal(podSecurityPolicies.length, 17);
    });

    nullSafety("pod-security", workloadTypes);
});
