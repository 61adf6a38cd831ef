import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { LocalClusterEndpoint } from "../standins/localClusters";
import type { LocalCluster } from "./localCluster";

/**
 * STAND-INS for the two cloud sign-in plugins the program's kubeconfigs run (`gke-gcloud-auth-plugin`
 * on GKE, `kubelogin get-token` on AKS): the clouds' identity services cannot be reached here. Each
 * prints an ExecCredential carrying the run's admin client certificate, which both local API servers
 * trust, and says on stderr that it is a stand-in. They are written into the run's own folder and put
 * on the PATH of the e2e `pulumi` processes only; they never reach a user's machine.
 */
export function writeExecCredentialPlugins(dir: string, client: { certPem: string; keyPem: string }): string {
    mkdirSync(dir, { recursive: true });
    const credential = JSON.stringify({
        apiVersion: "client.authentication.k8s.io/v1beta1",
        kind: "ExecCredential",
        status: { clientCertificateData: client.certPem, clientKeyData: client.keyPem },
    });
    const credentialFile = path.join(dir, "exec-credential.json");
    writeFileSync(credentialFile, credential, { mode: 0o600 });
    for (const plugin of ["gke-gcloud-auth-plugin", "kubelogin"]) {
        const script = [
            "#!/bin/sh",
            `echo "trustmesh e2e: ${plugin} is a STAND-IN returning the local API servers' client certificate" >&2`,
            `cat '${credentialFile}'`,
            "",
        ].join("\n");
        writeFileSync(path.join(dir, plugin), script, { mode: 0o700 });
        chmodSync(path.join(dir, plugin), 0o700);
    }
    return dir;
}

/**
 * What the stand-in cloud providers return for each cluster so that the program's own kubeconfig
 * builders point at the local API servers: the GKE endpoint (host:port, no scheme) and CA (base64),
 * and the AKS API server URL and CA. Written as JSON to the file named by `TRUSTMESH_E2E_CLUSTERS` (e2e/standins/localClusters.ts reads it).
 */
export function clusterEndpoints(clusters: Record<string, LocalCluster>): Record<string, LocalClusterEndpoint> {
    return Object.fromEntries(
        Object.values(clusters).map((c) => [c.name, { server: c.server, endpoint: c.server.replace(/^https:\/\//, ""), caCertificateBase64: Buffer.from(c.caCertPem).toString("base64") }]),
    );
}
