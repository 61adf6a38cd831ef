/** A resource the trustmesh run registered, as the floor re-registers it. */
export interface FloorResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    provider?: string;
    /** URNs the registration depends on (explicit and through inputs), as the engine recorded them. */
    dependencies: string[];
    inputs: Record<string, unknown>;
}

/** The runtime settings a bench child measured under: the floor must match the plan's exactly. */
export interface ChildRuntime {
    /** Node flags the child was started with (`process.execArgv`): the module loader among them. */
    execArgv: string[];
    /** `Error.stackTraceLimit` while the measured work ran. */
    stackTraceLimit: number;
    /** Whether stack traces were mapped through source maps while the measured work ran. */
    sourceMaps: boolean;
    nodeVersion: string;
}

export interface TrustmeshFigures {
    n: number;
    /** Registered resources, the stack itself excluded. */
    resources: number;
    wallMs: number;
    /** User + system CPU time of the measured work (`process.cpuUsage()`). */
    cpuMs: number;
    runtime: ChildRuntime;
    timings: { configMs: number; programMs: number; schemaMs: number; policyMs: number };
    cpuTimings: { configMs: number; programMs: number; schemaMs: number; policyMs: number };
    rssMb: number;
    violations: number;
    schemaErrors: number;
}

export interface FloorFigures {
    resources: number;
    /** Resources built with their provider SDK class (the rest: providers, trustmesh's component types). */
    throughSdkClasses: number;
    wallMs: number;
    cpuMs: number;
    rssMb: number;
    runtime: ChildRuntime;
}

/** Median and spread (min, max) of one figure over a size's runs. */
export interface Spread {
    median: number;
    min: number;
    max: number;
}

/** One row of the bench, in the documented `--json` shape: medians over `runs`, spreads beside them. */
export interface BenchRow {
    n: number;
    resources: number;
    runs: number;
    cpuMs: number;
    wallMs: number;
    rssMb: number;
    floorCpuMs: number;
    floorWallMs: number;
    floorRssMb: number;
    cpuRatio: number;
    wallRatio: number;
    rssRatio: number;
    /** CPU time of config validation + schema checks + policies over the plan's CPU time. */
    policyShare: number;
    spread: { cpuMs: Spread; wallMs: Spread; rssMb: Spread; floorCpuMs: Spread; floorWallMs: Spread; floorRssMb: Spread };
    /** Each run's own ratio (its plan over the floor run right after it), median and spread: how far one pair can be trusted. */
    runRatios: { cpu: Spread; rss: Spread };
    /** The settings both sides ran under (checked equal before a row is reported). */
    floorSettings: ChildRuntime;
    /** How many of the floor's resources were built with their provider SDK class (the rest: providers, trustmesh's components). */
    floorThroughSdkClasses: number;
}
