// `npm run cluster -- <stack> <fleetctl ARGS...|etcdctl ARGS...|ssh MACHINE [CMD...]|status>`:
// reaches a stack's machines with the key and pinned host keys from its outputs. The command lines
// come from commands.ts; this file decides where and in what order they run.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    AccessError,
    ClusterAccess,
    clusterAccess,
    machineIp,
    machineTable,
    WorkerHealth,
    workerLine,
} from "./access";
import {
    AccessFiles,
    agentAddArgs,
    agentArgs,
    curlArgs,
    curlResult,
    etcdctlApi,
    etcdctlRemoteCommand,
    fleetctlArgs,
    sshArgs,
    stackOutputsArgs,
} from "./commands";

const USAGE = `usage: npm run cluster -- <stack> <command>
  fleetctl ARGS...             fleetctl through the control node (list-machines, list-units, ...)
  etcdctl [--api=2|3] ARGS...  etcdctl on the control node (member list, ls /_coreos.com/fleet, ...)
  ssh MACHINE [COMMAND...]     ssh to a machine as core
  status                       the machines, fleet's units, each worker's /version and /healthz`;

const INSTALL: Record<string, string> = {
    pulumi:
        "the Pulumi CLI is not on PATH: run `npm ci` in the repository and call this as `npm run cluster -- ...` " +
        "(the pulumi package fetches the CLI), or install the Pulumi CLI",
    ssh: "ssh is not installed: install OpenSSH's client (Debian, Ubuntu: sudo apt-get install openssh-client)",
    fleetctl:
        "fleetctl is not on PATH: install fleetctl v1.0.0 from fleet's release tarball " +
        "fleet-v1.0.0-linux-amd64.tar.gz (see the README, Operating)",
    curl: "curl is not installed: install it (Debian, Ubuntu: sudo apt-get install curl)",
};
INSTALL["ssh-agent"] = INSTALL["ssh-add"] = INSTALL.ssh;

interface RunResult {
    status: number;
    stdout: string;
    stderr: string;
}

let running: ChildProcess | undefined;
let interruptedBy: NodeJS.Signals | undefined;

/** Runs a tool; `capture` keeps its output, otherwise it talks to the terminal directly. */
function run(
    tool: string,
    args: readonly string[],
    options: { capture: boolean; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        if (interruptedBy) return reject(new AccessError(`interrupted by ${interruptedBy}`));
        const child = spawn(tool, args, {
            env: options.env ?? process.env,
            stdio: options.capture ? ["ignore", "pipe", "pipe"] : "inherit",
        });
        running = child;
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (chunk) => (stdout += chunk));
        child.stderr?.on("data", (chunk) => (stderr += chunk));
        child.on("error", (err: NodeJS.ErrnoException) =>
            reject(
                err.code === "ENOENT"
                    ? new AccessError(INSTALL[tool] ?? `${tool} is not installed`)
                    : err,
            ),
        );
        child.on("close", (code, signal) => {
            running = undefined;
            resolve({
                status: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1),
                stdout,
                stderr,
            });
        });
    });
}

function tail(text: string, lines = 5): string {
    return text.trim().split("\n").slice(-lines).join("\n");
}

function log(stack: string, line: string): void {
    console.error(`cluster: ${stack}: ${line}`);
}

