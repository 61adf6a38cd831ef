import type { PolicyResource } from "@pulumi/policy";
import { clusterOf, isKind, metadataOf, podMetadataOf, podSpecOf, workloadTypes } from "./kubernetes";
import { fqdn } from "./mesh";
import type { TrustmeshStackPolicy } from "./types";
import { arr, obj } from "./values";

/**
 * Mesh injection (seed 001): a proxy that should be there and is not fails silently. istiod's webhook
 * (istio-discovery chart, mutatingwebhook.yaml) injects pods in namespaces labelled
 * `istio-injection: enabled`, and pods labelled `sidecar.istio.io/inject: "true"` where the namespace has
 * no such label; `istio-injection: disabled` stops both. A pod created before the webhook exists is
 * never injected afterwards.
 */

const injectionLabel = "istio-injection";
const podInjectLabel = "sidecar.istio.io/inject";
const chartOf = (r: PolicyResource) => String(obj(r.props).chart ?? "").split("/").pop();
const isRelease = (type: string) => /^kubernetes:helm\.sh\/v\d+:Release$/.test(type);

/** Namespace labels by `cluster|name`, for the namespaces the stack creates. */
function namespaceLabels(resources: PolicyResource[]): Map<string, Record<string, any>> {
    const labels = new Map<string, Record<string, any>>();
    for (const r of resources.filter((x) => isKind(x.type, "core", "Namespace"))) {
        const m = metadataOf(r.props);
        if (typeof m.name === "string") labels.set(`${clusterOf(r)}|${m.name}`, obj(m.labels));
    }
    return labels;
}

/** Something that runs an Istio proxy: a workload that asks for one, a gateway install, or a mesh link's backend. */
interface ProxyWorkload {
    r: PolicyResource;
    namespace: string;
    what: string;
    /** The pod label `sidecar.istio.io/inject`, when the workload sets it. */
    podInject?: string;
}

function proxyWorkloads(resources: PolicyResource[]): ProxyWorkload[] {
    const found: ProxyWorkload[] = [];
    for (const r of resources) {
        if (isRelease(r.type) && chartOf(r) === "gateway" && typeof obj(r.props).namespace === "string") {
            // The gateway chart deploys `image: auto` and labels its pods for injection.
            found.push({ r, namespace: r.props.namespace, what: `Istio gateway release "${obj(r.props).name ?? r.name}"`, podInject: "true" });
            continue;
        }
        if (!workloadTypes.includes(r.type)) continue;
        const spec = podSpecOf(r.type, r.props);
        const namespace = metadataOf(r.props).namespace;
        if (!spec || typeof namespace !== "string") continue;
        const podInject = obj(podMetadataOf(r.type, r.props).labels)[podInjectLabel];
        const name = `${r.type.split(":").pop()} "${metadataOf(r.props).name ?? r.name}"`;
        const autoImage = arr(spec.containers).some((c) => obj(c).image === "auto");
        if (autoImage) found.push({ r, namespace, what: `${name} (image: auto, a gateway filled in by injection)`, podInject });
        else if (podInject === "true") found.push({ r, namespace, what: `${name} (${podInjectLabel}: "true")`, podInject });
    }
    return found;
}

export const injectionNotDisabled: TrustmeshStackPolicy = {
    name: "mesh-injection-not-disabled",
    domain: "mesh",
    severity: "high",
    description: `Checks that no namespace running an Istio gateway, a workload that asks for a sidecar, or the backend of a Gateway route carries ${injectionLabel}: disabled.`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const labels = namespaceLabels(args.resources);
        const disabled = (cluster: string, namespace: string) => labels.get(`${cluster}|${namespace}`)?.[injectionLabel] === "disabled";
        for (const w of proxyWorkloads(args.resources)) {
            if (!disabled(clusterOf(w.r), w.namespace)) continue;
            reportViolation(
                `${w.what} runs in namespace ${w.namespace}, which is labelled ${injectionLabel}: disabled, so istiod never injects its proxy; remove the label (gateways need it absent or "enabled").`,
                w.r.urn,
            );
        }
        // A Gateway's route backend without a sidecar gets plain text from the gateway: the mTLS intent stops there.
        for (const vs of args.resources.filter((r) => isKind(r.type, "networking.istio.io", "VirtualService"))) {
            const spec = obj(vs.props?.spec);
            const namespace = metadataOf(vs.props).namespace;
            if (typeof namespace !== "string" || !arr(spec.gateways).some((g) => g !== "mesh")) continue;
            for (const proto of ["http", "tls", "tcp"]) {
                for (const route of arr(spec[proto])) {
                    for (const d of arr(obj(route).route)) {
                        const host = obj(obj(d).destination).host;
                        if (typeof host !== "string") continue;
                        const backend = /^[^.]+\.([^.]+)\.svc\.cluster\.local$/.exec(fqdn(host, namespace))?.[1];
                        if (backend && disabled(clusterOf(vs), backend)) {
                            reportViolation(
                                `VirtualService "${metadataOf(vs.props).name}" routes a Gateway to ${host}, whose namespace ${backend} is labelled ${injectionLabel}: disabled; the backend has no sidecar, so the gateway reaches it in plain text. Enable injection there.`,
                                vs.urn,
                            );
                        }
                    }
                }
            }
        }
    },
};

