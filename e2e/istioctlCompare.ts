// What `istioctl analyze` says about mesh objects next to what the trustmesh pack says about the same
// objects. Pure functions: the e2e run feeds them istioctl's JSON and `check`'s violations.

/** One message of `istioctl analyze -o json`. */
export interface IstioctlMessage {
    code: string;
    level: string;
    message: string;
    /** `<Kind> <namespace>/<name>` (or `<Kind> <name>` for cluster-scoped objects). */
    origin: string;
}

/** A trustmesh violation on one object, as `check --json` writes it. */
export interface TrustmeshFinding {
    policy: string;
    kind: string | null;
    namespace: string | null;
    name: string | null;
}

/**
 * The trustmesh policies that judge what each istioctl code reports, on the same object. A message is
 * matched when one of them fires on the object istioctl names.
 */
export const coveredBy: Record<string, readonly string[]> = {
    // ReferencedResourceNotFound: a VirtualService's gateway, a host+subset or mirror+subset, a Gateway's
    // selector or credential.
    IST0101: ["mesh-virtual-service-gateways-exist", "mesh-destination-rule-subsets-exist", "mesh-gateway-selector-matches", "mesh-credential-name-resolves"],
    // NoServerCertificateVerificationDestinationLevel / PortLevel.
    IST0128: ["mesh-destination-rule-verifies-server"],
    IST0129: ["mesh-destination-rule-verifies-server"],
};

/** istioctl codes trustmesh does not check on purpose, with the reason (the README repeats this list). */
export const notCovered: Record<string, string> = {
    IST0132:
        "VirtualServiceHostNotFoundInGateway: follows from a VirtualService bound to a Gateway that does not exist or serves other hosts; trustmesh reports the missing Gateway (mesh-virtual-service-gateways-exist), not the host list of a Gateway it cannot see.",
    IST0134:
        "ServiceEntryAddressesRequired: depends on the mesh config (DNS capture with address auto-allocation), which plain manifests do not carry; trustmesh's istiod turns both on, and the e2e run passes that mesh config to istioctl.",
};

/** `Kind namespace/name` of an object, as istioctl names origins. */
export function originOf(kind: string | null, namespace: string | null, name: string | null): string {
    return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

export interface FixtureComparison {
    file: string;
    /** Codes istioctl gave, sorted, one per message. */
    istioctl: string[];
    /** Mesh policies trustmesh reported, sorted and unique. */
    trustmesh: string[];
    /** istioctl messages (`CODE origin`) that no trustmesh policy matched and that are not documented as not covered. */
    unmatched: string[];
}

export function compareFindings(file: string, messages: IstioctlMessage[], findings: TrustmeshFinding[]): FixtureComparison {
    const policiesOn = new Map<string, Set<string>>();
    for (const f of findings) {
        const origin = originOf(f.kind, f.namespace, f.name);
        policiesOn.set(origin, (policiesOn.get(origin) ?? new Set()).add(f.policy));
    }
    const unmatched = messages
        .filter((m) => !(m.code in notCovered))
        .filter((m) => !(coveredBy[m.code] ?? []).some((policy) => policiesOn.get(m.origin)?.has(policy)))
        .map((m) => `${m.code} ${m.origin}`);
    return {
        file,
        istioctl: messages.map((m) => m.code).sort(),
        trustmesh: [...new Set(findings.map((f) => f.policy).filter((p) => p.startsWith("mesh-")))].sort(),
        unmatched,
    };
}

/** Parses `istioctl analyze -o json` output (an array of messages, maybe after log lines; empty output is none). */
export function parseIstioctlJson(stdout: string): IstioctlMessage[] {
    // istioctl logs mesh-config warnings on stdout before the JSON: start at the array.
    const start = stdout.search(/^\[/m);
    const text = start < 0 ? stdout.trim() : stdout.slice(start).trim();
    if (text === "") return [];
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) throw new Error(`istioctl analyze -o json: expected an array, got ${text.slice(0, 200)}`);
    return parsed.map((m: Record<string, unknown>) => ({ code: String(m.code), level: String(m.level), message: String(m.message), origin: String(m.origin) }));
}
