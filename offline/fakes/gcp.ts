import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import { addressAt } from "../../components/cidr";
import { fakeCall, fakeOutputs, stableGuid, stableHex, stableTestNetIp } from "../fakeOutputs";

// Google Cloud: what the provider computes for the network, GKE, IAM and fleet resources trustmesh
// registers. Addresses are in TEST-NET-3 (or the stack's own private ranges where GCP would use them),
// numbers and ids are derived from the resource so every run plans the same values.

const computeApi = "https://www.googleapis.com/compute/v1";

function projectOf(args: MockResourceArgs): string {
    return String(args.inputs.project ?? "trustmesh-offline");
}

function nameOf(args: MockResourceArgs): string {
    return String(args.inputs.name ?? args.name);
}

/** A stable decimal string of the given length (project numbers, unique ids). */
export function stableDigits(length: number, ...parts: string[]): string {
    let digits = "";
    for (let i = 0; digits.length < length; i++) {
        digits += BigInt(`0x${stableHex(15, ...parts, String(i))}`).toString();
    }
    return `${(parseInt(digits[0]!, 10) % 9) + 1}${digits.slice(1, length)}`;
}

/** The n-th address of a CIDR block (n = 1 is the first host). */
function addressIn(block: string, n: number): string {
    return addressAt(block, n);
}

/**
 * A base64 PEM certificate, as GKE reports its cluster CA. Its body is stable filler, not a parseable
 * certificate: nothing offline connects to the cluster.
 */
export function fakeCaCertificate(...parts: string[]): string {
    let hex = "";
    for (let i = 0; hex.length < 1200; i++) hex += stableHex(64, "gke-ca", ...parts, String(i));
    const body = Buffer.from(`3082${hex}`, "hex").toString("base64");
    const lines = body.match(/.{1,64}/g) ?? [];
    const pem = ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n");
    return Buffer.from(pem).toString("base64");
}

fakeOutputs("gcp:compute/network:Network", (args) => ({
    name: nameOf(args),
    selfLink: `${computeApi}/projects/${projectOf(args)}/global/networks/${nameOf(args)}`,
    numericId: stableDigits(19, "network", projectOf(args), nameOf(args)),
}));

fakeOutputs("gcp:compute/subnetwork:Subnetwork", (args) => {
    const range = String(args.inputs.ipCidrRange ?? "10.0.0.0/24");
    return {
        name: nameOf(args),
        selfLink: `${computeApi}/projects/${projectOf(args)}/regions/${args.inputs.region}/subnetworks/${nameOf(args)}`,
        gatewayAddress: addressIn(range, 1),
        fingerprint: stableHex(16, "subnet", nameOf(args)),
    };
});

fakeOutputs("gcp:compute/router:Router", (args) => ({
    name: nameOf(args),
    selfLink: `${computeApi}/projects/${projectOf(args)}/regions/${args.inputs.region}/routers/${nameOf(args)}`,
    creationTimestamp: "2026-01-01T00:00:00.000-00:00",
}));

fakeOutputs("gcp:compute/routerNat:RouterNat", (args) => ({ name: nameOf(args) }));

fakeOutputs("gcp:compute/firewall:Firewall", (args) => ({
    name: nameOf(args),
    selfLink: `${computeApi}/projects/${projectOf(args)}/global/firewalls/${nameOf(args)}`,
}));

