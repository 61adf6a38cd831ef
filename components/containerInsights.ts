import * as monitor from "@pulumi/azure-native/monitor";
import type * as pulumi from "@pulumi/pulumi";

/** The stream Container Insights' default collection writes (logs, inventory, performance, events). */
export const containerInsightsStream = "Microsoft-ContainerInsights-Group-Default";
/** The association name the monitoring add-on looks for on the cluster. */
export const containerInsightsAssociationName = "ContainerInsightsExtension";

export interface ContainerInsightsRuleArgs {
    /** The AKS cluster's ARM id: the association's scope. */
    clusterId: pulumi.Input<string>;
    /** Cluster name, part of the rule name (`MSCI-<location>-<cluster>`, as `az aks enable-addons` names it). */
    clusterName: string;
    location: string;
    resourceGroupName: pulumi.Input<string>;
    /** Log Analytics workspace the data goes to. */
    workspaceId: pulumi.Input<string>;
    tags?: Record<string, string>;
}

/**
 * The Data Collection Rule Container Insights needs when its agent authenticates with its managed
 * identity (`useAADAuth`): the agent asks Azure Monitor which rules are associated with its cluster
 * and collects nothing without one. The rule sends the default stream (ContainerLogV2, inventory,
 * performance, events) to the workspace every minute; the association ties it to the cluster.
 */
export function buildContainerInsightsRule(name: string, args: ContainerInsightsRuleArgs, opts: pulumi.CustomResourceOptions) {
    const destination = "ciworkspace";
    const rule = new monitor.DataCollectionRule(
        `${name}-container-insights-dcr`,
        {
            dataCollectionRuleName: `MSCI-${args.location}-${args.clusterName}`,
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            kind: "Linux",
            description: `Container Insights for AKS cluster ${args.clusterName} (trustmesh)`,
            tags: args.tags,
            dataSources: {
                extensions: [
                    {
                        name: "ContainerInsightsExtension",
                        extensionName: "ContainerInsights",
                        streams: [containerInsightsStream],
                        extensionSettings: { dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } },
                    },
                ],
            },
            destinations: { logAnalytics: [{ name: destination, workspaceResourceId: args.workspaceId }] },
            dataFlows: [{ streams: [containerInsightsStream], destinations: [destination] }],
        },
        opts,
    );
    const association = new monitor.DataCollectionRuleAssociation(
        `${name}-container-insights-dcra`,
        {
            associationName: containerInsightsAssociationName,
            resourceUri: args.clusterId,
            dataCollectionRuleId: rule.id,
            description: "Ties the cluster's Container Insights agent to its collection rule",
        },
        opts,
    );
    return { rule, association };
}
