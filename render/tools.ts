// Test helper: the real tools the tests run on rendered artifacts, with what to install when one
// is missing (a missing tool fails the test; it never skips it).
import { spawnSync, SpawnSyncReturns } from "child_process";

const PACKAGES: Record<string, string> = { "systemd-analyze": "systemd", shellcheck: "shellcheck" };

export function runTool(
    tool: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): SpawnSyncReturns<string> {
    const run = spawnSync(tool, args, {
        encoding: "utf8",
        env: options.env ?? process.env,
        input: options.input,
    });
    if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(
            `${tool} is not installed; install it with: sudo apt-get install ${PACKAGES[tool] ?? tool}`,
        );
    }
    return run;
}
