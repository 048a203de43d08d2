// Running local programs: docker, ssh, openssl. Asynchronous, so pulls and load loops overlap.
import { spawn } from "child_process";

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunOptions {
    readonly input?: string | Buffer;
    /** Kills the program after this long; the result then has code 124, as timeout(1) gives. */
    readonly timeoutMs?: number;
    readonly env?: NodeJS.ProcessEnv;
}

export function run(
    program: string,
    args: readonly string[],
    options: RunOptions = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, {
            env: options.env ?? process.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let timedOut = false;
        const timer = options.timeoutMs
            ? setTimeout(() => {
                  timedOut = true;
                  child.kill("SIGKILL");
              }, options.timeoutMs)
            : undefined;
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", (err: NodeJS.ErrnoException) =>
            reject(err.code === "ENOENT" ? new Error(`${program} is not installed`) : err),
        );
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            const out = Buffer.concat(stdout).toString("utf8");
            const err = Buffer.concat(stderr).toString("utf8");
            resolve({
                code: timedOut ? 124 : (code ?? 1),
                stdout: out,
                stderr: timedOut ? `${err}\n(timed out)` : err,
            });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
}

/** Runs a program that must succeed; the error names what was done and shows the output's tail. */
export async function must(
    what: string,
    program: string,
    args: readonly string[],
    options: RunOptions = {},
): Promise<string> {
    const result = await run(program, args, options);
    if (result.code !== 0) {
        throw new Error(
            `${what} failed (exit ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`)}`,
        );
    }
    return result.stdout;
}

/** The last lines of a program's output, for error messages. */
export function tail(text: string, lines = 20): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One log line per step of real work, naming the machine. */
export function log(machine: string, step: string): void {
    process.stdout.write(`[harness] ${machine}: ${step}\n`);
}
