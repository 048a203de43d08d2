// The command lines `npm run cluster` runs, as pure functions: tests compare them exactly, and
// cli.ts only decides where and in what order they run.
import { shellQuote } from "../components/commands";

/** The user every machine lets the operator in as. */
export const OPERATOR_USER = "core";

/** Flatcar's etcd-member.service runs etcd in this container, on the host's network. */
export const ETCD_CONTAINER = "etcd-member";
export const ETCD_LOCAL_ENDPOINT = "http://127.0.0.1:2379";

/** The private files one call writes: the operator's key and the pinned host keys. */
export interface AccessFiles {
    readonly key: string;
    readonly knownHosts: string;
}

export function stackOutputsArgs(stack: string): string[] {
    return ["stack", "output", "--json", "--show-secrets", "--stack", stack];
}

/** ssh to a machine as core: only its pinned host key accepted, only the stack's key offered. */
export function sshArgs(ip: string, files: AccessFiles, command: readonly string[] = []): string[] {
    // prettier-ignore
    return [
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${files.knownHosts}`,
        "-i", files.key,
        "-o", "IdentitiesOnly=yes",
        `${OPERATOR_USER}@${ip}`,
        ...command,
    ];
}

/** fleetctl here, tunnelled through the control node; the key comes from an agent. */
export function fleetctlArgs(
    controlIp: string,
    knownHosts: string,
    args: readonly string[],
): string[] {
    // prettier-ignore
    return [
        "--tunnel", controlIp,
        "--ssh-username", OPERATOR_USER,
        "--known-hosts-file", knownHosts,
        "--strict-host-key-checking=true",
        ...args,
    ];
}

/** A private ssh-agent in the foreground, on a socket of our own; it ends when we stop it. */
export function agentArgs(socket: string): string[] {
    return ["-D", "-a", socket];
}

/** Adds the key to that agent, for ten minutes at most. */
export function agentAddArgs(key: string): string[] {
    return ["-q", "-t", "600", key];
}

/** etcdctl commands that exist only in the v2 API (fleet's data lives there). */
// prettier-ignore
const V2_ONLY = new Set([
    "ls", "mk", "mkdir", "rmdir", "set", "setdir", "update", "updatedir", "rm", "watch",
    "exec-watch", "cluster-health", "backup", "import",
]);

/**
 * Which etcd API an etcdctl call speaks: a leading `--api=2` or `--api=3` says so; otherwise the v2
 * commands (ls, set, cluster-health, ...) get 2, where fleet keeps its state, and the rest 3.
 */
export function etcdctlApi(args: readonly string[]): { api: 2 | 3; args: string[] } {
    const [first, ...rest] = args;
    if (first === "--api=2" || first === "--api=3")
        return { api: first === "--api=2" ? 2 : 3, args: rest };
    return { api: V2_ONLY.has(first) ? 2 : 3, args: [...args] };
}

/** The text run on the control node: etcdctl in etcd's own container, against the local member. */
export function etcdctlRemoteCommand(args: readonly string[]): string {
    const call = etcdctlApi(args);
    // prettier-ignore
    return [
        "docker", "exec", "--env", `ETCDCTL_API=${call.api}`, ETCD_CONTAINER,
        "etcdctl", `--endpoints=${ETCD_LOCAL_ENDPOINT}`, ...call.args.map(shellQuote),
    ].join(" ");
}

/** One HTTP GET that prints the body, then the status code on a line of its own. */
export function curlArgs(url: string): string[] {
    return ["--silent", "--show-error", "--max-time", "5", "--write-out", "\\n%{http_code}", url];
}

/** Splits what curlArgs printed into the body and the status code. */
export function curlResult(stdout: string): { body: string; status: number } {
    const cut = stdout.lastIndexOf("\n");
    return {
        body: stdout.slice(0, Math.max(cut, 0)).trim(),
        status: Number(stdout.slice(cut + 1).trim()),
    };
}
