import { z } from "zod";

/** Platform components a stack can leave to an installation outside it. */
export const platformComponents = ["cert-manager", "trust-manager", "reloader", "istio"] as const;
export type PlatformComponent = (typeof platformComponents)[number];

export const platformSchema = z.strictObject({
    /**
     * Components installed outside the stack, on every cluster: by GitOps (Argo CD, Flux) or as a
     * managed add-on (the GKE managed mesh). The stack installs no chart, namespace or namespace
     * policy for them; it checks that the CRDs its own objects use exist (a preview fails naming the
     * missing one) and deploys only its own objects: issuers, the CA Secret (into the existing
     * `cert-manager` namespace), the trust Bundle, gateways, links. @default [] (the stack installs all)
     */
    installedOutside: z.array(z.enum(platformComponents)).default([]),
});

export type PlatformConfig = z.infer<typeof platformSchema>;
