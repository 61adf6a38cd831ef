// The environment program as the e2e run deploys it to the local API servers: stacks/ unchanged, plus
// one resource transform that turns off the kubernetes provider's readiness wait (`pulumi.com/skipAwait`)
// on the objects whose readiness needs what the local clusters do not have. There is no kubelet, so a
// Deployment's pods never run and never become ready, and a Service's selected pods never become
// endpoints: awaited, each would hold `pulumi up` until the provider's 10-minute timeout. Everything
// else (namespaces, policies, issuers, certificates, Istio objects, deletion) keeps the provider's own
// await. Only the e2e workspace's Pulumi.yaml names this file; a user's deployment never runs it.
import * as pulumi from "@pulumi/pulumi";

/** Kinds whose readiness is pods running: nothing runs them on the local clusters. */
const kindsAwaitingPods = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet", "kubernetes:core/v1:Service"]);

function skipAwaitOnPodBackedKinds(args: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined {
    if (!kindsAwaitingPods.has(args.type)) return undefined;
    const metadata = (args.props.metadata ?? {}) as Record<string, unknown>;
    const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
    return { props: { ...args.props, metadata: { ...metadata, annotations: { ...annotations, "pulumi.com/skipAwait": "true" } } }, opts: args.opts };
}

pulumi.runtime.registerResourceTransform(skipAwaitOnPodBackedKinds);

// Loaded after the transform is registered, so it applies to every resource the program registers.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export = require("../../stacks");
