import { kubeVirtNamespace, kubeVirtOperatorManifestUrl } from "../../components/kubeVirt";

/**
 * Namespaces that a manifest applied at deploy time (`yaml/v2:ConfigFile`, not rendered offline)
 * creates, so that the plan's own objects in them can be dry-run. Only installs named here: a
 * namespace nobody creates still makes its objects fail the dry run.
 *
 * KubeVirt's operator manifest of every release creates the `kubevirt` namespace (its install guide
 * applies the manifest, then the `KubeVirt` object into that namespace).
 */
const namespacesCreatedBy: Array<{ matches: (file: string) => boolean; install: string; namespaces: string[] }> = [
    {
        matches: (file) => file === kubeVirtOperatorManifestUrl(/^https:\/\/github\.com\/kubevirt\/kubevirt\/releases\/download\/([^/]+)\//.exec(file)?.[1] ?? ""),
        install: "KubeVirt operator manifest",
        namespaces: [kubeVirtNamespace],
    },
];

/** A namespace the dry run creates because an unrendered install would. */
export interface InstallNamespace {
    cluster: string;
    namespace: string;
    /** What creates it on a real cluster, and from which file. */
    createdBy: string;
}

/**
 * The namespaces the stack's unrendered installs create, on each cluster where the plan puts objects
 * in them. (The install itself is a component and carries no provider: its cluster is where its
 * namespace is used.)
 */
export function namespacesOfUnrenderedInstalls(files: string[], manifests: Array<{ cluster: string; object: { metadata: { namespace?: string } } }>): InstallNamespace[] {
    return files.flatMap((file) => {
        const known = namespacesCreatedBy.find((entry) => entry.matches(file));
        if (!known) return [];
        return known.namespaces.flatMap((namespace) =>
            [...new Set(manifests.filter((m) => m.object.metadata.namespace === namespace).map((m) => m.cluster))].map((cluster) => ({ cluster, namespace, createdBy: `${known.install} (${file})` })),
        );
    });
}