fakeOutputs("gcp:container/cluster:Cluster", (args) => {
    const project = projectOf(args);
    const name = nameOf(args);
    const location = String(args.inputs.location ?? "europe-west1");
    const privateConfig = (args.inputs.privateClusterConfig ?? {}) as Record<string, unknown>;
    const masterCidr = typeof privateConfig.masterIpv4CidrBlock === "string" ? privateConfig.masterIpv4CidrBlock : "172.16.0.0/28";
    const publicEndpoint = stableTestNetIp("gke-endpoint", project, name);
    const privateEndpoint = addressIn(masterCidr, 2);
    const masterAuth = (args.inputs.masterAuth ?? {}) as Record<string, unknown>;
    const endpointsConfig = (args.inputs.controlPlaneEndpointsConfig ?? {}) as { dnsEndpointConfig?: Record<string, unknown> };
    return {
        name,
        location,
        // With the private endpoint on, GKE reports the private address as the endpoint.
        endpoint: privateConfig.enablePrivateEndpoint === true ? privateEndpoint : publicEndpoint,
        privateClusterConfig: { ...privateConfig, privateEndpoint, publicEndpoint, peeringName: `gke-n${stableHex(17, "peering", name)}-peer` },
        // GKE assigns every cluster a DNS endpoint, whether or not it takes external traffic.
        controlPlaneEndpointsConfig: {
            ...endpointsConfig,
            dnsEndpointConfig: { ...(endpointsConfig.dnsEndpointConfig ?? {}), endpoint: `gke-${stableHex(32, "dns-endpoint", project, name)}-${parseInt(stableHex(8, "project-number", project), 16)}.${location}.gke.goog` },
        },
        masterAuth: { ...masterAuth, clusterCaCertificate: fakeCaCertificate(project, location, name) },
        masterVersion: "1.33.5-gke.1162000",
        selfLink: `https://container.googleapis.com/v1/projects/${project}/locations/${location}/clusters/${name}`,
        labelFingerprint: stableHex(8, "labels", name),
    };
});

fakeOutputs("gcp:container/nodePool:NodePool", (args) => {
    const project = projectOf(args);
    const name = nameOf(args);
    const zones = Array.isArray(args.inputs.nodeLocations) ? (args.inputs.nodeLocations as string[]) : [`${args.inputs.location}-b`];
    const groups = zones.map((zone) => `${computeApi}/projects/${project}/zones/${zone}/instanceGroupManagers/gke-${name}-${stableHex(8, "mig", name, zone)}-grp`);
    return { name, version: "1.33.5-gke.1162000", instanceGroupUrls: groups, managedInstanceGroupUrls: groups };
});

fakeOutputs("gcp:serviceaccount/account:Account", (args) => {
    const project = projectOf(args);
    const email = `${args.inputs.accountId}@${project}.iam.gserviceaccount.com`;
    return {
        email,
        member: `serviceAccount:${email}`,
        name: `projects/${project}/serviceAccounts/${email}`,
        uniqueId: stableDigits(21, "service-account", email),
    };
});

const etag = (args: MockResourceArgs) => ({ etag: `BwY${stableHex(10, "etag", args.type, args.name)}=` });
fakeOutputs("gcp:projects/iAMMember:IAMMember", etag);
fakeOutputs("gcp:serviceaccount/iAMMember:IAMMember", etag);
fakeOutputs("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", etag);

fakeOutputs("gcp:gkehub/membership:Membership", (args) => {
    const project = projectOf(args);
    const location = String(args.inputs.location ?? "global");
    const id = String(args.inputs.membershipId);
    return {
        location,
        name: `projects/${project}/locations/${location}/memberships/${id}`,
        uniqueId: stableGuid("membership", project, id),
        authority: { ...((args.inputs.authority ?? {}) as object), workloadIdentityPool: `${project}.svc.id.goog`, identityProvider: (args.inputs.authority as { issuer?: string } | undefined)?.issuer },
    };
});

fakeOutputs("gcp:gkehub/feature:Feature", (args) => ({
    name: nameOf(args),
    resourceStates: [{ state: "ACTIVE", hasResources: false }],
    createTime: "2026-01-01T00:00:00Z",
}));

fakeOutputs("gcp:gkehub/featureMembership:FeatureMembership", () => ({}));

// The project number GKE's service agents are named after.
fakeCall("gcp:organizations/getProject:getProject", (args) => {
    const projectId = String(args.inputs.projectId ?? "trustmesh-offline");
    return { id: `projects/${projectId}`, projectId, number: stableDigits(12, "project", projectId), name: projectId, labels: {} };
});
