import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import * as net from "node:net";

/**
 * Child processes of the e2e run (etcd, API servers, controller managers). Every one is tracked here
 * so that a failed run, an exception or Ctrl-C still stops them: nothing is left running or holding
 * a port after the run.
 */
const running = new Set<ChildProcess>();
let exitHandlersInstalled = false;

function installExitHandlers(): void {
    if (exitHandlersInstalled) return;
    exitHandlersInstalled = true;
    // Last resort when the run dies without reaching its `finally`: kill synchronously on exit.
    process.on("exit", () => {
        for (const child of running) child.kill("SIGKILL");
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            for (const child of running) child.kill("SIGKILL");
            process.exit(130);
        });
    }
}

export interface StartedProcess {
    name: string;
    child: ChildProcess;
    logFile: string;
    /** Resolves with the exit code (or signal) once the process has ended. */
    exited: Promise<string>;
}

/** Starts `command` with its output appended to `logFile`. */
export function startProcess(name: string, command: string, args: string[], logFile: string, cwd: string): StartedProcess {
    installExitHandlers();
    const fd = openSync(logFile, "a");
    const child = spawn(command, args, { cwd, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    running.add(child);
    const exited = new Promise<string>((resolve) => {
        child.once("exit", (code, signal) => {
            running.delete(child);
            resolve(signal ?? String(code));
        });
        child.once("error", (error) => {
            running.delete(child);
            resolve(`error: ${error.message}`);
        });
    });
    return { name, child, logFile, exited };
}

/** Stops a process: SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
export async function stopProcess(started: StartedProcess, graceMs = 10_000): Promise<void> {
    if (started.child.exitCode !== null || started.child.signalCode !== null) return;
    started.child.kill("SIGTERM");
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
    if ((await Promise.race([started.exited, timer])) === "timeout") {
        started.child.kill("SIGKILL");
        await started.exited;
    }
}

/** Processes of this run still alive (for the run's own check that nothing was left behind). */
export function runningProcesses(): number {
    return running.size;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/** True if something accepts connections on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}
