import { strict as assert } from "node:assert";
import type { PlanResult } from "../offline/plan";
import { kubeVirtOperatorManifestUrl, kubeVirtVersion } from "../components/kubeVirt";
import { reloaderSecretAnnotation } from "../components/reloader";
import { plannedStack } from "./helpers/plans";
import { problemsOf, stackConfig } from "./helpers/stacks";

type Resource = PlanResult["run"]["resources"][number];

/** Issue 14: the seeds' workloads as the environments plan them. */
describe("seed workloads in the environments", function () {
    this.timeout(300_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) plans[stack] = await plannedStack(stack);
    });
    const all = (stack: string, type: string): Resource[] => plans[stack]!.run.resources.filter((r) => r.type === type);
    const one = (stack: string, type: string, match: (inputs: any) => boolean = () => true): any => {
        const found = all(stack, type).filter((r) => match(r.inputs));
        assert.equal(found.length, 1, `${stack}: expected one ${type}, found ${found.length}`);
        return found[0]!.inputs;
    };
    const certificates = (stack: string) => all(stack, "kubernetes:cert-manager.io/v1:Certificate").map((r) => r.inputs as any);

    describe("seed 000: MongoDB with TLS in a KubeVirt VM", () => {
        for (const stack of ["staging", "prod"]) {
            it(`${stack}: installs KubeVirt's pinned operator manifest and a kubevirt.io/v1 KubeVirt confined to the tainted nested-virtualization pool`, () => {
                const operator = one(stack, "kubernetes:yaml/v2:ConfigFile");
                assert.equal(operator.file, kubeVirtOperatorManifestUrl(kubeVirtVersion));
                assert.match(operator.file, /\/releases\/download\/v\d+\.\d+\.\d+\/kubevirt-operator\.yaml$/);
                const kubeVirt = one(stack, "kubernetes:kubevirt.io/v1:KubeVirt");
                assert.equal(kubeVirt.apiVersion, "kubevirt.io/v1");
                const placement = kubeVirt.spec.workloads.nodePlacement;
                assert.deepEqual(placement.nodeSelector, { "trustmesh.io/pool": "kubevirt" });
                assert.deepEqual(placement.tolerations, [{ key: "trustmesh.io/dedicated", operator: "Equal", value: "kubevirt", effect: "NoSchedule" }]);

                const pool = one(stack, "gcp:container/nodePool:NodePool", (i) => i.name === "kubevirt");
                assert.equal(pool.nodeConfig.advancedMachineFeatures.enableNestedVirtualization, true);
                assert.match(pool.nodeConfig.machineType, /^(n1|n2|c2|c3)-/);
                assert.deepEqual(pool.nodeConfig.taints, [{ key: "trustmesh.io/dedicated", value: "kubevirt", effect: "NO_SCHEDULE" }]);
                assert.equal(pool.nodeConfig.labels["trustmesh.io/pool"], "kubevirt");

                const firewall = one(stack, "gcp:compute/firewall:Firewall");
                for (const port of ["8443", "8444"]) assert.ok(firewall.allows[0].ports.includes(port), `control plane cannot reach KubeVirt's webhook port ${port}`);
            });

            it(`${stack}: the VirtualMachine carries its Certificate's Secret as a disk with a serial, and cloud-init requires TLS with the root as CA file`, () => {
                const vm = one(stack, "kubernetes:kubevirt.io/v1:VirtualMachine");
                const spec = vm.spec.template.spec;
                const secretVolumes = spec.volumes.filter((v: any) => v.secret);
                assert.equal(secretVolumes.length, 1);
                const certificate = certificates(stack).find((c) => c.spec.secretName === secretVolumes[0].secret.secretName);
                assert.ok(certificate, "the VM's secret disk is not a Certificate's Secret");
                assert.equal(certificate.metadata.namespace, vm.metadata.namespace);
                assert.equal(certificate.spec.issuerRef.name, "internal-ca");
                const disk = spec.domain.devices.disks.find((d: any) => d.name === secretVolumes[0].name);
                assert.match(disk.serial, /^[A-Za-z0-9._-]{1,20}$/);

                const service = one(stack, "kubernetes:core/v1:Service", (i) => i.metadata.namespace === vm.metadata.namespace);
                assert.deepEqual(service.spec.selector, { app: vm.spec.template.metadata.labels.app });
                assert.ok(certificate.spec.dnsNames.includes(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`));
                assert.ok(certificate.spec.dnsNames.includes(service.metadata.name));

                const userData: string = spec.volumes.find((v: any) => v.cloudInitNoCloud).cloudInitNoCloud.userData;
                assert.match(userData, /^#cloud-config\n/);
                assert.match(userData, /mode: requireTLS/);
                assert.match(userData, /CAFile: \/etc\/ssl\/mongodb\/root-ca\.pem/);
                assert.ok(userData.includes(`/dev/disk/by-id/virtio-${disk.serial}`), "cloud-init does not mount the certificate disk by its serial");
                const rootDisk = spec.volumes.find((v: any) => v.configMap);
                assert.equal(rootDisk.configMap.name, "trustmesh-root-ca");
            });

            it(`${stack}: a client Job in another namespace verifies the server against the trust-manager root and may reach only MongoDB`, () => {
                const vm = one(stack, "kubernetes:kubevirt.io/v1:VirtualMachine");
                const job = one(stack, "kubernetes:batch/v1:Job");
                assert.notEqual(job.metadata.namespace, vm.metadata.namespace);
                const pod = job.spec.template.spec;
                const command = pod.containers[0].command.join(" ");
                assert.match(command, /--tls /);
                assert.match(command, /--tlsCAFile \/etc\/trust\/root-ca\.pem/);
                assert.ok(command.includes(`mongodb.${vm.metadata.namespace}.svc.cluster.local`));
                assert.ok(pod.volumes.some((v: any) => v.configMap?.name === "trustmesh-root-ca"));
                const clientSecret = pod.volumes.find((v: any) => v.secret).secret.secretName;
                const clientCertificate = certificates(stack).find((c) => c.spec.secretName === clientSecret);
                assert.ok(clientCertificate?.spec.usages.includes("client auth"));

                const egress = one(stack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", (i) => i.metadata.namespace === job.metadata.namespace && i.spec.policyTypes.includes("Egress") && i.metadata.name.includes("mongodb"));
                assert.deepEqual(egress.spec.egress[0].ports, [{ protocol: "TCP", port: 27017 }]);
                const ingress = one(stack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", (i) => i.metadata.namespace === vm.metadata.namespace && i.metadata.name.endsWith("allow-clients"));
                assert.deepEqual(ingress.spec.ingress[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": job.metadata.namespace });
            });
        }

        it("dev runs no VM: it would cost a node pool", () => {
            assert.equal(all("dev", "kubernetes:kubevirt.io/v1:VirtualMachine").length, 0);
            assert.equal(all("dev", "kubernetes:yaml/v2:ConfigFile").length, 0);
        });

        it("lists the KubeVirt kinds as unvalidated (no published package has their schema)", () => {
            const kinds = plans.staging!.unvalidated.map((u) => `${u.apiVersion} ${u.kind}`);
            assert.ok(kinds.includes("kubevirt.io/v1 KubeVirt"), kinds.join(", "));
            assert.ok(kinds.includes("kubevirt.io/v1 VirtualMachine"), kinds.join(", "));
        });
    });

    describe("seed 004: keystores and a restart on renewal", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            it(`${stack}: the Deployment names its keystore Certificate's Secret for Reloader and mounts it read-only`, () => {
                const deployment = one(stack, "kubernetes:apps/v1:Deployment", (i) => i.metadata.annotations?.[reloaderSecretAnnotation] !== undefined);
                const secretName = deployment.metadata.annotations[reloaderSecretAnnotation];
                const certificate = certificates(stack).find((c) => c.spec.secretName === secretName);
                assert.ok(certificate, "the reload annotation names no Certificate's Secret");
                assert.equal(certificate.spec.keystores.jks.create, true);
                assert.equal(certificate.spec.keystores.pkcs12.create, true);
                assert.ok(certificate.spec.dnsNames.length >= 4, "seed 004's certificate has several SANs");

                const passwordRef = certificate.spec.keystores.pkcs12.passwordSecretRef;
                const passwordSecret = all(stack, "kubernetes:core/v1:Secret").find((r) => (r.inputs as any).metadata.name === passwordRef.name);
                assert.ok(passwordSecret, "the keystore password Secret is not in the plan");
                assert.ok(passwordSecret.secretPaths.some((p) => p.startsWith("stringData")), "the keystore password is not a Pulumi secret");
                // The Secret keeps its key (the one the Certificate reads); the value is never in the plan.
                assert.deepEqual((passwordSecret.inputs as any).stringData, { [passwordRef.key]: "[secret]" });

                const pod = deployment.spec.template.spec;
                const volume = pod.volumes.find((v: any) => v.secret?.secretName === secretName);
                const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
                assert.equal(mount.readOnly, true);
                assert.match(pod.containers[0].image, /:(\d[^:]*)$|@sha256:/);
            });
        }

        it("prod: the keystore service passes every mandatory policy", () => {
            const deployment = all("prod", "kubernetes:apps/v1:Deployment").find((r) => (r.inputs as any).metadata.annotations?.[reloaderSecretAnnotation]);
            assert.ok(deployment);
            assert.deepEqual(plans.prod!.violations.filter((v) => v.urn === deployment.urn && v.enforcementLevel === "mandatory"), []);
        });
    });

    describe("config", () => {
        const withVm = (edit: (c: Record<string, any>) => void) => {
            const config = stackConfig("prod");
            edit(config);
            return problemsOf(config);
        };
        it("prod refuses VMs on a pool that is not dedicated (tainted)", () => {
            const problems = withVm((c) => delete c.gcp.nodePools.find((p: any) => p.name === "kubevirt").dedicatedTo);
            assert.ok(problems.some((p) => p.key === "trustmesh:workloads.mongoVirtualMachine.nodePool" && /not dedicated/.test(p.message)), JSON.stringify(problems));
        });
        it("refuses a VM pool without nested virtualization, and nested virtualization on a machine series without it", () => {
            const problems = withVm((c) => (c.gcp.nodePools.find((p: any) => p.name === "kubevirt").nestedVirtualization = false));
            assert.ok(problems.some((p) => p.key === "trustmesh:workloads.mongoVirtualMachine.nodePool" && /nestedVirtualization/.test(p.message)), JSON.stringify(problems));
            const e2 = withVm((c) => (c.gcp.nodePools.find((p: any) => p.name === "kubevirt").machineType = "e2-standard-4"));
            assert.ok(e2.some((p) => /nodePools\[\d+\]\.machineType$/.test(p.key) && /Intel machine series/.test(p.message)), JSON.stringify(e2));
        });
        it("refuses workload namespaces the stack does not create on the cluster, all at once", () => {
            const problems = withVm((c) => {
                c.workloads.keystoreService.namespace = "nowhere";
                c.workloads.mongoVirtualMachine.clientNamespace = "elsewhere";
            });
            assert.ok(problems.some((p) => p.key === "trustmesh:workloads.keystoreService.namespace"), JSON.stringify(problems));
            assert.ok(problems.some((p) => p.key === "trustmesh:workloads.mongoVirtualMachine.clientNamespace"), JSON.stringify(problems));
        });
        it("refuses a keystore image on :latest", () => {
            const problems = withVm((c) => (c.workloads.keystoreService.image = "docker.io/library/tomcat:latest"));
            assert.ok(problems.some((p) => p.key === "trustmesh:workloads.keystoreService.image"), JSON.stringify(problems));
        });
    });
});