async function readAccess(stack: string): Promise<ClusterAccess> {
    log(stack, "reading the stack's outputs (pulumi stack output)");
    const result = await run("pulumi", stackOutputsArgs(stack), { capture: true });
    if (result.status !== 0 && /Downloading pulumi|pulumi: fetch failed/.test(result.stderr)) {
        throw new AccessError(
            `the Pulumi CLI could not be fetched:\n${tail(result.stderr)}\n` +
                "The `pulumi` npm package downloads the CLI on first use: connect once to the internet, " +
                "or install the CLI (https://www.pulumi.com/docs/install/) and run " +
                `\`node build/js/cluster/cli.js ${stack} ...\` with it first on PATH.`,
        );
    }
    if (result.status !== 0) {
        throw new AccessError(
            // Only stderr: stdout may hold the stack's decrypted secrets.
            `pulumi could not read the outputs of stack ${stack}:\n${tail(result.stderr)}\n` +
                "Check the backend and the stack with `npx pulumi login` and `npx pulumi stack ls`; a new stack is " +
                `made with \`npx pulumi stack init ${stack}\` and \`npx pulumi up --stack ${stack}\`.`,
        );
    }
    let outputs: unknown;
    try {
        outputs = JSON.parse(result.stdout);
    } catch {
        throw new AccessError(
            `pulumi printed no JSON for stack ${stack}'s outputs (${result.stdout.length} characters, ` +
                "not shown: they may hold secrets)",
        );
    }
    return clusterAccess(stack, (outputs ?? {}) as Record<string, unknown>);
}

/**
 * The private files of one call, in a folder only we can read, removed when the call ends; and,
 * when fleetctl needs it, an ssh-agent of our own holding the key.
 */
class AccessSession {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-"));
    readonly files: AccessFiles = {
        key: path.join(this.dir, "operator-key"),
        knownHosts: path.join(this.dir, "known_hosts"),
    };
    private agent?: ChildProcess;
    private readonly removeOnExit = () => this.close();

    constructor(access: ClusterAccess) {
        process.on("exit", this.removeOnExit);
        fs.writeFileSync(this.files.key, access.privateKey, { mode: 0o600, flag: "wx" });
        fs.writeFileSync(this.files.knownHosts, access.knownHosts, { mode: 0o600, flag: "wx" });
    }

    /** The environment of a tool that takes the key from an agent (fleetctl's tunnel does). */
    async agentEnv(stack: string): Promise<NodeJS.ProcessEnv> {
        const socket = path.join(this.dir, "agent.sock");
        if (!this.agent) {
            const agent = spawn("ssh-agent", agentArgs(socket), {
                stdio: ["ignore", "ignore", "pipe"],
            });
            this.agent = agent;
            let stderr = "";
            agent.stderr?.on("data", (chunk) => (stderr += chunk));
            const failed = new Promise<never>((_, reject) => {
                agent.on("error", (err: NodeJS.ErrnoException) =>
                    reject(err.code === "ENOENT" ? new AccessError(INSTALL["ssh-agent"]) : err),
                );
                agent.on("exit", () =>
                    reject(new AccessError(`ssh-agent stopped at start:\n${tail(stderr)}`)),
                );
            });
            failed.catch(() => undefined);
            await Promise.race([failed, waitForFile(socket)]);
            const add = await run("ssh-add", agentAddArgs(this.files.key), {
                capture: true,
                env: { ...process.env, SSH_AUTH_SOCK: socket },
            });
            if (add.status !== 0)
                throw new AccessError(
                    `ssh-add could not load the operator key of ${stack}:\n${tail(add.stderr)}`,
                );
        }
        return { ...process.env, SSH_AUTH_SOCK: socket };
    }

    close(): void {
        this.agent?.removeAllListeners("exit");
        this.agent?.kill("SIGTERM");
        this.agent = undefined;
        fs.rmSync(this.dir, { recursive: true, force: true });
        process.removeListener("exit", this.removeOnExit);
    }
}

async function waitForFile(file: string): Promise<void> {
    for (let turn = 0; turn < 100 && !fs.existsSync(file); turn++)
        await new Promise((r) => setTimeout(r, 50));
    if (!fs.existsSync(file))
        throw new AccessError(`ssh-agent did not open ${file} within 5 seconds`);
}

async function fleetctl(
    access: ClusterAccess,
    session: AccessSession,
    args: readonly string[],
    capture: boolean,
): Promise<RunResult> {
    log(
        access.stack,
        `fleetctl ${args.join(" ")} through ${access.controlName} (${access.controlIp})`,
    );
    const env = await session.agentEnv(access.stack);
    return run("fleetctl", fleetctlArgs(access.controlIp, session.files.knownHosts, args), {
        capture,
        env,
    });
}

