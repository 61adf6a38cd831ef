import type { PolicyResource } from "@pulumi/policy";
import { clusterOf, isKind, metadataOf, podMetadataOf, podSpecOf, workloadTypes } from "./kubernetes";
import type { TrustmeshResourcePolicy, TrustmeshStackPolicy } from "./types";
import { arr, isUnknownField, obj, packConfig, packConfigSchema } from "./values";

/**
 * Mesh (seed 001): Istio `security.istio.io` and `networking.istio.io` objects, any served version
 * (v1, v1beta1, v1alpha3). Resource checks judge one object; stack checks resolve references between
 * them in the spirit of `istioctl analyze`. A reference whose namespace is unknown is never reported.
 */

const kind = (type: string, k: string) => isKind(type, "networking.istio.io", k);
/** Annotation (or label) that marks a Gateway as carrying a cross-cluster link: every server must be MUTUAL. */
export const crossClusterMarker = "trustmesh.io/cross-cluster";

export const peerAuthenticationStrict: TrustmeshResourcePolicy = {
    name: "mesh-peer-authentication-strict",
    domain: "mesh",
    severity: "high",
    description: "Checks that no PeerAuthentication sets mTLS mode DISABLE or PERMISSIVE in prod (plain text between workloads).",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        if (!isKind(args.type, "security.istio.io", "PeerAuthentication") || packConfig(args.getConfig).environment !== "prod") return;
        const spec = obj(args.props?.spec);
        const weak = (mode: unknown) => mode === "DISABLE" || mode === "PERMISSIVE";
        if (weak(obj(spec.mtls).mode)) reportViolation(`spec.mtls.mode is ${spec.mtls.mode}; prod requires STRICT.`);
        for (const [port, setting] of Object.entries(obj(spec.portLevelMtls))) {
            if (weak(obj(setting).mode)) reportViolation(`spec.portLevelMtls[${port}].mode is ${(setting as any).mode}; prod requires STRICT.`);
        }
    },
};

/** True for a host inside the cluster (`svc`, `svc.ns`, `*.svc.cluster.local`, `*.local`). */
export function isInternalHost(host: unknown): boolean {
    if (typeof host !== "string") return true;
    return !host.includes(".") || /\.svc(\.cluster\.local)?$/.test(host) || host.endsWith(".local") || /^[^.]+\.[^.]+$/.test(host) && !/\.(com|net|org|io|dev|cloud|es|eu)$/.test(host);
}

/** Every TLS setting of a DestinationRule: the top level, per port, and per subset. */
function destinationRuleTls(spec: Record<string, any>): { where: string; tls: Record<string, any> }[] {
    const out: { where: string; tls: Record<string, any> }[] = [];
    const add = (policy: unknown, where: string) => {
        const p = obj(policy);
        if (p.tls) out.push({ where: `${where}.tls`, tls: obj(p.tls) });
        arr(p.portLevelSettings).forEach((s, i) => {
            if (obj(s).tls) out.push({ where: `${where}.portLevelSettings[${i}].tls`, tls: obj(s.tls) });
        });
    };
    add(spec.trafficPolicy, "spec.trafficPolicy");
    arr(spec.subsets).forEach((s, i) => add(obj(s).trafficPolicy, `spec.subsets[${i}].trafficPolicy`));
    return out;
}

export const destinationRuleTlsDisable: TrustmeshResourcePolicy = {
    name: "mesh-destination-rule-tls-external",
    domain: "mesh",
    severity: "high",
    description: "Checks that no DestinationRule disables TLS (tls.mode DISABLE) towards a host outside the cluster.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!kind(args.type, "DestinationRule")) return;
        const spec = obj(args.props?.spec);
        if (isInternalHost(spec.host)) return;
        for (const { where, tls } of destinationRuleTls(spec)) {
            if (tls.mode === "DISABLE") reportViolation(`${where}.mode is DISABLE for external host ${spec.host}; use SIMPLE or MUTUAL.`);
        }
    },
};

