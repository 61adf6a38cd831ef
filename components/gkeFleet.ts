import * as gkehub from "@pulumi/gcp/gkehub";
import * as pulumi from "@pulumi/pulumi";
import type { DependsOn } from "./dependsOn";
import { isProjectId } from "./gcpRules";

export interface GkeFleetArgs {
    /** Fleet host project (the cluster's project). */
    project: string;
    /** Region of the cluster. */
    clusterLocation: string;
    /** The cluster's name (GkeCluster.clusterName). */
    clusterName: pulumi.Input<string>;
    /** Membership id in the fleet. @default - the cluster name */
    membershipId?: pulumi.Input<string>;
    /**
     * Google's managed service mesh (Cloud Service Mesh) for the membership: the project's `servicemesh`
     * fleet feature and a feature membership with automatic management. Only one stack per project
     * may own the feature. @default false
     */
    managedMesh?: boolean;
}

export function validateGkeFleetArgs(args: GkeFleetArgs): string[] {
    const problems: string[] = [];
    if (!args.project) problems.push("project is required (the fleet host project id)");
    else if (!isProjectId(args.project)) problems.push(`project "${args.project}" must be a GCP project id`);
    if (!args.clusterLocation) problems.push("clusterLocation is required (the cluster's region)");
    return problems;
}

/**
 * Registers a GKE cluster in the project's fleet (GKE Hub) with fleet Workload Identity, and, when the
 * environment chooses the managed mesh, turns on the `servicemesh` feature with automatic management.
 */
export class GkeFleet extends pulumi.ComponentResource {
    public readonly membership: gkehub.Membership;
    /** The `servicemesh` feature, with managedMesh. */
    public readonly meshFeature?: gkehub.Feature;
    /** The cluster's mesh feature membership, with managedMesh. */
    public readonly meshFeatureMembership?: gkehub.FeatureMembership;
    /** The membership id. */
    public readonly membershipId: pulumi.Output<string>;
    /** The membership's full name, `projects/<p>/locations/global/memberships/<id>`. */
    public readonly membershipName: pulumi.Output<string>;

    constructor(name: string, args: GkeFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateGkeFleetArgs(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(`GkeFleet ${name}: ${problems.join("; ")}`);
        }
        super("trustmesh:index:GkeFleet", name, args, opts);
        const built = buildGkeFleet(name, args, this, opts?.dependsOn);
        this.membership = built.membership;
        this.meshFeature = built.meshFeature;
        this.meshFeatureMembership = built.meshFeatureMembership;
        this.membershipId = built.membership.membershipId;
        this.membershipName = built.membership.name;
        this.registerOutputs({ membershipId: this.membershipId, membershipName: this.membershipName });
    }
}

export function buildGkeFleet(name: string, args: GkeFleetArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    // Children do not inherit the component's dependsOn (e.g. enabled APIs, a ready cluster): pass it on.
    const opts = { parent, dependsOn };
    const { project } = args;
    const clusterPath = pulumi.interpolate`projects/${project}/locations/${args.clusterLocation}/clusters/${args.clusterName}`;

    const membership = new gkehub.Membership(
        `${name}-membership`,
        {
            project,
            location: "global",
            membershipId: args.membershipId ?? args.clusterName,
            endpoint: { gkeCluster: { resourceLink: pulumi.interpolate`//container.googleapis.com/${clusterPath}` } },
            // Fleet Workload Identity: the cluster's own OIDC issuer.
            authority: { issuer: pulumi.interpolate`https://container.googleapis.com/v1/${clusterPath}` },
            labels: { "managed-by": "trustmesh" },
        },
        opts,
    );

    if (!args.managedMesh) return { membership, meshFeature: undefined, meshFeatureMembership: undefined };

    const meshFeature = new gkehub.Feature(`${name}-servicemesh`, { project, location: "global", name: "servicemesh" }, opts);
    // Google runs and upgrades the control plane and data plane of this membership's mesh.
    const meshFeatureMembership = new gkehub.FeatureMembership(
        `${name}-servicemesh-membership`,
        {
            project,
            location: "global",
            feature: meshFeature.name,
            membership: membership.membershipId,
            membershipLocation: membership.location,
            mesh: { management: "MANAGEMENT_AUTOMATIC" },
        },
        opts,
    );
    return { membership, meshFeature, meshFeatureMembership };
}
