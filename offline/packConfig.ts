import { readFileSync } from "node:fs";
import * as path from "node:path";

/** The pack configs `pulumi up --policy-pack-config policy/config/<environment>.json` uses. */
export const packConfigDir = path.resolve(__dirname, "..", "policy", "config");

/**
 * The enforcement level an environment's pack config gives every policy (its `all` key). The offline
 * plan and `check` read it from the same file the Pulumi CLI gets, so the three never disagree.
 */
export function packEnforcement(environment: string): "advisory" | "mandatory" {
    const file = path.join(packConfigDir, `${environment}.json`);
    const all = (JSON.parse(readFileSync(file, "utf8")) as { all?: unknown }).all;
    const level = typeof all === "object" && all !== null ? (all as { enforcementLevel?: unknown }).enforcementLevel : all;
    if (level !== "advisory" && level !== "mandatory") {
        throw new Error(`${file}: "all" must be "advisory" or "mandatory" (got ${JSON.stringify(level)})`);
    }
    return level;
}