export const destinationRuleVerifiesServer: TrustmeshResourcePolicy = {
    name: "mesh-destination-rule-verifies-server",
    domain: "mesh",
    severity: "high",
    description:
        "Checks that every SIMPLE or MUTUAL TLS setting of a DestinationRule can verify the server: caCertificates, or a credentialName (whose Secret carries ca.crt) on a rule with a workloadSelector naming the proxies that can read it (istioctl analyze IST0128/IST0129).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!kind(args.type, "DestinationRule")) return;
        const spec = obj(args.props?.spec);
        if (isUnknownField(spec, "workloadSelector")) return;
        const selected = Object.keys(obj(obj(spec.workloadSelector).matchLabels)).length > 0;
        for (const { where, tls } of destinationRuleTls(spec)) {
            if (tls.mode !== "SIMPLE" && tls.mode !== "MUTUAL") continue;
            if (isUnknownField(tls, "caCertificates") || isUnknownField(tls, "credentialName")) continue;
            const hasCa = typeof tls.caCertificates === "string" && tls.caCertificates !== "";
            const hasCredential = typeof tls.credentialName === "string" && tls.credentialName !== "";
            if (hasCa || (hasCredential && selected)) continue;
            reportViolation(
                hasCredential
                    ? `${where} takes its CA from credentialName ${tls.credentialName}, but the rule has no spec.workloadSelector: sidecars cannot read credentialName and would not verify ${spec.host}; select the gateway that originates TLS.`
                    : `${where}.mode is ${tls.mode} with no caCertificates or credentialName: the server certificate of ${spec.host} is not verified; add the CA.`,
            );
        }
    },
};

export const mutualCredential: TrustmeshResourcePolicy = {
    name: "mesh-mutual-credential-name",
    domain: "mesh",
    severity: "high",
    description: "Checks that every MUTUAL TLS setting (DestinationRule and Gateway) takes its keys from a Secret with credentialName, not files baked into the proxy.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const settings: { where: string; tls: Record<string, any> }[] = [];
        if (kind(args.type, "DestinationRule")) settings.push(...destinationRuleTls(obj(args.props?.spec)));
        if (kind(args.type, "Gateway")) {
            arr(obj(args.props?.spec).servers).forEach((s, i) => {
                if (obj(s).tls) settings.push({ where: `spec.servers[${i}].tls`, tls: obj(s.tls) });
            });
        }
        for (const { where, tls } of settings) {
            if (tls.mode !== "MUTUAL" || isUnknownField(tls, "credentialName")) continue;
            if (typeof tls.credentialName !== "string" || tls.credentialName === "") {
                reportViolation(`${where} is MUTUAL without credentialName; name the Secret (issued by cert-manager) that holds the key, certificate and CA.`);
            }
        }
    },
};

function isCrossClusterGateway(props: Record<string, any>): boolean {
    const metadata = metadataOf(props);
    return obj(metadata.annotations)[crossClusterMarker] === "true" || obj(metadata.labels)[crossClusterMarker] === "true";
}

