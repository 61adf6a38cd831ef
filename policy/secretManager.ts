import type { TrustmeshResourcePolicy } from "./types";
import { isSecretPath, secretPathsOf } from "./secrets";
import { obj } from "./values";

/**
 * Google Secret Manager (GKE's side of seed 003): an application reads exactly its own secrets, granted
 * on each secret, and the values it stores are Pulumi secrets.
 */

/** IAM resources wider than one secret: a Secret Manager role there reaches every secret under them. */
const widerThanSecret = new Set([
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
]);

export const secretManagerIamOnSecret: TrustmeshResourcePolicy = {
    name: "secret-manager-iam-on-secret",
    domain: "secret-manager",
    severity: "high",
    description: "Checks that Secret Manager roles are granted on a secret (secretmanager.SecretIamMember/Binding), never on a project, folder or organization.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!widerThanSecret.has(args.type)) return;
        const role = obj(args.props).role;
        if (typeof role === "string" && role.startsWith("roles/secretmanager.")) {
            reportViolation(`grants ${role} on every secret of the ${args.type.split(":")[1]!.split("/")[0]}; grant it on each secret the workload reads (gcp.secretmanager.SecretIamMember).`);
        }
    },
};

export const secretManagerValueSecret: TrustmeshResourcePolicy = {
    name: "secret-manager-value-secret",
    domain: "secret-manager",
    severity: "critical",
    description: "Checks that a Secret Manager secret version's value (secretData) is a Pulumi secret, so it is never in clear in the state or a preview.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== "gcp:secretmanager/secretVersion:SecretVersion") return;
        const value = obj(args.props).secretData;
        if (value === undefined || value === null) return;
        const paths = secretPathsOf(args.props);
        if (!paths) {
            args.notApplicable("secretness is not visible to policies here (the Pulumi CLI unwraps secrets before policies run); the offline plan checks it");
            return;
        }
        if (!isSecretPath(paths, "secretData")) {
            reportViolation("secretData is not a Pulumi secret; set it from `pulumi config set --secret` or wrap it with pulumi.secret().");
        }
    },
};

export const secretManagerPolicies: TrustmeshResourcePolicy[] = [secretManagerIamOnSecret, secretManagerValueSecret];