async function etcdctl(
    access: ClusterAccess,
    session: AccessSession,
    args: readonly string[],
): Promise<number> {
    log(
        access.stack,
        `etcdctl (API v${etcdctlApi(args).api}) on ${access.controlName} (${access.controlIp})`,
    );
    const command = etcdctlRemoteCommand(args);
    return (
        await run("ssh", sshArgs(access.controlIp, session.files, [command]), { capture: false })
    ).status;
}

async function ssh(
    access: ClusterAccess,
    session: AccessSession,
    machine: string,
    command: readonly string[],
): Promise<number> {
    const ip = machineIp(access, machine);
    log(access.stack, `ssh to ${machine} (${ip})`);
    return (await run("ssh", sshArgs(ip, session.files, command), { capture: false })).status;
}

async function probe(name: string, ip: string): Promise<WorkerHealth> {
    const get = async (route: string) => {
        const result = await run("curl", curlArgs(`http://${ip}${route}`), { capture: true });
        return result.status === 0
            ? curlResult(result.stdout)
            : { body: "", status: 0, error: tail(result.stderr, 1) };
    };
    const [version, health] = [await get("/version"), await get("/healthz")];
    const shown = (answer: { body: string; status: number; error?: string }, ok: string) =>
        answer.status === 0
            ? `unreachable (${answer.error})`
            : answer.status === 200
              ? ok
              : `HTTP ${answer.status}`;
    return {
        name,
        ip,
        version: shown(version, version.body),
        health: health.status === 503 ? "503 (draining)" : shown(health, "200"),
        healthy: health.status === 200,
    };
}

async function status(access: ClusterAccess, session: AccessSession): Promise<number> {
    console.log(
        `${access.stack}: ${Object.keys(access.machines).length} machines\n${machineTable(access)}`,
    );

    console.log(`\nfleet units (fleetctl list-units through ${access.controlName}):`);
    const units = await fleetctl(access, session, ["list-units"], true);
    if (units.status === 0) process.stdout.write(units.stdout);
    else
        console.log(
            `  fleetctl failed on ${access.controlName} (exit ${units.status}):\n${tail(units.stderr)}`,
        );

    const workers = Object.keys(access.workers).sort();
    if (workers.length === 0) {
        console.log("\nno workers in this stack (prod runs them)");
        return units.status === 0 ? 0 : 1;
    }
    console.log("\nworkers (GET /version and /healthz):");
    const width = Math.max(...workers.map((name) => name.length));
    const health = await Promise.all(workers.map((name) => probe(name, access.workers[name])));
    for (const worker of health) console.log(workerLine(worker, width));
    return units.status === 0 && health.every((w) => w.healthy) ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
    const [stack, command, ...rest] = argv;
    if (
        !stack ||
        !/^[\w./-]+$/.test(stack) ||
        !["fleetctl", "etcdctl", "ssh", "status"].includes(command)
    ) {
        console.error(USAGE);
        return 2;
    }
    if (command === "ssh" && !rest[0]) {
        console.error(`cluster: ssh needs a machine name\n${USAGE}`);
        return 2;
    }

    const access = await readAccess(stack);
    if (command === "ssh") machineIp(access, rest[0]);
    const session = new AccessSession(access);
    try {
        switch (command) {
            case "fleetctl":
                return (await fleetctl(access, session, rest, false)).status;
            case "etcdctl":
                return await etcdctl(access, session, rest);
            case "ssh":
                return await ssh(access, session, rest[0], rest.slice(1));
            default:
                return await status(access, session);
        }
    } finally {
        session.close();
    }
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Let the tool end first, so the private folder is removed on the way out.
    process.on(signal, () => {
        interruptedBy = signal;
        running?.kill(signal);
    });
}

main(process.argv.slice(2)).then(
    (code) => process.exit(interruptedBy ? 128 + os.constants.signals[interruptedBy] : code),
    (err: unknown) => {
        const stack = process.argv[2] ?? "?";
        console.error(err instanceof AccessError ? `cluster: ${stack}: ${err.message}` : err);
        process.exit(1);
    },
);
