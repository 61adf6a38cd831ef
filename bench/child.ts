/** Runs a bench child's work and exits: 0 when done, 1 with the stack trace when it failed. */
export function runChild(main: () => Promise<void>): void {
    main().then(
        () => process.exit(0),
        (error: unknown) => {
            console.error(error instanceof Error ? error.stack : String(error));
            process.exit(1);
        },
    );
}

/** CPU time (user + system) since `start`, in ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
}
