import { rfc1123Label } from "./names";

/**
 * Pure helpers that hand a certificate Secret (`tls.crt`, `tls.key`, `ca.crt`, keystores) to a workload:
 * a read-only volume in a pod spec, or a secret disk in a KubeVirt VirtualMachine (seed 000).
 */

export interface CertificateMountArgs {
    /** The certificate's Secret. */
    secretName: string;
    /** Directory the files appear in, e.g. "/etc/tls". */
    mountPath: string;
    /** Volume name. @default "tls-<secretName>" truncated to 63 characters */
    volumeName?: string;
    /** Containers to mount into. @default - every container (not init containers) */
    containerNames?: string[];
    /** File mode of the files: owner read only by default, so only the app's user reads the key. @default 0o400 */
    defaultMode?: number;
}

/** The structural part of a pod spec these helpers touch; other fields pass through unchanged. */
export interface PodSpecLike {
    containers: Array<{ name: string; volumeMounts?: unknown[]; [key: string]: unknown }>;
    volumes?: unknown[];
    [key: string]: unknown;
}


function volumeNameFor(secretName: string, volumeName?: string): string {
    return volumeName ?? `tls-${secretName}`.slice(0, 63).replace(/-+$/, "");
}

export function validateCertificateMount(args: CertificateMountArgs, spec: PodSpecLike): string[] {
    const problems: string[] = [];
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(args.secretName)) problems.push(`secretName "${args.secretName}" must be a lowercase RFC 1123 name`);
    if (!args.mountPath.startsWith("/") || args.mountPath.includes("..") || args.mountPath === "/") {
        problems.push(`mountPath "${args.mountPath}" must be an absolute directory other than "/", without ".."`);
    }
    const volumeName = volumeNameFor(args.secretName, args.volumeName);
    if (!rfc1123Label.test(volumeName)) problems.push(`volumeName "${volumeName}" must be a lowercase RFC 1123 label`);
    if ((spec.volumes ?? []).some((v) => (v as { name?: string }).name === volumeName)) problems.push(`the pod already has a volume named "${volumeName}"`);
    const known = new Set(spec.containers.map((c) => c.name));
    for (const name of args.containerNames ?? []) {
        if (!known.has(name)) problems.push(`containerNames lists "${name}", but the pod has only: ${[...known].join(", ")}`);
    }
    const mode = args.defaultMode ?? 0o400;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o077 & ~0o040) !== 0) {
        problems.push(`defaultMode 0${mode.toString(8)} must not give write or any access to others (e.g. 0400 or 0440)`);
    }
    return problems;
}

/**
 * Returns a copy of the pod spec with the certificate Secret as a volume, mounted read-only at
 * `mountPath` in the chosen containers. Throws listing every problem.
 */
export function mountCertificateInPodSpec<T extends PodSpecLike>(spec: T, args: CertificateMountArgs): T {
    const problems = validateCertificateMount(args, spec);
    if (problems.length > 0) throw new Error(`mountCertificateInPodSpec: ${problems.join("; ")}`);
    const volumeName = volumeNameFor(args.secretName, args.volumeName);
    const targets = new Set(args.containerNames ?? spec.containers.map((c) => c.name));
    return {
        ...spec,
        volumes: [...(spec.volumes ?? []), { name: volumeName, secret: { secretName: args.secretName, defaultMode: args.defaultMode ?? 0o400 } }],
        containers: spec.containers.map((c) =>
            targets.has(c.name) ? { ...c, volumeMounts: [...(c.volumeMounts ?? []), { name: volumeName, mountPath: args.mountPath, readOnly: true }] } : c,
        ),
    };
}

export interface VirtualMachineCertificateArgs {
    /** The certificate's Secret. */
    secretName: string;
    /**
     * Disk serial the guest finds the disk by (`/dev/disk/by-id/*<serial>`), letters, digits, '-', '_'
     * and '.', at most 20 characters (what virtio exposes).
     */
    serial: string;
    /** Volume and disk name. @default "tls-<secretName>" */
    volumeName?: string;
}

/** The structural part of a KubeVirt VirtualMachine (kubevirt.io/v1) these helpers touch. */
export interface VirtualMachineLike {
    apiVersion?: string;
    kind?: string;
    metadata?: unknown;
    spec: {
        template: {
            metadata?: unknown;
            spec: {
                domain: { devices: { disks?: unknown[]; [key: string]: unknown }; [key: string]: unknown };
                volumes?: unknown[];
                [key: string]: unknown;
            };
        };
        [key: string]: unknown;
    };
}

/**
 * Returns a copy of the VirtualMachine with the certificate Secret as a `secret` volume and a disk with a
 * serial, as in seed 000: the guest mounts the disk (read-only iso) and reads tls.crt / tls.key from it.
 */
export function mountCertificateInVirtualMachine<T extends VirtualMachineLike>(vm: T, args: VirtualMachineCertificateArgs): T {
    const problems: string[] = [];
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(args.secretName)) problems.push(`secretName "${args.secretName}" must be a lowercase RFC 1123 name`);
    if (!/^[A-Za-z0-9._-]{1,20}$/.test(args.serial)) problems.push(`serial "${args.serial}" must be 1 to 20 letters, digits, '.', '_' or '-'`);
    const volumeName = volumeNameFor(args.secretName, args.volumeName);
    if (!rfc1123Label.test(volumeName)) problems.push(`volumeName "${volumeName}" must be a lowercase RFC 1123 label`);
    const vmSpec = vm.spec.template.spec;
    if ((vmSpec.volumes ?? []).some((v) => (v as { name?: string }).name === volumeName)) problems.push(`the VM already has a volume named "${volumeName}"`);
    if ((vmSpec.domain.devices.disks ?? []).some((d) => (d as { serial?: string }).serial === args.serial)) problems.push(`the VM already has a disk with serial "${args.serial}"`);
    if (problems.length > 0) throw new Error(`mountCertificateInVirtualMachine: ${problems.join("; ")}`);
    return {
        ...vm,
        spec: {
            ...vm.spec,
            template: {
                ...vm.spec.template,
                spec: {
                    ...vmSpec,
                    domain: {
                        ...vmSpec.domain,
                        devices: { ...vmSpec.domain.devices, disks: [...(vmSpec.domain.devices.disks ?? []), { name: volumeName, disk: {}, serial: args.serial }] },
                    },
                    volumes: [...(vmSpec.volumes ?? []), { name: volumeName, secret: { secretName: args.secretName } }],
                },
            },
        },
    };
}
