import { planStack, type PlanResult } from "../../offline/plan";
import { tempStack } from "./stacks";

const planned = new Map<string, Promise<PlanResult>>();

/**
 * The project's offline plan of a stack, made once per test run and shared by every test that only
 * reads it. It is frozen, so a test that changed it would fail instead of misleading the others. Tests
 * about planning itself (determinism, re-planning) call planStack directly.
 */
export function plannedStack(stack: string): Promise<PlanResult> {
    let plan = planned.get(stack);
    if (!plan) {
        plan = planStack({ stack }).then(deepFreeze);
        planned.set(stack, plan);
    }
    return plan;
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
    }
    return value;
}

/**
 * The prod stack planned with a root rotation (issue 15) at `phase`, coming from `deployedPhase`: a
 * next root of generation 2 beside the current one. Planned once per run and shared, like plannedStack.
 */
const rotationPlans = new Map<string, Promise<PlanResult>>();
export function prodWithRotation(phase: number, deployedPhase: number): Promise<PlanResult> {
    const key = `${phase}<-${deployedPhase}`;
    if (!rotationPlans.has(key)) rotationPlans.set(key, planRotation(phase, deployedPhase));
    return rotationPlans.get(key)!;
}

function planRotation(phase: number, deployedPhase: number): Promise<PlanResult> {
    const dir = tempStack("prod", "prod", (config) => {
        const pki = (config["trustmesh:pki"] ??= {});
        pki.nextRoot = { generation: 2 };
        pki.rotation = { phase, deployedPhase };
    });
    return planStack({ stack: "prod", stacksDir: dir });
}
