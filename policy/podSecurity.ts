import type { ResourceValidationArgs } from "@pulumi/policy";
import { appArmorTypeOf, containersOf, describeContainer, isWindowsPod, podMetadataOf, podSpecOf, volumesOf, workloadTypes, type ContainerView, type PodSpec } from "./kubernetes";
import type { TrustmeshResourcePolicy } from "./types";
import { cloneData } from "./values";

/**
 * Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * every control of baseline and restricted, over Pods and every pod template (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, PodTemplate), for
 * containers, init containers and ephemeral containers. A container inherits the pod-level
 * securityContext fields Kubernetes inherits (runAsUser, runAsNonRoot, seccompProfile, ...) and may
 * override them (`containersOf` in kubernetes.ts).
 */

type Report = (message: string) => void;

/** Runs `check` on every container of the pod the resource carries, if any. */
function eachContainer(args: ResourceValidationArgs, check: (view: ContainerView, spec: PodSpec, report: Report) => void, report: Report): void {
    const spec = podSpecOf(args.type, args.props);
    if (!spec) return;
    for (const view of containersOf(spec)) check(view, spec, report);
}

export const disallowPrivileged: TrustmeshResourcePolicy = {
    name: "pss-privileged",
    domain: "pod-security",
    severity: "critical",
    description: "Checks that no container runs privileged (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, _spec, report) => {
            if (view.securityContext.privileged === true) {
                report(`${describeContainer(view)} sets securityContext.privileged: true; remove it or set it to false.`);
            }
        }, reportViolation),
};

export const disallowHostNamespaces: TrustmeshResourcePolicy = {
    name: "pss-host-namespaces",
    domain: "pod-security",
    severity: "critical",
    description: "Checks that pods do not share the host's network, PID or IPC namespace (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (spec[field] === true) {
                reportViolation(`the pod sets ${field}: true; remove it so the pod gets its own namespace.`);
            }
        }
    },
};

export const disallowHostProcess: TrustmeshResourcePolicy = {
    name: "pss-windows-host-process",
    domain: "pod-security",
    severity: "critical",
    description: "Checks that no pod or container runs as a Windows HostProcess container (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        if (spec.securityContext?.windowsOptions?.hostProcess === true) {
            reportViolation("the pod sets securityContext.windowsOptions.hostProcess: true; remove it.");
        }
        for (const view of containersOf(spec)) {
            if (view.container.securityContext?.windowsOptions?.hostProcess === true) {
                reportViolation(`${describeContainer(view)} sets securityContext.windowsOptions.hostProcess: true; remove it.`);
            }
        }
    },
};

export const disallowHostPath: TrustmeshResourcePolicy = {
    name: "pss-host-path-volumes",
    domain: "pod-security",
    severity: "high",
    description: "Checks that pods mount no hostPath volume (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const volume of volumesOf(podSpecOf(args.type, args.props))) {
            if (volume.hostPath !== undefined && volume.hostPath !== null) {
                reportViolation(`volume "${volume.name ?? "<unnamed>"}" is a hostPath volume; use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead.`);
            }
        }
    },
};

export const disallowHostPorts: TrustmeshResourcePolicy = {
    name: "pss-host-ports",
    domain: "pod-security",
    severity: "high",
    description: "Checks that no container binds a host port (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, _spec, report) => {
            for (const port of Array.isArray(view.container.ports) ? view.container.ports : []) {
                if (port && typeof port.hostPort === "number" && port.hostPort !== 0) {
                    report(`${describeContainer(view)} binds hostPort ${port.hostPort}; remove hostPort and expose the port through a Service.`);
                }
            }
        }, reportViolation),
};

/** Capabilities the baseline profile lets a container add. */
export const baselineCapabilities = new Set([
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

/**
 * Pod Security Admission compares capability names exactly as written (`CHOWN` is allowed, `CAP_CHOWN`
 * and `chown` are not; only `ALL` drops everything), so the checks here do too. The hint tells the
 * author the spelling the admission controller would have accepted.
 */
function spellingHint(cap: unknown, allowed: ReadonlySet<string>): string {
    const canonical = String(cap).toUpperCase().replace(/^CAP_/, "");
    return canonical !== String(cap) && allowed.has(canonical) ? ` (Pod Security Admission compares names exactly: write ${canonical})` : "";
}

export const baselineCapabilitiesPolicy: TrustmeshResourcePolicy = {
    name: "pss-capabilities-baseline",
    domain: "pod-security",
    severity: "high",
    description: "Checks that containers add no capability beyond the Pod Security Standards baseline set (e.g. no SYS_ADMIN, NET_ADMIN, NET_RAW).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, _spec, report) => {
            const added = view.securityContext.capabilities?.add;
            for (const cap of Array.isArray(added) ? added : []) {
                if (cap === null || cap === undefined) continue;
                if (typeof cap !== "string" || !baselineCapabilities.has(cap)) {
                    report(`${describeContainer(view)} adds capability ${String(cap)}${spellingHint(cap, baselineCapabilities)}; remove it from securityContext.capabilities.add.`);
                }
            }
        }, reportViolation),
};