export const gatewayMutual: TrustmeshResourcePolicy = {
    name: "mesh-cross-cluster-gateway-mutual",
    domain: "mesh",
    severity: "critical",
    description: `Checks that cross-cluster Gateway ports (protocol TLS, or any port of a Gateway marked ${crossClusterMarker}) use MUTUAL or ISTIO_MUTUAL TLS.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!kind(args.type, "Gateway")) return;
        const crossCluster = isCrossClusterGateway(args.props);
        arr(obj(args.props?.spec).servers).forEach((s, i) => {
            const server = obj(s);
            const protocol = obj(server.port).protocol;
            if (protocol !== "TLS" && !(crossCluster && protocol !== "HTTP")) return;
            const mode = obj(server.tls).mode;
            if (isUnknownField(obj(server.tls), "mode")) return;
            if (mode !== "MUTUAL" && mode !== "ISTIO_MUTUAL") {
                reportViolation(`spec.servers[${i}] (port ${obj(server.port).number ?? "?"}, ${protocol}) has tls.mode ${mode ?? "<unset>"}; cross-cluster ports must be MUTUAL (ingress) or ISTIO_MUTUAL (egress).`);
            }
        });
    },
};

export const gatewayHttpsRedirect: TrustmeshResourcePolicy = {
    name: "mesh-gateway-https-redirect",
    domain: "mesh",
    severity: "medium",
    description: "Checks that every plain HTTP Gateway server redirects to HTTPS (tls.httpsRedirect: true).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!kind(args.type, "Gateway")) return;
        arr(obj(args.props?.spec).servers).forEach((s, i) => {
            const server = obj(s);
            if (obj(server.port).protocol === "HTTP" && obj(server.tls).httpsRedirect !== true) {
                reportViolation(`spec.servers[${i}] serves plain HTTP; set tls.httpsRedirect: true (and serve the hosts on an HTTPS server).`);
            }
        });
    },
};

// ---- references (stack policies) ----

interface Obj {
    r: PolicyResource;
    name?: string;
    namespace?: string;
    spec: Record<string, any>;
}

/** Appends to the list under `key`, creating it: for the indexes stack policies build once per run. */
function pushTo<T>(index: Map<string, T[]>, key: string, value: T): void {
    const list = index.get(key);
    if (list) list.push(value);
    else index.set(key, [value]);
}

function objectsOf(resources: PolicyResource[], test: (type: string) => boolean): Obj[] {
    return resources
        .filter((r) => test(r.type))
        .map((r) => {
            const m = metadataOf(r.props);
            return { r, name: typeof m.name === "string" ? m.name : undefined, namespace: typeof m.namespace === "string" ? m.namespace : undefined, spec: obj(r.props?.spec) };
        });
}

/** A host as Istio resolves it from a namespace: short names are `<name>.<ns>.svc.cluster.local`. */
export function fqdn(host: string, namespace: string | undefined): string {
    if (host.includes("*")) return host;
    if (!host.includes(".")) return `${host}.${namespace ?? "default"}.svc.cluster.local`;
    if (/^[^.]+\.[^.]+$/.test(host) && isInternalHost(host)) return `${host}.svc.cluster.local`;
    if (host.endsWith(".svc")) return `${host}.cluster.local`;
    return host;
}

/** Whether a certificate DNS name (maybe `*.example.com`) covers a host. */
export function dnsNameCovers(dnsName: string, host: string): boolean {
    if (dnsName === host) return true;
    if (dnsName.startsWith("*.") && !host.startsWith("*.")) {
        const suffix = dnsName.slice(1);
        return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes(".");
    }
    return false;
}

/** Every destination of a VirtualService: routes (http, tls, tcp) and HTTP mirrors (`mirror`, `mirrors[]`). */
function destinations(spec: Record<string, any>): Record<string, any>[] {
    const routed = ["http", "tls", "tcp"].flatMap((proto) => arr(spec[proto]).flatMap((route) => arr(obj(route).route).map((d) => obj(obj(d).destination))));
    const mirrored = arr(spec.http).flatMap((route) => [
        ...(obj(route).mirror ? [obj(route.mirror)] : []),
        ...arr(obj(route).mirrors).map((m) => obj(obj(m).destination)),
    ]);
    return [...routed, ...mirrored];
}

/**
 * Whether an object exported with `exportTo` is visible from a namespace, as Istio decides it: no
 * exportTo (or `*`) is every namespace, `.` the object's own, `~` none, anything else a namespace name.
 */
export function visibleFrom(exportTo: unknown, ownNamespace: string | undefined, namespace: string | undefined): boolean {
    const targets = arr(exportTo).filter((t): t is string => typeof t === "string");
    if (targets.length === 0 || targets.includes("*")) return true;
    if (targets.includes("~")) return false;
    return (targets.includes(".") && ownNamespace === namespace) || (namespace !== undefined && targets.includes(namespace));
}

export const virtualServiceGateways: TrustmeshStackPolicy = {
    name: "mesh-virtual-service-gateways-exist",
    domain: "mesh",
    severity: "high",
    description: "Checks that every gateway a VirtualService binds to (other than `mesh`) is a Gateway in the stack.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const gateways = objectsOf(args.resources, (t) => kind(t, "Gateway"));
        if (gateways.some((g) => !g.namespace || !g.name)) return; // unknown: cannot judge
        const known = new Set(gateways.map((g) => `${clusterOf(g.r)}|${g.namespace}/${g.name}`));
        for (const vs of objectsOf(args.resources, (t) => kind(t, "VirtualService"))) {
            if (!vs.namespace) continue;
            const refs = [...arr(vs.spec.gateways), ...["http", "tls", "tcp"].flatMap((p) => arr(vs.spec[p]).flatMap((route) => arr(obj(route).match).flatMap((m) => arr(obj(m).gateways))))];
            for (const ref of new Set(refs.filter((g): g is string => typeof g === "string" && g !== "mesh"))) {
                const key = ref.includes("/") ? ref : `${vs.namespace}/${ref}`;
                if (!known.has(`${clusterOf(vs.r)}|${key}`)) reportViolation(`VirtualService "${vs.name}" binds to gateway ${ref} (${key}), which does not exist; create the Gateway or fix spec.gateways.`, vs.r.urn);
            }
        }
    },
};

export const destinationRuleSubsets: TrustmeshStackPolicy = {
    name: "mesh-destination-rule-subsets-exist",
    domain: "mesh",
    severity: "high",
    description: "Checks that every subset a VirtualService routes or mirrors to is defined by a DestinationRule for that host that is exported to the VirtualService's namespace.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const rules = objectsOf(args.resources, (t) => kind(t, "DestinationRule"));
        if (rules.some((r) => !r.namespace)) return;
        const rulesByHost = new Map<string, Obj[]>();
        for (const rule of rules) {
            if (typeof rule.spec.host !== "string") continue;
            pushTo(rulesByHost, `${clusterOf(rule.r)}|${fqdn(rule.spec.host, rule.namespace)}`, rule);
        }
        // Subsets a VirtualService can use: those of the rules for its host that are exported to its namespace.
        const subsetsSeenFrom = (cluster: string, host: string, namespace: string) =>
            (rulesByHost.get(`${cluster}|${host}`) ?? []).filter((rule) => visibleFrom(rule.spec.exportTo, rule.namespace, namespace)).flatMap((rule) => arr(rule.spec.subsets).map((s) => obj(s).name));
        for (const vs of objectsOf(args.resources, (t) => kind(t, "VirtualService"))) {
            if (!vs.namespace) continue;
            for (const d of destinations(vs.spec)) {
                if (typeof d.subset !== "string" || typeof d.host !== "string") continue;
                if (!subsetsSeenFrom(clusterOf(vs.r), fqdn(d.host, vs.namespace), vs.namespace).includes(d.subset)) {
                    reportViolation(`VirtualService "${vs.name}" sends to subset ${d.subset} of ${d.host}, which no DestinationRule exported to namespace ${vs.namespace} defines; add it to the host's DestinationRule spec.subsets (and check its exportTo).`, vs.r.urn);
                }
            }
        }
    },
};

