/**
 * The problem with an argument that must be one of an `as const` enum's values, or none. Such enums
 * (`const X = { A: "a" } as const; type X = (typeof X)[keyof typeof X]`) are how a component takes a
 * choice: the package schema carries them as enums, which a bare union of literals cannot be.
 */
export function choiceProblems(argName: string, value: string | undefined, choices: Readonly<Record<string, string>>): string[] {
    const allowed = Object.values(choices);
    if (value === undefined || allowed.includes(value)) return [];
    return [`${argName} "${value}" must be one of ${allowed.map((v) => `"${v}"`).join(", ")}`];
}
