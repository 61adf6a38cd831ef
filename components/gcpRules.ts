/**
 * The rules of Google Cloud that trustmesh checks before registering anything: GKE address ranges,
 * IAM role and service account names. Plain functions with no Pulumi imports, shared by the components
 * and the stack config schema.
 */
import { createHash } from "node:crypto";
import { cidrContains, cidrsOverlap, isCanonicalCidr, prefixLength } from "./cidr";

/** The address ranges of a VPC-native GKE cluster. */
export interface GkeRanges {
    /** Primary range of the node subnet. */
    nodesCidr: string;
    /** Secondary range pods take their addresses from. */
    podsCidr: string;
    /** Secondary range Services take their cluster IPs from. */
    servicesCidr: string;
    /** The /28 the private control plane is peered into. */
    masterCidr: string;
}

/**
 * The smallest block (largest prefix) each range may be. Pods get a /24 per node out of their range,
 * so a /21 is 8 nodes; a /24 of Services is 256 cluster IPs; GKE wants the control plane in a /28.
 */
export const gkeRangeLimits = { nodesCidr: 29, podsCidr: 21, servicesCidr: 24 } as const;
export const gkeMasterPrefix = 28;

const rfc1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** True when the block lies inside one of the RFC 1918 private ranges. */
export function isRfc1918(block: string): boolean {
    return rfc1918.some((range) => cidrContains(range, block));
}

/**
 * The problems among the ranges that are valid CIDRs, each tied to its field: a range too small, a
 * control plane range that is not a private /28, two ranges that overlap. Missing or malformed ranges
 * are left to the caller (a schema or the component's own checks) so each is reported once.
 */
export function gkeRangeProblems(ranges: Partial<GkeRanges>): Array<{ field: keyof GkeRanges; message: string }> {
    const problems: Array<{ field: keyof GkeRanges; message: string }> = [];
    const fields: Array<keyof GkeRanges> = ["nodesCidr", "podsCidr", "servicesCidr", "masterCidr"];
    const valid = fields.filter((field) => !!ranges[field] && isCanonicalCidr(ranges[field]!));
    for (const field of valid) {
        const value = ranges[field]!;
        const prefix = prefixLength(value);
        if (field === "masterCidr") {
            if (prefix !== gkeMasterPrefix) problems.push({ field, message: `"${value}" must be exactly a /${gkeMasterPrefix} (GKE's control plane range)` });
            else if (!isRfc1918(value)) problems.push({ field, message: `"${value}" must be in an RFC 1918 private range (10/8, 172.16/12, 192.168/16)` });
            continue;
        }
        const limit = gkeRangeLimits[field];
        if (prefix > limit) {
            problems.push({ field, message: `"${value}" is too small: use at least a /${limit}` });
        }
    }
    for (let i = 0; i < valid.length; i++) {
        for (let j = i + 1; j < valid.length; j++) {
            const a = valid[i]!;
            const b = valid[j]!;
            if (cidrsOverlap(ranges[a]!, ranges[b]!)) {
                problems.push({ field: b, message: `"${ranges[b]}" overlaps ${a} (${ranges[a]}); the ranges must be disjoint` });
            }
        }
    }
    return problems;
}

/** The widest authorized network accepted: splitting 0.0.0.0/0 into halves is no way around the rule. */
export const minAuthorizedNetworkPrefix = 8;

/** Basic roles that grant everything in a project: never handed to a workload or a node. */
export const primitiveRoles = ["roles/owner", "roles/editor", "roles/viewer"];

/** A predefined role (`roles/...`) or a custom role of a project or organization. */
const rolePattern = /^(roles\/[a-zA-Z0-9_.]+|projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/roles\/[a-zA-Z0-9_.]+|organizations\/\d+\/roles\/[a-zA-Z0-9_.]+)$/;

/** The problem with an IAM role name, or undefined when it may be granted. */
export function roleProblem(role: string): string | undefined {
    if (primitiveRoles.includes(role)) {
        return `role "${role}" is a primitive role and is refused: grant the predefined roles the workload needs (e.g. roles/storage.objectViewer)`;
    }
    if (!rolePattern.test(role)) {
        return `role "${role}" is not an IAM role name: use roles/<name>, projects/<project>/roles/<name> or organizations/<id>/roles/<name>`;
    }
    return undefined;
}

const accountIdPattern = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

/** True for a valid service account id (the part of the email before `@`): 6-30 characters. */
export function isServiceAccountId(id: string): boolean {
    return accountIdPattern.test(id);
}

/**
 * A service account id derived from a logical name: lowercased, invalid characters replaced, padded to
 * six characters and, when longer than 30, cut with a short hash so two long names stay distinct.
 */
export function serviceAccountIdFor(name: string): string {
    let id = name.toLowerCase().replace(/[^-a-z0-9]/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "");
    if (id.length === 0) id = "sa";
    if (id.length < 6) id = `${id}-sa`.padEnd(6, "0");
    if (id.length > 30) {
        const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
        id = `${id.slice(0, 23).replace(/-+$/, "")}-${hash}`;
    }
    return id;
}

/** The email of a service account created in a project. */
export function serviceAccountEmail(accountId: string, project: string): string {
    return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** The GKE workload identity pool of a project. */
export function workloadIdentityPool(project: string): string {
    return `${project}.svc.id.goog`;
}

/** The IAM principal a Kubernetes ServiceAccount takes through GKE Workload Identity. */
export function workloadIdentityMember(pool: string, namespace: string, serviceAccountName: string): string {
    return `serviceAccount:${pool}[${namespace}/${serviceAccountName}]`;
}

/** The GCP project id rule. */
export function isProjectId(project: string): boolean {
    return /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(project);
}
