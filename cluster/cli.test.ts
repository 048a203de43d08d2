// `npm run cluster` end to end, with doubles of pulumi, ssh, fleetctl and curl first on PATH (see
// doubles.ts) and the real ssh-agent and ssh-add: the exact command lines, the private files and
// their removal, and the messages when something is missing.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../components/userdata";
import { AccessFiles, curlArgs, sshArgs } from "./commands";
import { DoubleCall, readCalls, Scenario, writeDoubles } from "./doubles";

const CLI = path.join(REPO_ROOT, "build", "js", "cluster", "cli.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-cli-test-"));
const doubles = path.join(work, "doubles");
const realTools = path.join(work, "tools");
const log = path.join(work, "calls.jsonl");
const scenarioFile = path.join(work, "scenario.json");
/** The CLI's TMPDIR: its private folder goes here, and must be gone when it ends. */
const tmp = path.join(work, "tmp");

/** Finds a real tool on the test's PATH, or fails saying what to install. */
function realTool(tool: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (dir && fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
    }
    throw new Error(
        `${tool} is not installed; install it with: sudo apt-get install openssh-client`,
    );
}

function operatorKey(): { privateKey: string; publicKey: string } {
    const file = path.join(work, "operator");
    const made = spawnSync(
        realTool("ssh-keygen"),
        ["-q", "-t", "ed25519", "-N", "", "-C", "operator", "-f", file],
        { encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
    return {
        privateKey: fs.readFileSync(file, "utf8"),
        publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim(),
    };
}

const key = (() => {
    writeDoubles(doubles);
    fs.mkdirSync(realTools);
    for (const tool of ["ssh-agent", "ssh-add"])
        fs.symlinkSync(realTool(tool), path.join(realTools, tool));
    fs.mkdirSync(tmp);
    return operatorKey();
})();

const KNOWN_HOSTS =
    "203.0.113.10 ssh-ed25519 AAAAhostkeyofcontrol1\n203.0.113.11 ssh-ed25519 AAAAhostkeyofweb1\n";
const prodOutputs = {
    externalIps: {
        "prod-control1": "203.0.113.10",
        "prod-web1": "203.0.113.11",
        "prod-web2": "203.0.113.12",
    },
    controlExternalIp: "203.0.113.10",
    workerExternalIps: { "prod-web1": "203.0.113.11", "prod-web2": "203.0.113.12" },
    knownHosts: KNOWN_HOSTS,
    sshPrivateKey: key.privateKey,
    siteUrl: "http://203.0.113.20/",
};
const stagingOutputs = {
    externalIps: { "tsc-control1": "203.0.113.30", "tsc-staging1": "203.0.113.31" },
    controlExternalIp: "203.0.113.30",
    knownHosts: "203.0.113.30 ssh-ed25519 AAAAhostkeyoftsc\n",
    sshPrivateKey: key.privateKey,
};
const answer = (stdout: string, status = 0, stderr = "") => ({ stdout, status, stderr });
const baseScenario: Scenario = {
    stacks: {
        prod: prodOutputs,
        staging: stagingOutputs,
        bare: { externalIps: prodOutputs.externalIps },
    },
    curl: {
        "http://203.0.113.11/version": answer("v7\n\n200"),
        "http://203.0.113.11/healthz": answer("ok\n\n200"),
        "http://203.0.113.12/version": answer("v7\n\n200"),
        "http://203.0.113.12/healthz": answer("draining\n\n503"),
    },
};

interface CliRun {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: DoubleCall[];
}

/** The CLI's whole environment: the doubles (or the given folders) on PATH, and nothing else. */
function cliEnv(pathDirs = [doubles, realTools]): NodeJS.ProcessEnv {
    return {
        PATH: pathDirs.join(path.delimiter),
        TMPDIR: tmp,
        HOME: work,
        CLUSTER_DOUBLES_LOG: log,
        CLUSTER_DOUBLES_SCENARIO: scenarioFile,
    };
}

function cluster(
    args: string[],
    options: { scenario?: Partial<Scenario>; path?: string[] } = {},
): CliRun {
    fs.rmSync(log, { force: true });
    fs.writeFileSync(scenarioFile, JSON.stringify({ ...baseScenario, ...options.scenario }));
    const run = spawnSync(process.execPath, [CLI, ...args], {
        encoding: "utf8",
        env: cliEnv(options.path),
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls: readCalls(log) };
}

/** The private folder a call used, from the file a double was handed. */
function privateDir(file: string): string {
    const dir = path.dirname(file);
    expect(path.dirname(dir)).toBe(tmp);
    expect(path.basename(dir)).toMatch(/^coreos-cluster-/);
    return dir;
}

function files(dir: string): AccessFiles {
    return { key: path.join(dir, "operator-key"), knownHosts: path.join(dir, "known_hosts") };
}

/** Processes still running whose command line names the path (an agent left behind would). */
function processesNaming(text: string): string[] {
    return fs.readdirSync("/proc").filter((pid) => {
        try {
            return (
                /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)
            );
        } catch {
            return false;
        }
    });
}

const PULUMI_CALL = {
    tool: "pulumi",
    argv: ["stack", "output", "--json", "--show-secrets", "--stack", "prod"],
    files: {},
};

afterEach(() => {
    // Whatever happened, nothing private is left in the CLI's temp folder.
    const left = fs.readdirSync(tmp);
    for (const entry of left) fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
    expect(left).toEqual([]);
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("fleetctl runs through the control node's tunnel with the pinned host keys and a private agent", () => {
    const run = cluster(["prod", "fleetctl", "list-machines"]);
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => c.tool)).toEqual(["pulumi", "fleetctl"]);
    expect(run.calls[0]).toEqual(PULUMI_CALL);

    const fleetctl = run.calls[1];
    const dir = privateDir(fleetctl.argv[5]);
    expect(fleetctl.argv).toEqual([
        "--tunnel",
        "203.0.113.10",
        "--ssh-username",
        "core",
        "--known-hosts-file",
        path.join(dir, "known_hosts"),
        "--strict-host-key-checking=true",
        "list-machines",
    ]);
    expect(fleetctl.files.knownHosts).toEqual({ mode: "600", content: KNOWN_HOSTS });
    expect(fleetctl.agentKeys).toBe(key.publicKey);

    expect(run.stdout).toContain("website1@prod-web1.service");
    expect(run.stderr).toBe(
        "cluster: prod: reading the stack's outputs (pulumi stack output)\n" +
            "cluster: prod: fleetctl list-machines through prod-control1 (203.0.113.10)\n",
    );
    expect(fs.existsSync(dir)).toBe(false);
    expect(processesNaming(dir)).toEqual([]);
});

test("etcdctl runs in etcd's container on the control node, over ssh with the key file (mode 0600)", () => {
    const run = cluster(["prod", "etcdctl", "ls", "/_coreos.com/fleet/machines"]);
    expect(run.status).toBe(0);
    const ssh = run.calls[1];
    const dir = privateDir(ssh.argv[5]);
    expect(run.calls.map((c) => c.tool)).toEqual(["pulumi", "ssh"]);
    // The command lines themselves are compared literally in commands.test.ts.
    expect(ssh.argv).toEqual(
        sshArgs("203.0.113.10", files(dir), [
            "docker exec --env ETCDCTL_API=2 etcd-member etcdctl --endpoints=http://127.0.0.1:2379 " +
                "ls /_coreos.com/fleet/machines",
        ]),
    );
    expect(ssh.files.key).toEqual({ mode: "600", content: key.privateKey });
    expect(ssh.files.knownHosts).toEqual({ mode: "600", content: KNOWN_HOSTS });
    expect(run.stderr).toContain(
        "cluster: prod: etcdctl (API v2) on prod-control1 (203.0.113.10)\n",
    );
    expect(fs.existsSync(dir)).toBe(false);
});

test("ssh reaches any machine by name, runs the command given and returns its exit code", () => {
    const run = cluster(
        ["prod", "ssh", "prod-web2", "systemctl", "is-active", "website1@prod-web2"],
        { scenario: { sshExit: 3 } },
    );
    expect(run.status).toBe(3);
    const ssh = run.calls[1];
    const dir = privateDir(ssh.argv[5]);
    expect(ssh.argv).toEqual(
        sshArgs("203.0.113.12", files(dir), ["systemctl", "is-active", "website1@prod-web2"]),
    );
    expect(run.stderr).toContain("cluster: prod: ssh to prod-web2 (203.0.113.12)\n");
    expect(`${run.stdout}${run.stderr}`).not.toContain(key.privateKey.split("\n")[1]);
});

test("status prints the machines, fleet's units and each worker's /version and /healthz", () => {
    const run = cluster(["prod", "status"]);
    expect(run.calls.map((c) => c.tool)).toEqual([
        "pulumi",
        "fleetctl",
        "curl",
        "curl",
        "curl",
        "curl",
    ]);
    expect(run.calls[1].argv.slice(-1)).toEqual(["list-units"]);
    expect(
        run.calls
            .slice(2)
            .map((c) => c.argv)
            .sort(),
    ).toEqual(
        ["11/healthz", "11/version", "12/healthz", "12/version"].map((route) =>
            curlArgs(`http://203.0.113.${route}`),
        ),
    );
    expect(run.stdout).toBe(
        [
            "prod: 3 machines",
            "  prod-control1  203.0.113.10",
            "  prod-web1      203.0.113.11",
            "  prod-web2      203.0.113.12",
            "",
            "fleet units (fleetctl list-units through prod-control1):",
            "UNIT\t\t\t\tMACHINE\t\t\t\tACTIVE\tSUB",
            "website1@prod-web1.service\t5e1a.../10.220.2.1\tactive\trunning",
            "",
            "workers (GET /version and /healthz):",
            "  prod-web1  203.0.113.11  version v7  healthz 200",
            "  prod-web2  203.0.113.12  version v7  healthz 503 (draining)",
            "",
        ].join("\n"),
    );
    // A draining worker makes status fail, so scripts can wait on it.
    expect(run.status).toBe(1);
});

test("status names a worker that does not answer, and a stack without workers checks none", () => {
    const down = cluster(["prod", "status"], {
        scenario: {
            curl: {
                ...baseScenario.curl,
                "http://203.0.113.12/version": answer(
                    "",
                    28,
                    "curl: (28) Connection timed out after 5001 milliseconds\n",
                ),
                "http://203.0.113.12/healthz": answer(
                    "",
                    7,
                    "curl: (7) Failed to connect to 203.0.113.12 port 80\n",
                ),
            },
        },
    });
    expect(down.stdout).toContain(
        "  prod-web2  203.0.113.12  version unreachable (curl: (28) Connection timed out after 5001 milliseconds)" +
            "  healthz unreachable (curl: (7) Failed to connect to 203.0.113.12 port 80)\n",
    );
    expect(down.status).toBe(1);

    const staging = cluster(["staging", "status"]);
    expect(staging.calls.map((c) => c.tool)).toEqual(["pulumi", "fleetctl"]);
    expect(staging.stdout).toMatch(/\nno workers in this stack \(prod runs them\)\n$/);
    expect(staging.status).toBe(0);
});

test("interrupted while a tool runs, the tool is stopped and the private folder still removed", async () => {
    fs.rmSync(log, { force: true });
    fs.writeFileSync(scenarioFile, JSON.stringify({ ...baseScenario, sshMilliseconds: 20000 }));
    const child = spawn(process.execPath, [CLI, "prod", "ssh", "prod-web1"], {
        env: cliEnv(),
    });
    const ended = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let turn = 0; turn < 200 && readCalls(log).length < 2; turn++) {
        await new Promise((r) => setTimeout(r, 50));
    }
    expect(readCalls(log).map((c) => c.tool)).toEqual(["pulumi", "ssh"]);
    expect(fs.readdirSync(tmp)).toHaveLength(1);

    child.kill("SIGTERM");
    expect(await ended).toBe(143);
});

describe("clear messages", () => {
    test("without arguments, the usage", () => {
        const run = cluster([]);
        expect([run.status, run.stderr.split("\n")[0]]).toEqual([
            2,
            "usage: npm run cluster -- <stack> <command>",
        ]);
        expect(run.calls).toEqual([]);
    });

    test("the pulumi CLI missing", () => {
        const run = cluster(["prod", "status"], { path: [realTools] });
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
            "cluster: prod: reading the stack's outputs (pulumi stack output)\n" +
                "cluster: prod: the Pulumi CLI is not on PATH: run `npm ci` in the repository and call this as " +
                "`npm run cluster -- ...` (the pulumi package fetches the CLI), or install the Pulumi CLI\n",
        );
    });

    test("the pulumi npm package unable to fetch the CLI", () => {
        const run = cluster(["offline", "status"]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "cluster: offline: the Pulumi CLI could not be fetched:\nDownloading pulumi v3.265.0...\n" +
                "pulumi: fetch failed\nThe `pulumi` npm package downloads the CLI on first use:",
        );
        expect(run.stderr).not.toContain("npx pulumi login");
    });

    test("the stack missing, with pulumi's own words", () => {
        const run = cluster(["qa", "status"]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "cluster: qa: pulumi could not read the outputs of stack qa:\nerror: no stack named 'qa' found\n" +
                "Check the backend and the stack with `npx pulumi login` and `npx pulumi stack ls`; a new stack is made " +
                "with `npx pulumi stack init qa` and `npx pulumi up --stack qa`.\n",
        );
        expect(run.calls.map((c) => c.tool)).toEqual(["pulumi"]);
    });

    test("an output missing", () => {
        const run = cluster(["bare", "fleetctl", "list-units"]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "cluster: bare: stack bare has no output controlExternalIp: " +
                "run `npx pulumi up --stack bare` with this version of the program, then try again\n",
        );
    });

    test("an unknown machine, with the stack's machines", () => {
        const run = cluster(["prod", "ssh", "prod-web9"]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "cluster: prod: stack prod has no machine prod-web9; its machines are prod-control1, prod-web1, prod-web2\n",
        );
        expect(run.calls.map((c) => c.tool)).toEqual(["pulumi"]);
    });

    test("fleetctl missing, after the private files were written: they are removed all the same", () => {
        const onlySome = path.join(work, "no-fleetctl");
        writeDoubles(onlySome, ["pulumi"]);
        const run = cluster(["prod", "fleetctl", "list-units"], { path: [onlySome, realTools] });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "cluster: prod: fleetctl is not on PATH: install fleetctl v1.0.0 from fleet's release tarball " +
                "fleet-v1.0.0-linux-amd64.tar.gz (see the README, Operating)\n",
        );
    });
});