export const serviceEntryPorts: TrustmeshStackPolicy = {
    name: "mesh-service-entry-ports-agree",
    domain: "mesh",
    severity: "medium",
    description: "Checks that a VirtualService routing or mirroring to a ServiceEntry host (exported to its namespace) uses a port the ServiceEntry declares.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        // ServiceEntries by cluster and host: looked up per VirtualService destination, never scanned.
        const entriesByHost = new Map<string, Obj[]>();
        for (const se of objectsOf(args.resources, (t) => kind(t, "ServiceEntry"))) {
            for (const host of new Set(arr(se.spec.hosts))) if (typeof host === "string") pushTo(entriesByHost, `${clusterOf(se.r)}|${host}`, se);
        }
        // Ports the ServiceEntries exported to a namespace declare for a host; undefined when none names it.
        const portsFor = (cluster: string, host: string, namespace: string | undefined): Set<number> | undefined => {
            const matching = (entriesByHost.get(`${cluster}|${host}`) ?? []).filter((se) => visibleFrom(se.spec.exportTo, se.namespace, namespace));
            if (matching.length === 0) return undefined;
            return new Set(matching.flatMap((se) => arr(se.spec.ports).map((p) => obj(p).number).filter((n): n is number => typeof n === "number")));
        };
        for (const vs of objectsOf(args.resources, (t) => kind(t, "VirtualService"))) {
            for (const d of destinations(vs.spec)) {
                const declared = typeof d.host === "string" ? portsFor(clusterOf(vs.r), d.host, vs.namespace) : undefined;
                const port = obj(d.port).number;
                if (declared && declared.size > 0 && typeof port === "number" && !declared.has(port)) {
                    reportViolation(`VirtualService "${vs.name}" routes to ${d.host}:${port}, but its ServiceEntry declares ports ${[...declared].join(", ")}; align the two.`, vs.r.urn);
                }
            }
            const meshBound = arr(vs.spec.gateways).length === 0 || arr(vs.spec.gateways).includes("mesh");
            if (!meshBound) continue;
            for (const host of arr(vs.spec.hosts)) {
                const declared = typeof host === "string" ? portsFor(clusterOf(vs.r), host, vs.namespace) : undefined;
                if (!declared || declared.size === 0) continue;
                for (const proto of ["http", "tls", "tcp"]) {
                    for (const route of arr(vs.spec[proto])) {
                        for (const m of arr(obj(route).match)) {
                            const gws = arr(obj(m).gateways);
                            if (gws.length > 0 && !gws.includes("mesh")) continue;
                            if (typeof obj(m).port === "number" && !declared.has(m.port)) {
                                reportViolation(`VirtualService "${vs.name}" matches ${host} on port ${m.port}, which its ServiceEntry does not declare (${[...declared].join(", ")}).`, vs.r.urn);
                            }
                        }
                    }
                }
            }
        }
    },
};

