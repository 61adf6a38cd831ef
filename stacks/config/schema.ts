import { z } from "zod";
import { azureEnvironmentProblems, azureSchema } from "./azure";
import { environmentTiers } from "./common";
import { deployProblems, deploySchema } from "./deploy";
import { gcpEnvironmentProblems, gcpSchema } from "./gcp";
import { meshSchema, refineMeshAgainstEnvironment } from "./mesh";
import { namespaceSchema } from "./namespaces";
import { pkiEnvironmentProblems, pkiSchema } from "./pki";
import { platformSchema } from "./platform";
import { policySchema } from "./policy";
import { workloadEnvironmentProblems, workloadsSchema } from "./workloads";

/** The config namespace every trustmesh key lives in (`trustmesh:<key>` in a stack file). */
export const configNamespace = "trustmesh";

/**
 * Everything a stack file may hold under `trustmesh:`. Every object is strict, so a misspelled key is
 * an error rather than a silently ignored setting.
 */
export const environmentSchema = z
    .strictObject({
        /** Environment tier: decides hardened defaults and which weak settings are refused. */
        environment: z.enum(environmentTiers),
        /** Application namespaces. @default [] */
        namespaces: z.array(namespaceSchema).default([]),
        /** The Google Cloud side. @default - no GKE cluster */
        gcp: gcpSchema.optional(),
        /** The Azure side. @default - no AKS cluster */
        azure: azureSchema.optional(),
        /** The PKI. @default - ECDSA P384 root and intermediates, no ACME */
        pki: pkiSchema.default(pkiSchema.parse({})),
        /** Istio and the cross-cluster links. @default - Istio with no links */
        mesh: meshSchema.default(meshSchema.parse({})),
        /** The policy pack. @default - see each field */
        policy: policySchema.default(policySchema.parse({})),
        /** Where the deployment runs and the identities it uses. @default - from the internet, no deployer identities */
        deploy: deploySchema.default(deploySchema.parse({})),
        /** Platform components installed outside the stack. @default - the stack installs them all */
        platform: platformSchema.default(platformSchema.parse({})),
        /** The seeds' workloads (keystore service, MongoDB VM). @default - none */
        workloads: workloadsSchema.default(workloadsSchema.parse({})),
    })
    // Cross-section rules. Each runs as soon as the sections it reads are valid, even when others are
    // not, so a stack file gets every problem in one pass instead of one layer per attempt.
    .superRefine(
        (env, ctx) => {
            if (env.environment === "prod" && env.policy.enforcement === "advisory") {
                ctx.addIssue({
                    code: "custom",
                    path: ["policy", "enforcement"],
                    message: "advisory enforcement is refused in prod: policy violations must block the deploy",
                });
            }
        },
        { when: sectionsValid("environment", "policy") },
    )
    .superRefine(
        (env, ctx) => {
            const seen = new Set<string>();
            env.namespaces.forEach((ns, index) => {
                if (seen.has(ns.name)) {
                    ctx.addIssue({ code: "custom", path: ["namespaces", index, "name"], message: `namespace "${ns.name}" is listed twice` });
                }
                seen.add(ns.name);
                ns.clusters.forEach((cluster, clusterIndex) => {
                    const section = cluster === "gke" ? "gcp" : "azure";
                    if (env[section] === undefined) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["namespaces", index, "clusters", clusterIndex],
                            message: `targets cluster "${cluster}", but the stack has no trustmesh:${section} section`,
                        });
                    }
                });
            });
        },
        { when: sectionsValid("namespaces") },
    )
    .superRefine((env, ctx) => refineMeshAgainstEnvironment(env, ctx), { when: sectionsValid("environment", "mesh", "namespaces", "gcp", "azure") })
    .superRefine(
        (env, ctx) => gcpEnvironmentProblems(env).forEach((p) => ctx.addIssue({ code: "custom", path: p.path, message: p.message })),
        { when: sectionsValid("environment", "gcp") },
    )
    .superRefine(
        (env, ctx) => pkiEnvironmentProblems(env).forEach((p) => ctx.addIssue({ code: "custom", path: p.path, message: p.message })),
        { when: sectionsValid("environment", "pki") },
    )
    .superRefine(
        (env, ctx) => azureEnvironmentProblems(env).forEach((p) => ctx.addIssue({ code: "custom", path: p.path, message: p.message })),
        { when: sectionsValid("environment", "namespaces", "azure") },
    )
    // Every cluster's API server must be reachable from where the deployment runs.
    .superRefine(
        (env, ctx) => deployProblems(env).forEach((p) => ctx.addIssue({ code: "custom", path: p.path, message: p.message })),
        { when: sectionsValid("environment", "deploy", "gcp", "azure") },
    )
    .superRefine(
        (env, ctx) => {
            // cert-manager's Google account holds roles/dns.admin on one zone only, so it must know which.
            const acme = env.pki.acme;
            if (env.gcp && acme && acme.gcpDnsZone === undefined && acme.http01IngressClassName === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["pki", "acme", "gcpDnsZone"],
                    message: "is required with trustmesh:gcp: DNS01 on GKE is granted roles/dns.admin on that Cloud DNS managed zone only (or set http01IngressClassName for HTTP01 instead)",
                });
            }
        },
        { when: sectionsValid("pki", "gcp") },
    )
    .superRefine(
        (env, ctx) => workloadEnvironmentProblems(env).forEach((p) => ctx.addIssue({ code: "custom", path: p.path, message: p.message })),
        { when: sectionsValid("environment", "namespaces", "gcp", "azure", "workloads") },
    );

/** A `when` for a cross-section rule: run it only if none of the sections it reads has an issue. */
function sectionsValid(...sections: string[]): (payload: z.core.ParsePayload) => boolean {
    return (payload) => payload.issues.every((issue) => !sections.includes(String(issue.path?.[0])));
}

/** The raw shape of the config, as written in a stack file. */
export type EnvironmentConfigInput = z.input<typeof environmentSchema>;
/** The validated config with every default applied. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
