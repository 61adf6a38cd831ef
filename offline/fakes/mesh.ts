import { fakeOutputs, stableTestNetIp } from "../fakeOutputs";

// The mesh's reserved ingress IPs: a TEST-NET-3 address per resource, stable across runs.
fakeOutputs("gcp:compute/address:Address", (args) => ({
    address: stableTestNetIp("gcp-address", args.name),
    selfLink: `https://www.googleapis.com/compute/v1/projects/${args.inputs.project}/regions/${args.inputs.region}/addresses/${args.inputs.name ?? args.name}`,
}));

fakeOutputs("azure-native:network:PublicIPAddress", (args) => ({
    ipAddress: stableTestNetIp("azure-public-ip", args.name),
    name: args.inputs.publicIpAddressName ?? args.name,
    provisioningState: "Succeeded",
}));