/** Labels and namespace of every gateway install: workloads' pod labels and Istio `gateway` Helm releases. */
function installedGateways(resources: PolicyResource[]): { labels: Record<string, string>; namespace?: string; cluster: string }[] | undefined {
    const installs: { labels: Record<string, string>; namespace?: string; cluster: string }[] = [];
    let anyInstall = false;
    for (const r of resources) {
        if (workloadTypes.includes(r.type) && podSpecOf(r.type, r.props)) {
            anyInstall = true;
            installs.push({ labels: obj(podMetadataOf(r.type, r.props).labels), namespace: metadataOf(r.props).namespace, cluster: clusterOf(r) });
        }
        if (/^kubernetes:helm\.sh\/v\d+:Release$/.test(r.type)) {
            anyInstall = true;
            const props = obj(r.props);
            if (typeof props.chart !== "string" || !/(^|\/)gateway$/.test(props.chart)) continue;
            const release = typeof props.name === "string" ? props.name : r.name;
            const values = obj(props.values);
            installs.push({
                labels: { app: release, istio: release.replace(/^istio-/, ""), ...obj(values.labels) },
                namespace: typeof props.namespace === "string" ? props.namespace : undefined,
                cluster: clusterOf(r),
            });
        }
    }
    // Judge only when some gateway install is visible: `check` on `helm template` output of the apps
    // alone, or a plan whose gateway chart is opaque, cannot tell a missing gateway from an unseen one.
    const anyGateway = installs.some((i) => typeof i.labels.istio === "string");
    return anyInstall && anyGateway ? installs : undefined;
}

