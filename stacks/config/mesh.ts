import { z } from "zod";
import { clusterNames, dnsLabel, dnsName } from "./common";

const port = z.number().int().min(1).max(65535);

export const meshLinkSchema = z.strictObject({
    /** Link name, unique in the environment; prefixes every object of the link. */
    name: dnsLabel,
    /** The Kubernetes Service on the server cluster. */
    service: dnsLabel,
    /** Its namespace. */
    namespace: dnsLabel,
    /** Its TCP port, also the port clients connect to. */
    port,
    /** Port the server's ingress gateway listens on for this link. */
    linkPort: port,
    /** Public DNS name clients reach the server's ingress gateway by; in the server certificate. */
    host: dnsName,
    /** Cluster that runs the service. */
    server: z.enum(clusterNames),
    /** Cluster whose workloads call it. */
    client: z.enum(clusterNames),
    /** Namespace of the calling workloads on the client cluster. */
    clientNamespace: dnsLabel,
});

export const meshSchema = z.strictObject({
    /** Istio version of the Helm charts. @default "1.28.1" */
    istioVersion: z.string().regex(/^\d+\.\d+\.\d+$/).default("1.28.1"),
    /** Cross-cluster mTLS links. @default [] */
    links: z.array(meshLinkSchema).default([]),
});

export type MeshConfig = z.infer<typeof meshSchema>;
export type MeshLinkConfig = z.infer<typeof meshLinkSchema>;