export const restrictedCapabilities: TrustmeshResourcePolicy = {
    name: "pss-capabilities-restricted",
    domain: "pod-security",
    severity: "medium",
    description: "Checks that every container drops ALL capabilities and adds back at most NET_BIND_SERVICE (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, spec, report) => {
            if (isWindowsPod(spec)) return;
            const caps = view.securityContext.capabilities ?? {};
            const dropped: unknown[] = Array.isArray(caps.drop) ? caps.drop : [];
            if (!dropped.includes("ALL")) {
                const hint = dropped.some((cap) => spellingHint(cap, new Set(["ALL"])) !== "") ? " (Pod Security Admission compares names exactly: write ALL)" : "";
                report(`${describeContainer(view)} must set securityContext.capabilities.drop: ["ALL"]${hint}.`);
            }
            for (const cap of Array.isArray(caps.add) ? caps.add : []) {
                if (cap !== null && cap !== undefined && cap !== "NET_BIND_SERVICE") {
                    report(`${describeContainer(view)} adds capability ${String(cap)}${spellingHint(cap, new Set(["NET_BIND_SERVICE"]))}; the restricted profile allows only NET_BIND_SERVICE.`);
                }
            }
        }, reportViolation),
};

export const appArmor: TrustmeshResourcePolicy = {
    name: "pss-apparmor",
    domain: "pod-security",
    severity: "high",
    description: "Checks that no container runs with the AppArmor profile Unconfined (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        const metadata = podMetadataOf(args.type, args.props);
        if (spec.securityContext?.appArmorProfile?.type === "Unconfined") {
            reportViolation("the pod sets securityContext.appArmorProfile.type: Unconfined; use RuntimeDefault or a Localhost profile.");
        }
        for (const view of containersOf(spec)) {
            const type = appArmorTypeOf(view, metadata);
            if (type !== undefined && type !== "RuntimeDefault" && type !== "Localhost") {
                reportViolation(`${describeContainer(view)} runs with AppArmor profile ${type}; use RuntimeDefault or a Localhost profile.`);
            }
        }
    },
};

const allowedSeLinuxTypes = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

export const seLinux: TrustmeshResourcePolicy = {
    name: "pss-selinux",
    domain: "pod-security",
    severity: "high",
    description: "Checks that SELinux options set no custom user or role and only the container_* types (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        const judge = (options: any, where: string) => {
            if (!options || typeof options !== "object") return;
            if (typeof options.type === "string" && !allowedSeLinuxTypes.has(options.type)) {
                reportViolation(`${where} sets seLinuxOptions.type ${options.type}; use container_t, container_init_t, container_kvm_t or container_engine_t.`);
            }
            for (const field of ["user", "role"]) {
                if (typeof options[field] === "string" && options[field] !== "") reportViolation(`${where} sets seLinuxOptions.${field}; remove it.`);
            }
        };
        judge(spec.securityContext?.seLinuxOptions, "the pod");
        for (const view of containersOf(spec)) judge(view.container.securityContext?.seLinuxOptions, describeContainer(view));
    },
};

export const procMount: TrustmeshResourcePolicy = {
    name: "pss-proc-mount",
    domain: "pod-security",
    severity: "high",
    description: "Checks that containers use the Default /proc mount (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, _spec, report) => {
            const value = view.securityContext.procMount;
            if (typeof value === "string" && value !== "Default") report(`${describeContainer(view)} sets securityContext.procMount: ${value}; remove it or set Default.`);
        }, reportViolation),
};

export const seccompBaseline: TrustmeshResourcePolicy = {
    name: "pss-seccomp-baseline",
    domain: "pod-security",
    severity: "high",
    description: "Checks that no pod or container sets the seccomp profile Unconfined (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        if (spec.securityContext?.seccompProfile?.type === "Unconfined") {
            reportViolation("the pod sets securityContext.seccompProfile.type: Unconfined; use RuntimeDefault.");
        }
        for (const view of containersOf(spec)) {
            if (view.container.securityContext?.seccompProfile?.type === "Unconfined") {
                reportViolation(`${describeContainer(view)} sets securityContext.seccompProfile.type: Unconfined; use RuntimeDefault.`);
            }
        }
    },
};

/** Sysctls the baseline profile allows (the "safe" set, Kubernetes 1.29+). */
export const safeSysctls = new Set([
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
]);

export const sysctls: TrustmeshResourcePolicy = {
    name: "pss-sysctls",
    domain: "pod-security",
    severity: "high",
    description: "Checks that pods set only the safe sysctls (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const list = podSpecOf(args.type, args.props)?.securityContext?.sysctls;
        for (const sysctl of Array.isArray(list) ? list : []) {
            const name = sysctl?.name;
            if (typeof name === "string" && !safeSysctls.has(name)) reportViolation(`the pod sets sysctl ${name}, which is not in the safe set; remove it.`);
        }
    },
};