export const gatewaySelector: TrustmeshStackPolicy = {
    name: "mesh-gateway-selector-matches",
    domain: "mesh",
    severity: "high",
    description: "Checks that every Gateway's selector matches an installed gateway (a workload's pod labels or an Istio gateway Helm release).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const installs = installedGateways(args.resources);
        if (!installs) return; // nothing installs workloads here (e.g. `check` on mesh objects alone)
        for (const gw of objectsOf(args.resources, (t) => kind(t, "Gateway"))) {
            if (isUnknownField(gw.spec, "selector")) continue;
            const selector = obj(gw.spec.selector);
            const entries = Object.entries(selector);
            if (entries.length === 0) continue;
            if (!installs.some((i) => i.cluster === clusterOf(gw.r) && entries.every(([k, v]) => i.labels[k] === v))) {
                reportViolation(`Gateway "${gw.name}" selects ${entries.map(([k, v]) => `${k}=${v}`).join(",")}, which matches no installed gateway; fix spec.selector or install the gateway.`, gw.r.urn);
            }
        }
    },
};

/** Istio's root (config) namespace: configuration there applies mesh-wide. */
const istioRootNamespace = "istio-system";

/** Namespaces of the installed gateways (same cluster) whose labels match a selector. */
function namespacesSelected(installs: ReturnType<typeof installedGateways>, cluster: string, selector: Record<string, any>): string[] {
    const entries = Object.entries(selector);
    if (!installs || entries.length === 0) return [];
    const matched = installs.filter((i) => i.cluster === cluster && entries.every(([k, v]) => i.labels[k] === v));
    return [...new Set(matched.map((i) => i.namespace).filter((ns): ns is string => typeof ns === "string"))];
}

export const credentialNameResolves: TrustmeshStackPolicy = {
    name: "mesh-credential-name-resolves",
    domain: "mesh",
    severity: "high",
    description:
        "Checks that every credentialName names a Certificate's Secret (or a Secret) in the namespace of the proxy that reads it (a Gateway's: the gateway workloads its selector matches; a DestinationRule's: the workloads its workloadSelector matches, else its own), and that the Certificate's DNS names contain the Gateway server's hosts.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const certificates = objectsOf(args.resources, (t) => isKind(t, "cert-manager.io", "Certificate"));
        const secrets = objectsOf(args.resources, (t) => isKind(t, "core", "Secret"));
        if ([...certificates, ...secrets].some((c) => !c.namespace)) return;
        const installs = installedGateways(args.resources);
        // The first Certificate writing each Secret, and every Secret, by cluster, namespace and name.
        const certificateBySecret = new Map<string, Obj>();
        for (const c of certificates) {
            const key = `${clusterOf(c.r)}|${c.namespace}|${String(c.spec.secretName)}`;
            if (typeof c.spec.secretName === "string" && !certificateBySecret.has(key)) certificateBySecret.set(key, c);
        }
        const secretKeys = new Set(secrets.map((s) => `${clusterOf(s.r)}|${s.namespace}|${String(s.name)}`));
        const certFor = (cluster: string, ns: string, secretName: string) => certificateBySecret.get(`${cluster}|${ns}|${secretName}`);
        const secretIn = (cluster: string, ns: string, name: string) => secretKeys.has(`${cluster}|${ns}|${name}`);
        const judge = (owner: Obj, readerNamespace: string, credentialName: string, hosts: string[], where: string) => {
            const cluster = clusterOf(owner.r);
            const cert = certFor(cluster, readerNamespace, credentialName);
            if (!cert) {
                if (!secretIn(cluster, readerNamespace, credentialName)) {
                    reportViolation(`${where} uses credentialName ${credentialName}, but no Certificate writes that Secret in namespace ${readerNamespace}, where the proxy that reads it runs; issue it there.`, owner.r.urn);
                }
                return;
            }
            const names = arr(cert.spec.dnsNames).filter((n): n is string => typeof n === "string");
            for (const host of hosts) {
                if (host === "*" || names.some((n) => dnsNameCovers(n, host))) continue;
                reportViolation(`${where} serves host ${host} with credentialName ${credentialName}, but Certificate "${cert.name}" covers only ${names.join(", ") || "no DNS names"}; add the host to its dnsNames.`, owner.r.urn);
            }
        };
        for (const gw of objectsOf(args.resources, (t) => kind(t, "Gateway"))) {
            if (isUnknownField(gw.spec, "selector")) continue;
            // Istio reads a Gateway's credentials from the namespace of the gateway workload it selects,
            // wherever the Gateway object lives; with no matching install visible there is nothing to judge.
            const readers = namespacesSelected(installs, clusterOf(gw.r), obj(gw.spec.selector));
            arr(gw.spec.servers).forEach((s, i) => {
                const tls = obj(obj(s).tls);
                if (typeof tls.credentialName !== "string" || tls.credentialName === "") return;
                const hosts = arr(s.hosts).filter((h): h is string => typeof h === "string").map((h) => (h.includes("/") ? h.slice(h.indexOf("/") + 1) : h));
                for (const ns of readers) judge(gw, ns, tls.credentialName, hosts, `Gateway "${gw.name}" spec.servers[${i}]`);
            });
        }
        for (const dr of objectsOf(args.resources, (t) => kind(t, "DestinationRule"))) {
            const selector = obj(obj(dr.spec.workloadSelector).matchLabels);
            // A workloadSelector reaches only the rule's own namespace (any namespace from the root namespace).
            const selected = namespacesSelected(installs, clusterOf(dr.r), selector).filter((ns) => ns === dr.namespace || dr.namespace === istioRootNamespace);
            const readers = Object.keys(selector).length > 0 ? selected : dr.namespace ? [dr.namespace] : [];
            for (const { where, tls } of destinationRuleTls(dr.spec)) {
                if (typeof tls.credentialName !== "string" || tls.credentialName === "") continue;
                for (const ns of readers) judge(dr, ns, tls.credentialName, [], `DestinationRule "${dr.name}" ${where}`);
            }
        }
    },
};