/** Every resource `r` waits for, directly or through what it waits for. */
function transitiveDependencies(r: PolicyResource): Set<string> {
    const seen = new Set<string>();
    const queue = [...(r.dependencies ?? [])];
    while (queue.length > 0) {
        const next = queue.pop()!;
        if (seen.has(next.urn)) continue;
        seen.add(next.urn);
        queue.push(...(next.dependencies ?? []));
    }
    return seen;
}

export const sidecarWaitsForIstiod: TrustmeshStackPolicy = {
    name: "mesh-sidecar-waits-for-istiod",
    domain: "mesh",
    severity: "high",
    description: "Checks that every workload istiod will inject (and every gateway release) waits for the istiod release of its cluster, so its first pods are not created before the injection webhook exists.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const labels = namespaceLabels(args.resources);
        const istiods = args.resources.filter((r) => isRelease(r.type) && chartOf(r) === "istiod");
        if (istiods.length === 0) return; // a managed control plane, or plain manifests: nothing to wait for here
        const injected: ProxyWorkload[] = proxyWorkloads(args.resources).filter((w) => labels.get(`${clusterOf(w.r)}|${w.namespace}`)?.[injectionLabel] !== "disabled");
        // Workloads in namespaces labelled enabled are injected unless they opt out.
        for (const r of args.resources) {
            if (!workloadTypes.includes(r.type) || injected.some((w) => w.r === r)) continue;
            const namespace = metadataOf(r.props).namespace;
            if (typeof namespace !== "string" || labels.get(`${clusterOf(r)}|${namespace}`)?.[injectionLabel] !== "enabled") continue;
            if (obj(podMetadataOf(r.type, r.props).labels)[podInjectLabel] === "false") continue;
            injected.push({ r, namespace, what: `${r.type.split(":").pop()} "${metadataOf(r.props).name ?? r.name}" (namespace ${namespace} has ${injectionLabel}: enabled)` });
        }
        for (const w of injected) {
            const istiod = istiods.find((i) => clusterOf(i) === clusterOf(w.r));
            if (!istiod || transitiveDependencies(w.r).has(istiod.urn)) continue;
            reportViolation(
                `${w.what} is injected with an Istio proxy but does not wait for istiod ("${istiod.name}"); on a first deploy its pods start before the injection webhook exists and run without a sidecar. Add the cluster's Istio component (or the istiod release) to its dependsOn.`,
                w.r.urn,
            );
        }
    },
};

/**
 * What istiod adds to a pod, judged against Pod Security `restricted` (the injection template of the
 * istio-discovery chart): the proxy and its init container carry a seccomp profile only from
 * `global.proxy.seccompProfile`, and without the CNI the `istio-init` container needs NET_ADMIN.
 */
function injectedContainerProblems(values: Record<string, any>): string[] {
    const problems: string[] = [];
    const seccomp = obj(obj(obj(values.global).proxy).seccompProfile).type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push("global.proxy.seccompProfile is not RuntimeDefault, so the injected containers have no seccomp profile unless the pod sets one");
    if (obj(obj(values.pilot).cni).enabled !== true) problems.push("pilot.cni.enabled is off, so the injected istio-init container needs NET_ADMIN and NET_RAW");
    return problems;
}

export const injectedProxyRestricted: TrustmeshStackPolicy = {
    name: "mesh-injected-proxy-restricted",
    domain: "mesh",
    severity: "high",
    description: "Checks that the containers istiod injects pass Pod Security restricted in the restricted namespaces it injects (seccomp profile from global.proxy.seccompProfile, no istio-init capabilities thanks to the CNI).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const labels = namespaceLabels(args.resources);
        for (const istiod of args.resources.filter((r) => isRelease(r.type) && chartOf(r) === "istiod")) {
            const problems = injectedContainerProblems(obj(obj(istiod.props).values));
            if (problems.length === 0) continue;
            for (const r of args.resources.filter((x) => workloadTypes.includes(x.type) && clusterOf(x) === clusterOf(istiod))) {
                const namespace = metadataOf(r.props).namespace;
                const nsLabels = labels.get(`${clusterOf(r)}|${namespace}`);
                const podInject = obj(podMetadataOf(r.type, r.props).labels)[podInjectLabel];
                const injected = nsLabels?.[injectionLabel] === "enabled" ? podInject !== "false" : nsLabels?.[injectionLabel] !== "disabled" && podInject === "true";
                if (!nsLabels || !injected || nsLabels["pod-security.kubernetes.io/enforce"] !== "restricted") continue;
                // A pod-level profile covers the injected containers too; NET_ADMIN is refused regardless.
                const podSeccomp = obj(obj(podSpecOf(r.type, r.props)?.securityContext).seccompProfile).type;
                const relevant = problems.filter((p) => !(p.startsWith("global.proxy.seccompProfile") && (podSeccomp === "RuntimeDefault" || podSeccomp === "Localhost")));
                if (relevant.length === 0) continue;
                reportViolation(
                    `${r.type.split(":").pop()} "${metadataOf(r.props).name ?? r.name}" in restricted namespace ${namespace} gets an Istio proxy that restricted refuses: ${relevant.join("; ")}. Set them in the istiod values ("${istiod.name}").`,
                    r.urn,
                );
            }
        }
    },
};

export const meshInjectionPolicies = [injectionNotDisabled, sidecarWaitsForIstiod, injectedProxyRestricted];