/** Volume types the restricted profile allows. */
export const restrictedVolumeTypes = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

export const volumeTypes: TrustmeshResourcePolicy = {
    name: "pss-volume-types",
    domain: "pod-security",
    severity: "medium",
    description: "Checks that pods use only the volume types the Pod Security Standards restricted profile allows (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const volume of volumesOf(podSpecOf(args.type, args.props))) {
            for (const [key, value] of Object.entries(volume)) {
                if (key === "name" || value === null || value === undefined) continue;
                if (!restrictedVolumeTypes.has(key)) {
                    reportViolation(`volume "${volume.name ?? "<unnamed>"}" is of type ${key}; use one of ${[...restrictedVolumeTypes].join(", ")}.`);
                }
            }
        }
    },
};

/** Sets allowPrivilegeEscalation: false on every container that does not set it: safe, and what the standard asks. */
function remediatePrivilegeEscalation(args: ResourceValidationArgs): Record<string, any> | undefined {
    const props = cloneData(args.props);
    const spec = podSpecOf(args.type, props);
    if (!spec || isWindowsPod(spec)) return undefined;
    let changed = false;
    for (const group of ["containers", "initContainers", "ephemeralContainers"]) {
        for (const container of Array.isArray(spec[group]) ? spec[group] : []) {
            if (!container || typeof container !== "object") continue;
            const context = (container.securityContext ??= {});
            if (context.allowPrivilegeEscalation !== false && context.privileged !== true) {
                context.allowPrivilegeEscalation = false;
                changed = true;
            }
        }
    }
    return changed ? props : undefined;
}

export const disallowPrivilegeEscalation: TrustmeshResourcePolicy = {
    name: "pss-allow-privilege-escalation",
    domain: "pod-security",
    severity: "high",
    description: "Checks that every container sets allowPrivilegeEscalation: false (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, spec, report) => {
            // Windows pods are exempt from this control in the standard.
            if (isWindowsPod(spec)) return;
            if (view.securityContext.allowPrivilegeEscalation !== false) {
                report(`${describeContainer(view)} must set securityContext.allowPrivilegeEscalation: false.`);
            }
        }, reportViolation),
    remediateResource: remediatePrivilegeEscalation,
};

export const runAsNonRoot: TrustmeshResourcePolicy = {
    name: "pss-run-as-non-root",
    domain: "pod-security",
    severity: "high",
    description: "Checks that every container runs with runAsNonRoot: true, set on the pod or the container (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, _spec, report) => {
            if (view.securityContext.runAsNonRoot !== true) {
                report(`${describeContainer(view)} must run with runAsNonRoot: true (set it in the pod's or the container's securityContext).`);
            }
        }, reportViolation),
};

export const runAsUserRoot: TrustmeshResourcePolicy = {
    name: "pss-run-as-user",
    domain: "pod-security",
    severity: "high",
    description: "Checks that no pod or container sets runAsUser: 0 (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        if (spec.securityContext?.runAsUser === 0) reportViolation("the pod sets securityContext.runAsUser: 0; use a non-zero UID.");
        for (const view of containersOf(spec)) {
            if (view.container.securityContext?.runAsUser === 0) reportViolation(`${describeContainer(view)} sets securityContext.runAsUser: 0; use a non-zero UID.`);
        }
    },
};

export const seccompRestricted: TrustmeshResourcePolicy = {
    name: "pss-seccomp-restricted",
    domain: "pod-security",
    severity: "medium",
    description: "Checks that every container runs with the seccomp profile RuntimeDefault or Localhost, set on the pod or the container (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view, spec, report) => {
            if (isWindowsPod(spec)) return;
            const type = view.securityContext.seccompProfile?.type;
            if (type !== "RuntimeDefault" && type !== "Localhost") {
                report(`${describeContainer(view)} must run with seccompProfile.type RuntimeDefault or Localhost (set it in the pod's securityContext).`);
            }
        }, reportViolation),
};

export const podSecurityPolicies: TrustmeshResourcePolicy[] = [
    // baseline
    disallowHostProcess,
    disallowHostNamespaces,
    disallowPrivileged,
    baselineCapabilitiesPolicy,
    disallowHostPath,
    disallowHostPorts,
    appArmor,
    seLinux,
    procMount,
    seccompBaseline,
    sysctls,
    // restricted
    volumeTypes,
    disallowPrivilegeEscalation,
    runAsNonRoot,
    runAsUserRoot,
    seccompRestricted,
    restrictedCapabilities,
];

/** Types these policies look at; listed so the catalogue can say what each domain covers. */
export const podSecurityTypes = workloadTypes;
