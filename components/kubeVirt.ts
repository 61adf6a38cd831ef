import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependsOn, type DependsOn } from "./dependsOn";
import { rfc1123Label } from "./names";

/** The KubeVirt release this package is tested with. */
export const kubeVirtVersion = "v1.7.4";
/** The namespace the upstream operator manifest creates (labelled Pod Security `privileged`: virt-handler needs it). */
export const kubeVirtNamespace = "kubevirt";
/**
 * Ports the Kubernetes API server calls on KubeVirt's pods for admission: virt-api's webhooks (8443) and
 * virt-operator's (8444). A private GKE control plane reaches only 443 and 10250 on nodes unless a
 * firewall rule opens these.
 */
export const kubeVirtWebhookPorts = [8443, 8444];

/** The upstream operator manifest of a release: what KubeVirt's own install guide applies. */
export function kubeVirtOperatorManifestUrl(version: string): string {
    return `https://github.com/kubevirt/kubevirt/releases/download/${version}/kubevirt-operator.yaml`;
}

/** A taint of the KubeVirt pool that virt-handler and the VMs tolerate. */
export interface NodeTolerationArgs {
    key: string;
    value: string;
    /** "NoSchedule" or "NoExecute". */
    effect: string;
}

export interface KubeVirtArgs {
    /** KubeVirt release, exact (`v1.7.4`). @default kubeVirtVersion */
    version?: string;
    /**
     * Node label (key and value) of the pool with nested virtualization: virt-handler, and so every VM,
     * runs only there. @default - every node
     */
    nodeSelector?: Record<string, string>;
    /** Taints of that pool, tolerated by virt-handler (and by VMs that ask). @default [] */
    tolerations?: NodeTolerationArgs[];
}

export function validateKubeVirtArgs(args: KubeVirtArgs): string[] {
    const problems: string[] = [];
    if (args.version !== undefined && !/^v\d+\.\d+\.\d+$/.test(args.version)) problems.push(`version "${args.version}" must be an exact release such as ${kubeVirtVersion}`);
    for (const [key, value] of Object.entries(args.nodeSelector ?? {})) {
        if (!key || !/^[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/.test(value)) problems.push(`nodeSelector "${key}: ${value}" must be a label key and value`);
    }
    for (const toleration of args.tolerations ?? []) {
        if (!rfc1123Label.test(toleration.value)) problems.push(`tolerations value "${toleration.value}" must be a lowercase label value`);
        if (toleration.effect !== "NoSchedule" && toleration.effect !== "NoExecute") problems.push(`tolerations effect "${toleration.effect}" must be "NoSchedule" or "NoExecute"`);
    }
    return problems;
}

/** The `KubeVirt` resource's spec: where virt-handler runs, and how running VMs follow an upgrade. */
export function kubeVirtSpec(args: KubeVirtArgs): Record<string, unknown> {
    const tolerations = (args.tolerations ?? []).map((t) => ({ key: t.key, operator: "Equal", value: t.value, effect: t.effect }));
    return {
        certificateRotateStrategy: {},
        configuration: { developerConfiguration: { featureGates: [] } },
        imagePullPolicy: "IfNotPresent",
        // An upgrade moves running VMs to the new virt-launcher by live migration, not by a restart.
        workloadUpdateStrategy: { workloadUpdateMethods: ["LiveMigrate"] },
        // virt-handler (and with it every VM) only on the nodes that have /dev/kvm.
        ...(args.nodeSelector || tolerations.length > 0
            ? { workloads: { nodePlacement: { ...(args.nodeSelector ? { nodeSelector: args.nodeSelector } : {}), ...(tolerations.length > 0 ? { tolerations } : {}) } } }
            : {}),
    };
}

/**
 * KubeVirt the way its install guide does it: the release's operator manifest (CRDs, RBAC, virt-operator
 * in the `kubevirt` namespace), pinned to one release, then the `KubeVirt` resource that makes the operator
 * deploy virt-api, virt-controller and virt-handler. The manifest is applied by the Kubernetes provider
 * at deploy time (`yaml/v2:ConfigFile`); offline it is listed, not rendered, like a Helm chart.
 *
 * What the cluster must allow: the API server calls virt-api and virt-operator webhooks on
 * `kubeVirtWebhookPorts`; the `kubevirt` namespace is the operator's own (no default-deny here).
 */
export class KubeVirt extends pulumi.ComponentResource {
    /** The release installed. */
    public readonly version: pulumi.Output<string>;
    /** The `KubeVirt` object's namespace. */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: KubeVirtArgs, opts?: pulumi.ComponentResourceOptions) {
        super("trustmesh:index:KubeVirt", name, args, opts);
        const problems = validateKubeVirtArgs(args);
        if (problems.length > 0) throw new pulumi.ResourceError(`KubeVirt ${name}: ${problems.join("; ")}`, this);
        const built = buildKubeVirt(name, args, this, opts?.dependsOn);
        this.version = pulumi.output(args.version ?? kubeVirtVersion);
        this.namespace = built.kubeVirt.metadata.namespace;
        this.registerOutputs({ version: this.version, namespace: this.namespace });
    }
}

export function buildKubeVirt(name: string, args: KubeVirtArgs, parent: pulumi.Resource, dependsOn?: DependsOn) {
    const version = args.version ?? kubeVirtVersion;
    const operator = new k8s.yaml.v2.ConfigFile(`${name}-operator`, { file: kubeVirtOperatorManifestUrl(version) }, { parent, dependsOn });
    const kubeVirt = new k8s.apiextensions.CustomResource(
        `${name}-kubevirt`,
        {
            apiVersion: "kubevirt.io/v1",
            kind: "KubeVirt",
            metadata: { name: "kubevirt", namespace: kubeVirtNamespace, labels: { "app.kubernetes.io/managed-by": "trustmesh" } },
            spec: kubeVirtSpec(args),
        },
        // The CRD and the operator's webhook come with the manifest.
        { parent, dependsOn: withDependsOn(dependsOn, operator) },
    );
    return { operator, kubeVirt };
}
