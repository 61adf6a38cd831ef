import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { configuredLevel, type PolicyPackConfigFile } from "../policy/packConfig";
import { allPolicies } from "../policy/registry";
import { secretPathsKey } from "../policy/secrets";
import { isStackPolicy, type EnforcementLevel, type TrustmeshPackConfig, type TrustmeshPolicy } from "../policy/types";

/** Something a policy judges: a resource the program registered, or an object from a YAML file. */
export interface PolicySubject {
    urn: string;
    type: string;
    name: string;
    props: Record<string, any>;
    protect?: boolean;
    parent?: string;
    provider?: string;
    dependencies?: string[];
    /**
     * Dotted paths of the inputs that are Pulumi secrets (the engine's `secretPaths`). Given to the
     * policies under the symbol `secretPathsKey` (policy/secrets.ts); left out (plain YAML), the
     * secrets checks are not applicable.
     */
    secretPaths?: string[];
}

export interface PolicyViolation {
    policy: string;
    domain: string;
    severity: string;
    enforcementLevel: EnforcementLevel;
    /** The resource the violation is about; empty for a stack-wide finding. */
    urn: string;
    message: string;
}

export interface PolicyRunOptions {
    /**
     * The pack config file the CLI would get (`--policy-pack-config`): its `all` and per-policy levels set
     * each policy's level as the CLI reconciles them. @default - each policy's own level
     */
    packConfig?: PolicyPackConfigFile;
    /** The settings each policy reads with getConfig(). */
    config?: TrustmeshPackConfig;
    policies?: TrustmeshPolicy[];
}

class NotApplicable extends Error {}

/** A policy's level under a pack config, as the CLI reconciles it (policy/packConfig.ts); remediate reports as mandatory, as the pack's server does. */
export function effectiveLevel(policy: TrustmeshPolicy, packConfig: PolicyPackConfigFile = {}): EnforcementLevel {
    const level = configuredLevel(policy, packConfig);
    return level === "remediate" ? "mandatory" : level;
}

/** Runs resource policies on each subject and stack policies on all of them, as the Pulumi engine would. */
export function runPolicies(subjects: PolicySubject[], options: PolicyRunOptions = {}): PolicyViolation[] {
    const policies = options.policies ?? allPolicies;
    const config = options.config ?? {};
    const violations: PolicyViolation[] = [];
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = subjects.map((subject) => {
        const resource = toPolicyResource(subject);
        byUrn.set(subject.urn, resource);
        return { subject, resource };
    });
    for (const { subject, resource } of policyResources) {
        if (subject.parent) resource.parent = byUrn.get(subject.parent);
        // The provider tells clusters apart: stack policies resolve references within one cluster.
        if (subject.provider) resource.provider = { type: "pulumi:providers", props: {}, urn: subject.provider, name: subject.provider.split("::")[3] ?? subject.provider };
        resource.dependencies = (subject.dependencies ?? []).map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => !!r);
    }

    // Built once and shared by every policy (policies only read them): a plan judges each of thousands of
    // resources with every policy, and a fresh object and closures per pair cost more than the policies.
    const resourceArgs = policyResources.map(({ subject, resource }) => validationArgs(subject, resource, config));
    const stackResources = policyResources.map((p) => p.resource);
    for (const policy of policies) {
        const level = effectiveLevel(policy, options.packConfig);
        if (level === "disabled") continue;
        // One reporter per policy; `judged` is the resource being validated (a finding may name another URN).
        let judged = "";
        const report = ((message: string, reportedUrn?: string) => {
            violations.push({ policy: policy.name, domain: policy.domain, severity: policy.severity, enforcementLevel: level, urn: reportedUrn ?? judged, message });
        }) as ReportViolation;
        if (isStackPolicy(policy)) {
            const args: StackValidationArgs = { resources: stackResources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable: notApplicable };
            invoke(policy.name, policy.validateStack, args, report);
            continue;
        }
        const validate = policy.validateResource;
        if (!validate) continue;
        const validators = Array.isArray(validate) ? validate : [validate];
        for (let i = 0; i < resourceArgs.length; i++) {
            judged = policyResources[i]!.subject.urn;
            for (const v of validators) invoke(policy.name, v, resourceArgs[i]!, report);
        }
    }
    return violations;
}

