import { fakeOutputs, stableHex, stableTestNetIp } from "../fakeOutputs";

// The mesh's reserved ingress IPs: a TEST-NET-3 address per resource, stable across runs.
fakeOutputs("gcp:compute/address:Address", (args) => ({
    address: stableTestNetIp("gcp-address", args.name),
    selfLink: `https://www.googleapis.com/compute/v1/projects/${args.inputs.project}/regions/${args.inputs.region}/addresses/${args.inputs.name ?? args.name}`,
}));

// Reserved ingress IPs and the AKS outbound IPs; the ARM id lets a check follow the cluster's reference.
fakeOutputs("azure-native:network:PublicIPAddress", (args) => {
    const name = args.inputs.publicIpAddressName ?? `${args.name}-${stableHex(6, args.name)}`;
    return {
        ipAddress: stableTestNetIp("azure-public-ip", args.name),
        name,
        provisioningState: "Succeeded",
        id: `/subscriptions/00000000-0000-4000-a000-000000000000/resourceGroups/${args.inputs.resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/${name}`,
    };
});
