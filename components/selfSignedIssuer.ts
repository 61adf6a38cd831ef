import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { rfc1123Label } from "./names";

export interface SelfSignedIssuerArgs {
    /** ClusterIssuer name. @default "selfsigned-bootstrap" */
    issuerName?: string;
}

/**
 * A self-signed ClusterIssuer, for bootstrapping only (e.g. a CA that cert-manager itself creates, or a
 * webhook certificate before the internal CA exists). Nothing a peer must trust should come from it:
 * its certificates chain to nothing. Pass the cluster's provider and `dependsOn` the CertManager.
 */
export class SelfSignedIssuer extends pulumi.ComponentResource {
    public readonly issuerName: pulumi.Output<string>;

    constructor(name: string, args: SelfSignedIssuerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:SelfSignedIssuer", name, args, opts);
        if (args.issuerName !== undefined && !rfc1123Label.test(args.issuerName)) {
            throw new pulumi.ResourceError(`SelfSignedIssuer ${name}: issuerName "${args.issuerName}" must be a lowercase RFC 1123 name`, this);
        }
        const { issuer } = buildSelfSignedIssuer(name, args, this, opts?.dependsOn);
        this.issuerName = issuer.metadata.name;
        this.registerOutputs({ issuerName: this.issuerName });
    }
}

export function buildSelfSignedIssuer(name: string, args: SelfSignedIssuerArgs, parent: pulumi.Resource, dependsOn?: pulumi.ResourceOptions["dependsOn"]) {
    const issuer = new k8s.apiextensions.CustomResource(
        `${name}-issuer`,
        {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: {
                name: args.issuerName ?? "selfsigned-bootstrap",
                labels: { "app.kubernetes.io/managed-by": "trustmesh" },
                annotations: { "trustmesh.io/purpose": "bootstrap only: certificates from this issuer chain to nothing" },
            },
            spec: { selfSigned: {} },
        },
        { parent, dependsOn },
    );
    return { issuer };
}
