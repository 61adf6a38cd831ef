import { containersOf, describeContainer, metadataOf, podMetadataOf, podSpecOf, type ContainerView } from "./kubernetes";
import type { TrustmeshResourcePolicy } from "./types";
import { isMissingField, packConfig, packConfigSchema } from "./values";

/** Workload hygiene from the build and deploy parts of the checklist (seed 002): resources, images, env, tokens. */

/** Annotation (on the workload or its pod template) that says why a workload needs the Kubernetes API token. */
export const apiAccessAnnotation = "trustmesh.io/kubernetes-api-access";

function eachContainer(args: { type: string; props: any }, check: (view: ContainerView) => void): void {
    for (const view of containersOf(podSpecOf(args.type, args.props))) check(view);
}

/** Ephemeral (debug) containers may not set resources or ports; hygiene checks apply to the others. */
const runs = (view: ContainerView) => view.group !== "ephemeralContainers";

export const resourceRequests: TrustmeshResourcePolicy = {
    name: "workload-resource-requests",
    domain: "workload-hygiene",
    severity: "medium",
    description: "Checks that every container requests CPU and memory, so the scheduler can place it and the node is not overcommitted.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            if (!runs(view)) return;
            const requests = view.container.resources?.requests ?? {};
            const missing = ["cpu", "memory"].filter((r) => isMissingField(requests, r));
            if (missing.length > 0) reportViolation(`${describeContainer(view)} must set resources.requests.${missing.join(" and resources.requests.")}.`);
        }),
};

export const memoryLimits: TrustmeshResourcePolicy = {
    name: "workload-memory-limits",
    domain: "workload-hygiene",
    severity: "medium",
    description: "Checks that every container sets a memory limit, so one workload cannot exhaust the node (CPU limits are left to the team: they throttle).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            if (!runs(view)) return;
            const limits = view.container.resources?.limits ?? {};
            if (isMissingField(limits, "memory")) {
                reportViolation(`${describeContainer(view)} must set resources.limits.memory.`);
            }
        }),
};

/** Splits an image reference into registry/repository, tag and digest. */
export function parseImage(image: string): { registry: string; repository: string; tag?: string; digest?: string } {
    let rest = image.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const parts = rest.split("/");
    const hasRegistry = parts.length > 1 && (parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost");
    const registry = hasRegistry ? parts[0]! : "docker.io";
    let repository = hasRegistry ? parts.slice(1).join("/") : rest;
    if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
    return { registry, repository, tag, digest };
}

/** The image fully qualified (`docker.io/library/nginx:1.27`), for prefix matching against the allowlist. */
export function qualifiedImage(image: string): string {
    const { registry, repository } = parseImage(image);
    return `${registry}/${repository}`;
}

export const imageTag: TrustmeshResourcePolicy = {
    name: "workload-image-tag",
    domain: "workload-hygiene",
    severity: "high",
    description: "Checks that every image is pinned by a digest or a version tag, never untagged or `latest`.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            const image = view.container.image;
            if (typeof image !== "string" || image === "") return;
            const { tag, digest } = parseImage(image);
            if (digest) return;
            if (!tag) reportViolation(`${describeContainer(view)} uses image "${image}" without a tag; pin a version tag or, better, a digest (@sha256:...).`);
            else if (tag === "latest") reportViolation(`${describeContainer(view)} uses image "${image}"; replace :latest with a version tag or a digest.`);
        }),
};

export const imageDigest: TrustmeshResourcePolicy = {
    name: "workload-image-digest",
    domain: "workload-hygiene",
    severity: "low",
    description: "Checks that every image is pinned by digest, so what was scanned is what runs.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            const image = view.container.image;
            if (typeof image === "string" && image !== "" && !parseImage(image).digest) {
                reportViolation(`${describeContainer(view)} uses image "${image}" by tag; pin it by digest (@sha256:...).`);
            }
        }),
};

