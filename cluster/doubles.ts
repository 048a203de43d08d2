// Test doubles for the tools `npm run cluster` runs: pulumi, ssh, fleetctl and curl. Each is a
// small node script put first on PATH; it records its argv (and the private files it was handed,
// with their modes) in a log, then answers as the real tool would in the test's scenario.
import * as fs from "fs";
import * as path from "path";

export const DOUBLED_TOOLS = ["pulumi", "ssh", "fleetctl", "curl"] as const;

/** What one double saw. */
export interface DoubleCall {
    tool: string;
    argv: string[];
    /** mode (octal) and content of the files the call named: key, known hosts. */
    files: Record<string, { mode: string; content: string } | null>;
    /** Public keys in the agent fleetctl was given (`ssh-add -L`). */
    agentKeys?: string;
}

/** The scenario the doubles play: stack outputs by stack name, curl answers by URL. */
export interface Scenario {
    stacks: Record<string, unknown>;
    curl: Record<string, { stdout: string; status: number; stderr?: string }>;
    sshExit?: number;
    /** How long the ssh double stays connected, in milliseconds. */
    sshMilliseconds?: number;
}

const DOUBLE = String.raw`
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const tool = path.basename(process.argv[1]);
const argv = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(process.env.CLUSTER_DOUBLES_SCENARIO, "utf8"));
const state = (file) => {
    if (!file || !fs.existsSync(file)) return null;
    return { mode: (fs.statSync(file).mode & 0o777).toString(8), content: fs.readFileSync(file, "utf8") };
};
const after = (flag) => argv[argv.indexOf(flag) + 1];
const call = { tool, argv, files: {} };
if (tool === "ssh") {
    call.files.key = state(after("-i"));
    call.files.knownHosts = state((argv.find((a) => a.startsWith("UserKnownHostsFile=")) || "=").split("=")[1]);
}
if (tool === "fleetctl") {
    call.files.knownHosts = state(after("--known-hosts-file"));
    call.agentKeys = spawnSync("ssh-add", ["-L"], { encoding: "utf8" }).stdout.trim();
}
fs.appendFileSync(process.env.CLUSTER_DOUBLES_LOG, JSON.stringify(call) + "\n");

if (tool === "pulumi") {
    const stack = after("--stack");
    if (stack === "offline") {
        // What the pulumi npm package prints when it cannot download the CLI.
        process.stderr.write("Downloading pulumi v3.265.0...\npulumi: fetch failed\n");
        process.exit(1);
    }
    if (!(stack in scenario.stacks)) {
        process.stderr.write("error: no stack named '" + stack + "' found\n");
        process.exit(255);
    }
    process.stdout.write(JSON.stringify(scenario.stacks[stack], null, 4));
} else if (tool === "fleetctl") {
    process.stdout.write("UNIT\t\t\t\tMACHINE\t\t\t\tACTIVE\tSUB\nwebsite1@prod-web1.service\t5e1a.../10.220.2.1\tactive\trunning\n");
} else if (tool === "ssh") {
    setTimeout(() => process.exit(scenario.sshExit || 0), scenario.sshMilliseconds || 0);
} else if (tool === "curl") {
    const answer = scenario.curl[argv[argv.length - 1]];
    process.stdout.write(answer.stdout);
    process.stderr.write(answer.stderr || "");
    process.exit(answer.status);
}
`;

/** Writes the doubles of `tools` into `dir`. */
export function writeDoubles(dir: string, tools: readonly string[] = DOUBLED_TOOLS): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const tool of tools) {
        fs.writeFileSync(path.join(dir, tool), `#!${process.execPath}\n${DOUBLE}`, { mode: 0o755 });
    }
}

export function readCalls(log: string): DoubleCall[] {
    if (!fs.existsSync(log)) return [];
    return fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
}
