// What a stack's outputs say about reaching its machines, checked before anything runs.

/** A stack's machines as `pulumi stack output` gives them. */
export interface ClusterAccess {
    readonly stack: string;
    /** External IP by machine name. */
    readonly machines: Readonly<Record<string, string>>;
    readonly controlIp: string;
    /** The control node's name, for log lines. */
    readonly controlName: string;
    /** External IP by prod worker; empty on staging. */
    readonly workers: Readonly<Record<string, string>>;
    readonly privateKey: string;
    readonly knownHosts: string;
}

/** An error whose message already says what to run to fix it. */
export class AccessError extends Error {}

function deployHint(stack: string): string {
    return `run \`npx pulumi up --stack ${stack}\` with this version of the program, then try again`;
}

function stringOutput(stack: string, outputs: Record<string, unknown>, name: string): string {
    const value = outputs[name];
    if (typeof value !== "string" || value === "") {
        throw new AccessError(`stack ${stack} has no output ${name}: ${deployHint(stack)}`);
    }
    if (value === "[secret]") {
        throw new AccessError(
            `stack ${stack} gave output ${name} as [secret]: read it with --show-secrets`,
        );
    }
    return value;
}

function mapOutput(
    stack: string,
    outputs: Record<string, unknown>,
    name: string,
): Record<string, string> {
    const value = outputs[name];
    const valid =
        typeof value === "object" &&
        value !== null &&
        Object.values(value).every((ip) => typeof ip === "string" && ip !== "");
    if (!valid)
        throw new AccessError(
            `stack ${stack} has no output ${name} (machine name to IP): ${deployHint(stack)}`,
        );
    return value as Record<string, string>;
}

/** Reads the outputs of `pulumi stack output --json --show-secrets`. */
export function clusterAccess(stack: string, outputs: Record<string, unknown>): ClusterAccess {
    const machines = mapOutput(stack, outputs, "externalIps");
    const controlIp = stringOutput(stack, outputs, "controlExternalIp");
    const privateKey = stringOutput(stack, outputs, "sshPrivateKey");
    return {
        stack,
        machines,
        controlIp,
        controlName:
            Object.keys(machines).find((name) => machines[name] === controlIp) ??
            "the control node",
        workers:
            outputs.workerExternalIps === undefined
                ? {}
                : mapOutput(stack, outputs, "workerExternalIps"),
        privateKey: privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`,
        knownHosts: stringOutput(stack, outputs, "knownHosts"),
    };
}

export function machineIp(access: ClusterAccess, machine: string): string {
    const ip = access.machines[machine];
    if (ip === undefined) {
        const known = Object.keys(access.machines).sort().join(", ");
        throw new AccessError(
            `stack ${access.stack} has no machine ${machine}; its machines are ${known}`,
        );
    }
    return ip;
}

/** The machines and their IPs, one a line, names aligned. */
export function machineTable(access: ClusterAccess): string {
    const names = Object.keys(access.machines).sort();
    const width = Math.max(...names.map((name) => name.length));
    return names.map((name) => `  ${name.padEnd(width)}  ${access.machines[name]}`).join("\n");
}

/** How a web server answered: what /version says, /healthz's status, or why it did not answer. */
export interface WorkerHealth {
    readonly name: string;
    readonly ip: string;
    readonly version: string;
    readonly health: string;
    readonly healthy: boolean;
}

export function workerLine(worker: WorkerHealth, width: number): string {
    return `  ${worker.name.padEnd(width)}  ${worker.ip}  version ${worker.version}  healthz ${worker.health}`;
}