/** An istiod Helm release: the chart `istiod` from any repository. */
function isIstiodRelease(type: string, props: Record<string, any>): boolean {
    return /^kubernetes:helm\.sh\/v\d+:Release$/.test(type) && typeof props?.chart === "string" && /(^|\/)istiod$/.test(props.chart);
}

export const externalCaInProd: TrustmeshResourcePolicy = {
    name: "mesh-external-ca-in-prod",
    domain: "mesh",
    severity: "high",
    description: "Checks that in prod istiod does not sign workload certificates with its own self-signed CA (values pilot.env.ENABLE_CA_SERVER \"false\" and global.caAddress set, e.g. to istio-csr), so workload identities chain to the environment root.",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        if (!isIstiodRelease(args.type, args.props) || packConfig(args.getConfig).environment !== "prod") return;
        const values = obj(args.props.values);
        if (isUnknownField(args.props, "values") || isUnknownField(obj(obj(values.pilot).env), "ENABLE_CA_SERVER") || isUnknownField(obj(values.global), "caAddress")) return;
        const caServer = obj(obj(values.pilot).env).ENABLE_CA_SERVER;
        const caAddress = obj(values.global).caAddress;
        if (String(caServer) !== "false" || typeof caAddress !== "string" || caAddress === "") {
            reportViolation(
                `istiod signs workload certificates itself (pilot.env.ENABLE_CA_SERVER is ${caServer === undefined ? "unset" : JSON.stringify(caServer)}, global.caAddress is ${caAddress ? JSON.stringify(caAddress) : "unset"}); ` +
                    "in prod set ENABLE_CA_SERVER \"false\" and global.caAddress to istio-csr so identities chain to the environment root.",
            );
        }
    },
};

/** The identities a Certificate asserts as Istio principals (its `spiffe://` URI SANs without the scheme). */
function spiffePrincipals(spec: Record<string, any>): string[] {
    return arr(spec.uris).filter((u): u is string => typeof u === "string" && u.startsWith("spiffe://")).map((u) => u.slice("spiffe://".length));
}