export interface Remediation {
    policy: string;
    urn: string;
    /** The props the policy's remediateResource returned: what `pulumi up` would send with `remediate` enforcement. */
    props: Record<string, any>;
}

/**
 * Runs the remediations of the given policies (each policy that has `remediateResource`) over the
 * subjects, in pack order, each seeing the previous one's output, as the Pulumi engine applies them
 * before validation. Returns the remediated props per subject (unchanged subjects keep theirs) and
 * what each policy changed. Validation (`runPolicies`) is separate: the plan and `check` report the
 * violation and this shows the fix; nothing is applied unless the caller uses the result.
 */
export function remediate(subjects: PolicySubject[], options: Pick<PolicyRunOptions, "config" | "policies"> = {}): { subjects: PolicySubject[]; remediations: Remediation[] } {
    const policies = options.policies ?? allPolicies;
    const config = options.config ?? {};
    const remediations: Remediation[] = [];
    const out = subjects.map((subject) => {
        let props = subject.props;
        for (const policy of policies) {
            if (isStackPolicy(policy) || !policy.remediateResource) continue;
            const args = validationArgs(subject, toPolicyResource({ ...subject, props }), config);
            let result: unknown;
            try {
                result = policy.remediateResource(args);
            } catch (error) {
                if (error instanceof NotApplicable) continue;
                throw new Error(`remediation ${policy.name} crashed: ${(error as Error).message}`, { cause: error });
            }
            if (result instanceof Promise) throw new Error(`remediation ${policy.name} is asynchronous; the offline runner needs synchronous policies`);
            if (result && typeof result === "object") {
                props = result as Record<string, any>;
                remediations.push({ policy: policy.name, urn: subject.urn, props });
            }
        }
        return props === subject.props ? subject : { ...subject, props };
    });
    return { subjects: out, remediations };
}

/** What a resource policy (or remediation) is called with, as the Pulumi engine builds it. */
function validationArgs(subject: PolicySubject, resource: PolicyResource, config: TrustmeshPackConfig): ResourceValidationArgs {
    return {
        type: subject.type,
        props: resource.props,
        urn: subject.urn,
        name: subject.name,
        opts: resource.opts,
        stackTags: new Map(),
        isType: resource.isType,
        asType: resource.asType as unknown as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: notApplicable,
    };
}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

/** Calls one policy's validation; not-applicable is no finding, anything else thrown names the policy. */
function invoke<A>(policyName: string, validate: (args: A, report: ReportViolation) => unknown, args: A, report: ReportViolation): void {
    try {
        const result = validate(args, report);
        if (result instanceof Promise) {
            throw new Error(`policy ${policyName} is asynchronous; the offline runner needs synchronous policies`);
        }
    } catch (error) {
        if (error instanceof NotApplicable) return;
        throw new Error(`policy ${policyName} crashed: ${(error as Error).message}`, { cause: error });
    }
}

/** The subject's props, with its secret paths attached (non-enumerable) when known. */
function propsWithSecrets(subject: PolicySubject): Record<string, any> {
    if (!subject.secretPaths || !subject.props) return subject.props;
    const props = { ...subject.props };
    Object.defineProperty(props, secretPathsKey, { value: [...subject.secretPaths], enumerable: false });
    return props;
}

function toPolicyResource(subject: PolicySubject): PolicyResource {
    const props = propsWithSecrets(subject);
    const isType = (cls: { new (...rest: any[]): any }) => (cls as unknown as { __pulumiType?: string }).__pulumiType === subject.type;
    return {
        type: subject.type,
        props,
        urn: subject.urn,
        name: subject.name,
        opts: {
            protect: subject.protect ?? false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            parent: subject.parent,
        },
        dependencies: [],
        propertyDependencies: {},
        isType: isType as PolicyResource["isType"],
        asType: ((cls: { new (...rest: any[]): any }) => (isType(cls) ? props : undefined)) as PolicyResource["asType"],
    };
}
