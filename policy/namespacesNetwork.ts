import type { PolicyResource } from "@pulumi/policy";
import { clusterOf, isKind, metadataOf } from "./kubernetes";
import type { TrustmeshResourcePolicy, TrustmeshStackPolicy } from "./types";
import { arr, isUnknownField, obj } from "./values";

/** Namespaces and network (runtime part of seed 002): Pod Security Admission labels and default-deny NetworkPolicies. */

/** Annotation that justifies `enforce: baseline` on a namespace (what NamespaceBaseline writes). */
export const baselineReasonAnnotation = "trustmesh.io/baseline-reason";

/**
 * Namespaces that are not application namespaces: Kubernetes' and the cloud providers' own. Platform
 * namespaces trustmesh creates (cert-manager, istio-system...) are application namespaces here: they get
 * the same labels and default-deny policies.
 */
export function isSystemNamespace(name: unknown): boolean {
    return typeof name === "string" && (name === "default" || /^(kube-|gke-|gmp-|azure-|calico-|tigera-)/.test(name) || name === "kube-system");
}

const psa = "pod-security.kubernetes.io/";

export const psaEnforce: TrustmeshResourcePolicy = {
    name: "namespace-pod-security-enforce",
    domain: "namespaces-network",
    severity: "high",
    description: `Checks that every application namespace enforces Pod Security Admission "restricted", or "baseline" with a ${baselineReasonAnnotation} annotation.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "core", "Namespace")) return;
        const metadata = metadataOf(args.props);
        if (isUnknownField(metadata, "name") || isSystemNamespace(metadata.name)) return;
        const labels = obj(metadata.labels);
        if (isUnknownField(labels, `${psa}enforce`)) return;
        const level = labels[`${psa}enforce`];
        if (level === "restricted") return;
        if (level === "baseline") {
            const reason = obj(metadata.annotations)[baselineReasonAnnotation];
            if (typeof reason === "string" && reason.trim() !== "") return;
            reportViolation(`namespace enforces "baseline" without a reason; set ${psa}enforce: restricted, or annotate ${baselineReasonAnnotation}: "<why>".`);
            return;
        }
        reportViolation(`namespace has ${psa}enforce: ${level === undefined ? "<unset>" : String(level)}; set it to "restricted" (or "baseline" with a ${baselineReasonAnnotation} annotation).`);
    },
};

export const psaAuditWarn: TrustmeshResourcePolicy = {
    name: "namespace-pod-security-audit-warn",
    domain: "namespaces-network",
    severity: "low",
    description: 'Checks that every application namespace audits and warns at Pod Security "restricted", so drift shows before it is enforced.',
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "core", "Namespace")) return;
        const metadata = metadataOf(args.props);
        if (isUnknownField(metadata, "name") || isSystemNamespace(metadata.name)) return;
        const labels = obj(metadata.labels);
        for (const mode of ["audit", "warn"]) {
            if (!isUnknownField(labels, `${psa}${mode}`) && labels[`${psa}${mode}`] !== "restricted") {
                reportViolation(`namespace should set ${psa}${mode}: restricted.`);
            }
        }
    },
};

/** A NetworkPolicy that selects every pod and denies ingress and/or egress by listing no rule for it. */
export function defaultDenyDirections(props: Record<string, any>): Set<string> {
    const spec = obj(props.spec);
    const selector = obj(spec.podSelector);
    const selectsAll = Object.keys(obj(selector.matchLabels)).length === 0 && arr(selector.matchExpressions).length === 0;
    const directions = new Set<string>();
    if (!selectsAll) return directions;
    const types = arr(spec.policyTypes).map(String);
    const effective = types.length > 0 ? types : ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
    if (effective.includes("Ingress") && arr(spec.ingress).length === 0) directions.add("Ingress");
    if (effective.includes("Egress") && arr(spec.egress).length === 0) directions.add("Egress");
    return directions;
}

export const defaultDeny: TrustmeshStackPolicy = {
    name: "namespace-default-deny",
    domain: "namespaces-network",
    severity: "high",
    description: "Checks that every application namespace has a NetworkPolicy that selects all pods and denies ingress and egress by default.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const namespaces = args.resources.filter((r) => isKind(r.type, "core", "Namespace"));
        const denied = new Map<string, Set<string>>();
        let unknownNamespace = false;
        for (const r of args.resources.filter((r: PolicyResource) => isKind(r.type, "networking.k8s.io", "NetworkPolicy"))) {
            const metadata = metadataOf(r.props);
            if (typeof metadata.namespace !== "string") {
                // Unknown during preview (or left to the provider's default): never a false positive.
                unknownNamespace = true;
                continue;
            }
            const key = `${clusterOf(r)}|${metadata.namespace}`;
            const set = denied.get(key) ?? new Set<string>();
            for (const d of defaultDenyDirections(r.props)) set.add(d);
            denied.set(key, set);
        }
        if (unknownNamespace) return;
        for (const ns of namespaces) {
            const name = metadataOf(ns.props).name;
            if (typeof name !== "string" || isSystemNamespace(name)) continue;
            const set = denied.get(`${clusterOf(ns)}|${name}`) ?? new Set<string>();
            const missing = ["Ingress", "Egress"].filter((d) => !set.has(d));
            if (missing.length > 0) {
                reportViolation(
                    `namespace "${name}" has no default-deny ${missing.join(" and ")} NetworkPolicy; add one with podSelector: {} and policyTypes [${missing.join(", ")}] and no rules (NamespaceBaseline does).`,
                    ns.urn,
                );
            }
        }
    },
};

export const allowAll: TrustmeshResourcePolicy = {
    name: "network-policy-allow-all",
    domain: "namespaces-network",
    severity: "medium",
    description: "Checks that no NetworkPolicy has an empty rule, which admits traffic from or to everywhere and undoes the default deny.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "networking.k8s.io", "NetworkPolicy")) return;
        const spec = obj(args.props?.spec);
        for (const [direction, peers] of [["ingress", "from"], ["egress", "to"]] as const) {
            arr(spec[direction]).forEach((rule, i) => {
                const r = obj(rule);
                if (arr(r[peers]).length === 0 && arr(r.ports).length === 0 && !isUnknownField(r, peers)) {
                    reportViolation(`spec.${direction}[${i}] is empty and allows all ${direction}; list the ${peers} peers and ports it needs.`);
                }
                for (const peer of arr(r[peers])) {
                    if (obj(peer).ipBlock && typeof peer.ipBlock.cidr === "string" && /\/0$/.test(peer.ipBlock.cidr) && arr(peer.ipBlock.except).length === 0 && arr(r.ports).length === 0) {
                        reportViolation(`spec.${direction}[${i}] allows ${peer.ipBlock.cidr} on every port; restrict the CIDR or the ports.`);
                    }
                }
            });
        }
    },
};

export const namespacesNetworkPolicies = [psaEnforce, psaAuditWarn, defaultDeny, allowAll];
