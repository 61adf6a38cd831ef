import { z } from "zod";

export const policySchema = z.strictObject({
    /**
     * Enforcement of the policy pack. @default - advisory in dev, mandatory in staging and prod
     * (prod refuses advisory).
     */
    enforcement: z.enum(["advisory", "mandatory"]).optional(),
    /** Registries images may come from (prefix match). @default - the registries the platform charts use */
    allowedRegistries: z
        .array(z.string().min(1))
        .min(1)
        .default(["docker.io/library/", "quay.io/jetstack/", "docker.io/istio/", "gcr.io/", "ghcr.io/stakater/", "mcr.microsoft.com/", "registry.k8s.io/"]),
});

export type PolicyConfig = z.infer<typeof policySchema>;
