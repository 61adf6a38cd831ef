import { planStack, type PlanResult } from "../../offline/plan";

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
