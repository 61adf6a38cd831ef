import { isKind, metadataOf } from "./kubernetes";
import type { TrustmeshResourcePolicy } from "./types";
import { arr, obj } from "./values";

/** Exposure (deploy part of seed 002): what the cluster exposes and how. */

/** Label or annotation that marks a Service as a mesh gateway allowed to be a LoadBalancer. */
export const gatewayMarker = "trustmesh.io/gateway";
/** `istio` label values of the Istio gateway charts. */
const istioGatewayLabels = new Set(["ingressgateway", "eastwestgateway", "ingress", "ingress-gateway"]);

function isService(type: string) {
    return isKind(type, "core", "Service");
}

/** True when the Service is an allowed gateway: label `trustmesh.io/gateway: "true"`, the same annotation, or an Istio ingress gateway label. */
export function isGatewayService(props: Record<string, any>): boolean {
    const metadata = metadataOf(props);
    const labels = obj(metadata.labels);
    const annotations = obj(metadata.annotations);
    if (labels[gatewayMarker] === "true" || annotations[gatewayMarker] === "true") return true;
    if (typeof labels.istio === "string" && istioGatewayLabels.has(labels.istio)) return true;
    return false;
}

export const loadBalancerGatewaysOnly: TrustmeshResourcePolicy = {
    name: "exposure-load-balancer-gateways-only",
    domain: "exposure",
    severity: "high",
    description: `Checks that only mesh gateways (label ${gatewayMarker}: "true" or an Istio ingress gateway label) are LoadBalancer Services.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isService(args.type) || obj(args.props?.spec).type !== "LoadBalancer") return;
        if (!isGatewayService(args.props)) {
            reportViolation(`Service is type LoadBalancer but is not a gateway; use ClusterIP behind the Istio ingress gateway, or label it ${gatewayMarker}: "true" if it is one.`);
        }
    },
};

export const noNodePort: TrustmeshResourcePolicy = {
    name: "exposure-no-node-port",
    domain: "exposure",
    severity: "high",
    description: "Checks that no Service is of type NodePort, which opens a port on every node.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (isService(args.type) && obj(args.props?.spec).type === "NodePort") {
            reportViolation("Service is type NodePort; use ClusterIP behind the gateway instead.");
        }
    },
};

export const noExternalIps: TrustmeshResourcePolicy = {
    name: "exposure-no-external-ips",
    domain: "exposure",
    severity: "high",
    description: "Checks that no Service sets externalIPs, which can intercept traffic to any address (CVE-2020-8554).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (isService(args.type) && arr(obj(args.props?.spec).externalIPs).length > 0) {
            reportViolation("Service sets spec.externalIPs; remove them and expose it through the gateway.");
        }
    },
};

export const noExternalName: TrustmeshResourcePolicy = {
    name: "exposure-no-external-name",
    domain: "exposure",
    severity: "low",
    description: "Checks that no Service is of type ExternalName, which lets a namespace alias any host (CVE-2021-25740); use an Istio ServiceEntry.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
        if (isService(args.type) && obj(args.props?.spec).type === "ExternalName") {
            reportViolation("Service is type ExternalName; declare the external host with an Istio ServiceEntry instead.");
        }
    },
};

export const ingressTls: TrustmeshResourcePolicy = {
    name: "exposure-ingress-tls",
    domain: "exposure",
    severity: "high",
    description: "Checks that every Ingress terminates TLS for every host it routes.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "networking.k8s.io", "Ingress")) return;
        const spec = obj(args.props?.spec);
        const tls = arr(spec.tls);
        if (tls.length === 0) {
            reportViolation("Ingress has no spec.tls; add a TLS section with a certificate Secret for its hosts (cert-manager can issue it).");
            return;
        }
        const covered = new Set(tls.flatMap((t) => arr(obj(t).hosts)).map(String));
        for (const rule of arr(spec.rules)) {
            const host = obj(rule).host;
            if (typeof host === "string" && !covered.has(host)) reportViolation(`Ingress routes host ${host} without TLS; add it to spec.tls[].hosts.`);
        }
    },
};

export const exposurePolicies = [loadBalancerGatewaysOnly, noNodePort, noExternalIps, noExternalName, ingressTls];
