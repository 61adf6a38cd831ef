import { strict as assert } from "node:assert";
import type { PlanResult } from "../offline/plan";
import { plannedStack } from "./helpers/plans";
import { problemsOf, stackConfig } from "./helpers/stacks";
import { nullSafety, policyTable, subject, violationsOf } from "./policy/harness";

type Resource = PlanResult["run"]["resources"][number];

/** Issue 14: an application's secrets and its own cloud identity, at parity on GKE and AKS. */
describe("application secrets on either cloud", function () {
    this.timeout(300_000);
    const plans: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) plans[stack] = await plannedStack(stack);
    });
    const all = (stack: string, type: string): Resource[] => plans[stack]!.run.resources.filter((r) => r.type === type);
    const inputs = (r: Resource) => r.inputs as Record<string, any>;

    for (const stack of ["dev", "staging", "prod"]) {
        describe(stack, () => {
            it("GKE: the application's own Google service account, bound by Workload Identity to its annotated ServiceAccount", () => {
                const ksa = all(stack, "kubernetes:core/v1:ServiceAccount").map(inputs).find((i) => i.metadata.namespace === "payments" && i.metadata.name === "payments-api" && i.metadata.annotations?.["iam.gke.io/gcp-service-account"]);
                assert.ok(ksa, "no payments-api ServiceAccount on gke");
                const email = ksa.metadata.annotations["iam.gke.io/gcp-service-account"];
                assert.match(email, /@trustmesh-[a-z]+\.iam\.gserviceaccount\.com$/);
                const account = all(stack, "gcp:serviceaccount/account:Account").map(inputs).find((i) => email.startsWith(`${i.accountId}@`));
                assert.ok(account, `no Google service account behind ${email}`);
                const binding = all(stack, "gcp:serviceaccount/iAMMember:IAMMember").map(inputs).find((i) => i.role === "roles/iam.workloadIdentityUser" && /\[payments\/payments-api\]$/.test(i.member));
                assert.ok(binding, "no roles/iam.workloadIdentityUser for payments/payments-api");
                assert.equal(binding.member, `serviceAccount:${plans[stack]!.config.gcp!.project}.svc.id.goog[payments/payments-api]`);
            });

            it("GKE: each secret in Secret Manager, its value a Pulumi secret, readable by that account alone, on the secret", () => {
                const secrets = all(stack, "gcp:secretmanager/secret:Secret");
                assert.ok(secrets.length > 0, "no Secret Manager secret");
                const versions = all(stack, "gcp:secretmanager/secretVersion:SecretVersion");
                assert.equal(versions.length, secrets.length);
                for (const version of versions) {
                    assert.ok(version.secretPaths.includes("secretData"), `${version.name}: secretData is not a secret`);
                    assert.equal(inputs(version).secretData, "[secret]");
                }
                const readers = all(stack, "gcp:secretmanager/secretIamMember:SecretIamMember").map(inputs);
                assert.equal(readers.length, secrets.length);
                const ksa = all(stack, "kubernetes:core/v1:ServiceAccount").map(inputs).find((i) => i.metadata.name === "payments-api" && i.metadata.annotations?.["iam.gke.io/gcp-service-account"])!;
                for (const reader of readers) {
                    assert.equal(reader.role, "roles/secretmanager.secretAccessor");
                    assert.equal(reader.member, `serviceAccount:${ksa.metadata.annotations["iam.gke.io/gcp-service-account"]}`);
                    assert.ok(secrets.some((s) => inputs(s).secretId === reader.secretId), "a grant is not on one of the secrets");
                }
                const projectGrants = all(stack, "gcp:projects/iAMMember:IAMMember").map(inputs).filter((i) => String(i.role).startsWith("roles/secretmanager."));
                assert.deepEqual(projectGrants, []);
            });

            it("GKE: a SecretProviderClass with provider gke, on a cluster with the Secret Manager add-on and rotation on", () => {
                const spc = all(stack, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").map(inputs).find((i) => i.spec.provider === "gke");
                assert.ok(spc, "no gke SecretProviderClass");
                assert.equal(spc.metadata.namespace, "payments");
                const project = plans[stack]!.config.gcp!.project;
                for (const secret of all(stack, "gcp:secretmanager/secret:Secret").map(inputs)) {
                    assert.ok(spc.spec.parameters.secrets.includes(`projects/${project}/secrets/${secret.secretId}/versions/latest`), `${secret.secretId} is not mounted`);
                }
                const cluster = inputs(all(stack, "gcp:container/cluster:Cluster")[0]!);
                assert.deepEqual(cluster.secretManagerConfig, { enabled: true, rotationConfig: { enabled: true, rotationInterval: "120s" } });
                assert.ok(all(stack, "gcp:projects/service:Service").some((s) => inputs(s).service === "secretmanager.googleapis.com"));
            });

            it("AKS: the same config reaches Key Vault, read per secret by the application's own identity, through a class of the same name", () => {
                const gkeSpc = all(stack, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").map(inputs).find((i) => i.spec.provider === "gke")!;
                const aksSpc = all(stack, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").map(inputs).find((i) => i.spec.provider === "azure" && i.metadata.name === gkeSpc.metadata.name);
                assert.ok(aksSpc, "no Key Vault SecretProviderClass named like GKE's");
                assert.match(aksSpc.spec.parameters.objects, /objectName: payments-api-token/);
                const federated = all(stack, "azure-native:managedidentity:FederatedIdentityCredential").map(inputs).find((i) => i.subject === "system:serviceaccount:payments:payments-api");
                assert.ok(federated, "no federated credential for payments/payments-api");
                const perSecret = all(stack, "azure-native:authorization:RoleAssignment").map(inputs).filter((i) => typeof i.scope === "string" && /\/secrets\/payments-/.test(i.scope));
                assert.ok(perSecret.length > 0, "no role assignment scoped to a secret");
            });
        });
    }

    it("refuses secrets on aks without a Key Vault", () => {
        const config = stackConfig("dev");
        delete config.azure.keyVault;
        const problems = problemsOf(config);
        assert.ok(problems.some((p) => /^trustmesh:namespaces\[\d+\]\.secrets$/.test(p.key) && /keyVault/.test(p.message)), JSON.stringify(problems));
    });
});

describe("policy: Secret Manager", () => {
    const IAM = "gcp:projects/iAMMember:IAMMember";
    policyTable("gcp:secretmanager/secretIamMember:SecretIamMember", { project: "p", secretId: "payments-api-token", role: "roles/secretmanager.secretAccessor", member: "serviceAccount:a@p.iam.gserviceaccount.com" }, [
        { policy: "secret-manager-iam-on-secret", path: "role", value: "roles/secretmanager.secretAccessor", type: IAM, base: { project: "p", role: "roles/logging.logWriter", member: "serviceAccount:a@p.iam.gserviceaccount.com" } },
    ]);
    policyTable("gcp:secretmanager/secretVersion:SecretVersion", { secret: "projects/p/secrets/s", secretData: "x" }, [
        { policy: "secret-manager-value-secret", path: "", value: undefined, secretPaths: ["secretData"], changedSecretPaths: [] },
    ]);
    it("leaves a grant on one secret alone", () => {
        assert.deepEqual(violationsOf("secret-manager-iam-on-secret", [subject("gcp:secretmanager/secretIamMember:SecretIamMember", { role: "roles/secretmanager.secretAccessor" })]), []);
    });
    nullSafety("secret-manager", [IAM, "gcp:secretmanager/secretVersion:SecretVersion"]);
});
