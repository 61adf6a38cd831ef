// Runs program.ts under Pulumi's mocks with plain node (no ts-node, no tsx): the compiled package must
// load as the Pulumi Node runtime loads any dependency. Prints the registered types as JSON.
import * as pulumi from "@pulumi/pulumi";

const registered: Array<{ type: string; name: string }> = [];

const mocksReady = pulumi.runtime.setMocks(
    {
        newResource(args) {
            registered.push({ type: args.type, name: args.name });
            // The one provider-computed output this program exports: the root CA's certificate.
            const computed = args.type === "tls:index/selfSignedCert:SelfSignedCert" ? { certPem: "-----BEGIN CERTIFICATE-----\n(mock)\n-----END CERTIFICATE-----\n" } : {};
            return { id: `${args.name}-id`, state: { ...args.inputs, name: args.inputs.name ?? args.name, ...computed } };
        },
        // Only the two lookups the clusters make; anything else is a change this program should see.
        call(args) {
            if (args.token === "gcp:organizations/getProject:getProject") return { number: "123456789012", projectId: args.inputs.projectId };
            if (args.token === "azure-native:containerservice:listManagedClusterUserCredentials") {
                const kubeconfig = [
                    "apiVersion: v1",
                    "kind: Config",
                    "clusters:",
                    "- name: platform-aks",
                    "  cluster:",
                    "    server: https://platform-aks.hcp.westeurope.azmk8s.io:443",
                    `    certificate-authority-data: ${Buffer.from("consumer test CA").toString("base64")}`,
                ].join("\n");
                return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
            }
            throw new Error(`unexpected lookup ${args.token}`);
        },
    },
    "consumer",
    "test",
    false,
);

// Exit non-zero unless main() gets to print: a program whose outputs never resolve would otherwise
// end with an empty event loop and exit 0.
process.exitCode = 1;

async function main(): Promise<void> {
    await mocksReady;
    const program = await import("./program.js");
    const certificate = await new Promise<string | undefined>((resolve) => program.rootCertificate.apply((value) => resolve(value)));
    // Let the component children finish registering before reporting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(JSON.stringify({ types: [...new Set(registered.map((r) => r.type))].sort(), resources: registered.length, rootCertificate: certificate }));
    process.exitCode = 0;
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
