import { containersOf, describeContainer, podSpecOf, workloadTypes } from "./kubernetes";
import type { TrustmeshResourcePolicy } from "./types";

/** Pod Security Standards (baseline and restricted) over Pods and every pod template. */

export const disallowPrivileged: TrustmeshResourcePolicy = {
    name: "pss-privileged",
    domain: "pod-security",
    severity: "critical",
    description: "Checks that no container runs privileged (Pod Security Standards baseline).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const view of containersOf(podSpecOf(args.type, args.props))) {
            if (view.securityContext.privileged === true) {
                reportViolation(`${describeContainer(view)} sets securityContext.privileged: true; remove it or set it to false.`);
            }
        }
    },
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

export const disallowPrivilegeEscalation: TrustmeshResourcePolicy = {
    name: "pss-allow-privilege-escalation",
    domain: "pod-security",
    severity: "high",
    description: "Checks that every container sets allowPrivilegeEscalation: false (Pod Security Standards restricted).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const view of containersOf(podSpecOf(args.type, args.props))) {
            // Windows pods are exempt from this control in the standard.
            if (podSpecOf(args.type, args.props)?.os?.name === "windows") continue;
            if (view.securityContext.allowPrivilegeEscalation !== false) {
                reportViolation(`${describeContainer(view)} must set securityContext.allowPrivilegeEscalation: false.`);
            }
        }
    },
};

export const podSecurityPolicies: TrustmeshResourcePolicy[] = [disallowPrivileged, disallowHostNamespaces, disallowPrivilegeEscalation];

/** Types these policies look at; listed so the catalogue can say what each domain covers. */
export const podSecurityTypes = workloadTypes;