export const linkAuthorization: TrustmeshStackPolicy = {
    name: "mesh-link-authorization",
    domain: "mesh",
    severity: "critical",
    description:
        "Checks that every cross-cluster link port (a Gateway server with tls.mode MUTUAL) has an ALLOW AuthorizationPolicy on that gateway and port naming the client's identity in from.source.principals (no wildcard), and that it is the identity the link's client certificate carries.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const policies = objectsOf(args.resources, (t) => isKind(t, "security.istio.io", "AuthorizationPolicy"));
        if (policies.some((p) => !p.namespace || isUnknownField(p.spec, "rules") || isUnknownField(p.spec, "selector"))) return; // unknown: cannot judge
        const certificates = objectsOf(args.resources, (t) => isKind(t, "cert-manager.io", "Certificate"));
        // Certificates by DNS name and policies by cluster and namespace: looked up per Gateway server, never scanned.
        const certificatesByDnsName = new Map<string, Obj[]>();
        const order = new Map(certificates.map((c, i) => [c, i]));
        for (const c of certificates) for (const d of new Set(arr(c.spec.dnsNames))) if (typeof d === "string") pushTo(certificatesByDnsName, d, c);
        const policiesIn = new Map<string, Obj[]>();
        for (const p of policies) pushTo(policiesIn, `${clusterOf(p.r)}|${p.namespace}`, p);
        for (const gw of objectsOf(args.resources, (t) => kind(t, "Gateway"))) {
            if (!gw.namespace || isUnknownField(gw.spec, "servers")) continue;
            const gatewayLabels = obj(gw.spec.selector);
            arr(gw.spec.servers).forEach((s, i) => {
                const server = obj(s);
                const tls = obj(server.tls);
                const port = obj(server.port).number;
                if (tls.mode !== "MUTUAL" || typeof port !== "number") return;
                // The client certificates this server admits by name, and the identities they carry.
                const names = arr(tls.subjectAltNames).filter((n): n is string => typeof n === "string");
                const named = new Set(names.flatMap((n) => certificatesByDnsName.get(n) ?? []));
                const expected = new Set([...named].sort((a, b) => order.get(a)! - order.get(b)!).flatMap((c) => spiffePrincipals(c.spec)));
                const allowing = (policiesIn.get(`${clusterOf(gw.r)}|${gw.namespace}`) ?? []).filter((p) => {
                    if ((p.spec.action ?? "ALLOW") !== "ALLOW") return false;
                    const selector = obj(obj(p.spec.selector).matchLabels);
                    return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => gatewayLabels[k] === v);
                });
                const principalsFor = (p: Obj) =>
                    arr(p.spec.rules)
                        .filter((rule) => arr(obj(rule).to).some((to) => arr(obj(obj(to).operation).ports).map(String).includes(String(port))))
                        .flatMap((rule) => arr(obj(rule).from).flatMap((from) => arr(obj(obj(from).source).principals)))
                        .filter((principal): principal is string => typeof principal === "string");
                const principals = allowing.flatMap(principalsFor);
                const where = `Gateway "${gw.name}" spec.servers[${i}] (port ${port}, MUTUAL)`;
                if (principals.length === 0) {
                    reportViolation(
                        `${where} has no ALLOW AuthorizationPolicy on its gateway naming the link's client identity; add one with from.source.principals [${[...expected].join(", ") || "<client trust domain>/ns/<ns>/sa/<sa>"}] and to.operation.ports ["${port}"].`,
                        gw.r.urn,
                    );
                    return;
                }
                const wildcard = principals.find((principal) => principal.includes("*"));
                if (wildcard) reportViolation(`${where}: AuthorizationPolicy principal "${wildcard}" is a wildcard; name the link's client identity exactly.`, gw.r.urn);
                if (expected.size > 0 && !principals.some((principal) => expected.has(principal))) {
                    reportViolation(`${where}: AuthorizationPolicy admits ${principals.join(", ")}, but the link's client certificate carries ${[...expected].join(", ")}; name that identity.`, gw.r.urn);
                }
            });
        }
    },
};

export const meshPolicies = [
    peerAuthenticationStrict,
    destinationRuleTlsDisable,
    destinationRuleVerifiesServer,
    mutualCredential,
    gatewayMutual,
    gatewayHttpsRedirect,
    virtualServiceGateways,
    destinationRuleSubsets,
    serviceEntryPorts,
    gatewaySelector,
    credentialNameResolves,
    externalCaInProd,
    linkAuthorization,
];
