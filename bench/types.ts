/** A resource the trustmesh run registered, as the floor re-registers it. */
export interface FloorResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    provider?: string;
    inputs: Record<string, unknown>;
}

export interface TrustmeshFigures {
    n: number;
    /** Registered resources, the stack itself excluded. */
    resources: number;
    wallMs: number;
    timings: { configMs: number; programMs: number; schemaMs: number; policyMs: number };
    rssMb: number;
    violations: number;
    schemaErrors: number;
}

export interface FloorFigures {
    resources: number;
    wallMs: number;
    rssMb: number;
}

/** One row of the bench, in the documented `--json` shape. */
export interface BenchRow {
    n: number;
    resources: number;
    wallMs: number;
    rssMb: number;
    floorWallMs: number;
    floorRssMb: number;
    wallRatio: number;
    rssRatio: number;
    policyShare: number;
}
