import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";

/**
 * For a platform component installed outside the stack (GitOps, a managed add-on such as the GKE
 * managed mesh): reads each CustomResourceDefinition the stack's own objects need, by name, from
 * the cluster. A missing one fails the preview before anything is created, with the CRD's name in
 * the resource name (`<name>-requires-<crd>`) and the provider's "not found" error. The reads are
 * what the stack's objects then wait for, in place of the Helm release.
 */
export function requireCrds(name: string, crdNames: string[], parent: pulumi.Resource, dependsOn?: DependsOn): k8s.apiextensions.v1.CustomResourceDefinition[] {
    return crdNames.map((crd) => k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-requires-${crd}`, crd, { parent, dependsOn }));
}

/** The CRDs trustmesh's own objects use, by the platform component that installs them. */
export const platformCrds = {
    certManager: ["certificates.cert-manager.io", "clusterissuers.cert-manager.io"],
    trustManager: ["bundles.trust.cert-manager.io"],
    istio: [
        "gateways.networking.istio.io",
        "virtualservices.networking.istio.io",
        "destinationrules.networking.istio.io",
        "serviceentries.networking.istio.io",
        "peerauthentications.security.istio.io",
    ],
} as const;
