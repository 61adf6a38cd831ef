// Runs in its own process (the e2e runner also runs the offline engine, whose mocks are process-wide):
// preview -> up -> outputs -> refresh -> destroy of a PKI-only environment through `trustmesh/automation`.
// Prints one JSON line with the status of each operation.
import { destroyEnvironment, previewEnvironment, refreshEnvironment, upEnvironment, type EnvironmentStackOptions } from "../../automation";

async function main(): Promise<void> {
    const options = JSON.parse(process.argv[2] ?? "{}") as EnvironmentStackOptions;
    const statusSequence: string[] = [];
    const record = (op: string, status: string) => statusSequence.push(`${op}:${status}`);
    const preview = await previewEnvironment(options);
    record("preview", preview.status);
    const up = await upEnvironment(options);
    record("up", up.status);
    const outputs = up.status === "succeeded" ? (up.outputs as Record<string, unknown> | undefined) : undefined;
    const refresh = await refreshEnvironment(options);
    record("refresh", refresh.status);
    const refreshChanges = refresh.status === "succeeded" ? refresh.changes : {};
    const destroy = await destroyEnvironment(options);
    record("destroy", destroy.status);
    const upChanges = up.status === "succeeded" ? up.changes : {};
    console.log(JSON.stringify({ statusSequence, outputKeys: Object.keys(outputs ?? {}).sort(), secretOutputs: up.status === "succeeded" ? up.secretOutputs : [], upChanges, refreshChanges, destroyChanges: destroy.status === "succeeded" ? destroy.changes : {} }));
}

main().catch((error) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exit(1);
});
