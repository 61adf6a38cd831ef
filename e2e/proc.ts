// Child processes of the e2e run: each in its own process group, so stopping one stops the plugins it
// started too; every one still running is stopped when the run ends, also on failure or Ctrl-C.
import { spawn } from "node:child_process";

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    ms: number;
}

const running = new Set<number>();

function stopAll(): void {
    for (const pid of running) {
        try {
            process.kill(-pid, "SIGTERM");
        } catch {
            // already gone
        }
    }
    running.clear();
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        stopAll();
        process.exit(130);
    });
}

export interface RunOptions {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Echo output lines with this prefix while the command runs. */
    echo?: string;
}

export function runCommand(cmd: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        if (child.pid) running.add(child.pid);
        let stdout = "";
        let stderr = "";
        const echo = (chunk: string) => {
            if (options.echo) for (const line of chunk.split("\n")) if (line.trim()) process.stdout.write(`${options.echo}${line}\n`);
        };
        child.stdout.setEncoding("utf8").on("data", (c: string) => {
            stdout += c;
            echo(c);
        });
        child.stderr.setEncoding("utf8").on("data", (c: string) => {
            stderr += c;
            echo(c);
        });
        const timer = options.timeoutMs
            ? setTimeout(() => {
                  stderr += `\n[e2e] ${cmd} ${args.join(" ")} timed out after ${options.timeoutMs} ms; stopped`;
                  if (child.pid) process.kill(-child.pid, "SIGTERM");
              }, options.timeoutMs)
            : undefined;
        child.on("error", reject);
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            if (child.pid) {
                // Plugins the command left behind in its group go with it.
                try {
                    process.kill(-child.pid, "SIGTERM");
                } catch {
                    // group already empty
                }
                running.delete(child.pid);
            }
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
        });
    });
}
