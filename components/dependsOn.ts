import * as pulumi from "@pulumi/pulumi";

/** What `ResourceOptions.dependsOn` accepts. */
export type DependsOn = pulumi.ResourceOptions["dependsOn"];

/**
 * The caller's `dependsOn` plus more resources. Children do not inherit their component's `dependsOn`,
 * so a component that must wait (an issuer for cert-manager's webhook) passes it on explicitly.
 */
export function withDependsOn(dependsOn: DependsOn, ...more: pulumi.Resource[]): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
    if (dependsOn === undefined) return more;
    if (Array.isArray(dependsOn)) return [...dependsOn, ...more];
    if (pulumi.Resource.isInstance(dependsOn)) return [dependsOn, ...more];
    return (dependsOn as pulumi.Output<pulumi.Resource | pulumi.Resource[]>).apply((deps) => [...(Array.isArray(deps) ? deps : [deps]), ...more]);
}