export const imageRegistry: TrustmeshResourcePolicy = {
    name: "workload-image-registry",
    domain: "workload-hygiene",
    severity: "high",
    description: "Checks that every image comes from a registry in the pack config's allowedRegistries (prefix match on the fully qualified name).",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, reportViolation) => {
        const allowed = packConfig(args.getConfig).allowedRegistries;
        if (!Array.isArray(allowed) || allowed.length === 0) return;
        eachContainer(args, (view) => {
            const image = view.container.image;
            if (typeof image !== "string" || image === "") return;
            const qualified = qualifiedImage(image);
            if (!allowed.some((prefix) => qualified.startsWith(prefix) || image.startsWith(prefix))) {
                reportViolation(`${describeContainer(view)} uses image "${image}" (${qualified}) from a registry not in allowedRegistries (${allowed.join(", ")}); mirror it to an allowed registry or add the registry to the pack config.`);
            }
        });
    },
};

const secretName = /(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|client[_-]?secret|connection[_-]?string)/i;

export const envSecretLiterals: TrustmeshResourcePolicy = {
    name: "workload-env-secret-literals",
    domain: "workload-hygiene",
    severity: "high",
    description: "Checks that no environment variable with a secret-looking name (password, token, api key...) carries a literal value.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            for (const env of Array.isArray(view.container.env) ? view.container.env : []) {
                if (!env || typeof env.name !== "string") continue;
                if (secretName.test(env.name) && typeof env.value === "string" && env.value !== "") {
                    reportViolation(`${describeContainer(view)} sets env ${env.name} to a literal; read it from a Secret (valueFrom.secretKeyRef) or a mounted secret file.`);
                }
            }
        }),
};

export const automountToken: TrustmeshResourcePolicy = {
    name: "workload-automount-service-account-token",
    domain: "workload-hygiene",
    severity: "medium",
    description: `Checks that pods set automountServiceAccountToken: false unless annotated ${apiAccessAnnotation} with the reason they need the Kubernetes API.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const spec = podSpecOf(args.type, args.props);
        if (!spec) return;
        if (spec.automountServiceAccountToken === false) return;
        const reason = podMetadataOf(args.type, args.props).annotations?.[apiAccessAnnotation] ?? metadataOf(args.props).annotations?.[apiAccessAnnotation];
        if (typeof reason === "string" && reason.trim() !== "") return;
        reportViolation(`the pod mounts a service account token; set automountServiceAccountToken: false, or annotate the pod template ${apiAccessAnnotation}: "<why it calls the API>".`);
    },
};

export const readOnlyRootFilesystem: TrustmeshResourcePolicy = {
    name: "workload-read-only-root-filesystem",
    domain: "workload-hygiene",
    severity: "low",
    description: "Checks that every container runs with readOnlyRootFilesystem: true (write to an emptyDir instead).",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) =>
        eachContainer(args, (view) => {
            if (runs(view) && view.securityContext.readOnlyRootFilesystem !== true) {
                reportViolation(`${describeContainer(view)} should set securityContext.readOnlyRootFilesystem: true and write to an emptyDir volume.`);
            }
        }),
};

export const defaultNamespace: TrustmeshResourcePolicy = {
    name: "workload-default-namespace",
    domain: "workload-hygiene",
    severity: "medium",
    description: "Checks that workloads are not deployed to the default namespace, which carries no Pod Security labels or network policies.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!podSpecOf(args.type, args.props)) return;
        if (metadataOf(args.props).namespace === "default") {
            reportViolation("the workload is in the default namespace; deploy it to an application namespace built with NamespaceBaseline.");
        }
    },
};

export const workloadHygienePolicies: TrustmeshResourcePolicy[] = [
    resourceRequests,
    memoryLimits,
    imageTag,
    imageDigest,
    imageRegistry,
    envSecretLiterals,
    automountToken,
    readOnlyRootFilesystem,
    defaultNamespace,
];
