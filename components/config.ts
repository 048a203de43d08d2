// The stack's configuration, validated in one place before any resource is declared, and the
// machine plan (names, roles, addresses, zones) that follows from it.

export const PROJECT = "coreos-cluster";

export type ClusterKind = "staging" | "prod";
export type Channel = "stable" | "beta" | "alpha" | "lts";

/** What a machine does; its cloud-config template is cloud-config/<role>.yaml. */
export type Role = "control" | "web" | "builder" | "worker";

export interface MachinePlan {
    readonly name: string;
    readonly role: Role;
    /** Reserved internal address, or undefined for an ephemeral one. */
    readonly internalIp?: string;
    readonly zone: string;
    readonly machineType: string;
    /** fleet metadata, k=v,k=v. */
    readonly fleetMetadata: string;
}

export interface ClusterConfig {
    readonly cluster: ClusterKind;
    readonly namePrefix: string;
    readonly region: string;
    readonly zones: readonly string[];
    readonly subnetCidr: string;
    readonly controlCount: 1 | 3;
    readonly workerCount: number;
    readonly channel: Channel;
    readonly bootDiskSizeGb: number;
    readonly registryDiskSizeGb: number;
    readonly sshSourceRanges: readonly string[];
    readonly registryClientRanges: readonly string[];
    readonly stagingStack: string;
    readonly imageTag: string;
    /** Workers restarted together during a release; fewer than the workers, so some keep serving. */
    readonly releaseBatchSize: number;
    /** Seconds a released worker may take to serve the new tag and answer 200 on /healthz. */
    readonly releaseHealthTimeout: number;
    /** Empty when unset: the fleet download then relies on HTTPS alone. */
    readonly fleetSha256: string;
    readonly machines: readonly MachinePlan[];
}

/** Every setting of the project; Pulumi.yaml declares each with its type, description and default. */
export const CONFIG_KEYS = [
    "cluster",
    "namePrefix",
    "region",
    "zones",
    "subnetCidr",
    "addresses",
    "controlCount",
    "workerCount",
    "channel",
    "controlMachineType",
    "webMachineType",
    "builderMachineType",
    "bootDiskSizeGb",
    "registryDiskSizeGb",
    "sshSourceRanges",
    "registryClientRanges",
    "stagingStack",
    "imageTag",
    "releaseBatchSize",
    "releaseHealthTimeout",
    "fleetSha256",
    "fleetMetadata",
] as const;

/** Raw values as Pulumi gives them: strings, numbers, booleans and arrays, keyed without namespace. */
export type RawConfig = Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid configuration:\n  ${problems.join("\n  ")}`);
        this.name = "ConfigError";
    }
}

const CHANNELS: readonly Channel[] = ["stable", "beta", "alpha", "lts"];
const MAX_WORKERS = 100;

/** Validates every key and returns the configuration, or throws one ConfigError listing every problem. */
export function parseConfig(raw: RawConfig): ClusterConfig {
    const problems: string[] = [];
    const bad = (key: string, value: unknown, form: string) =>
        problems.push(`${PROJECT}:${key}: ${JSON.stringify(value)} ${form}`);

    const text = (
        key: string,
        test: (v: string) => boolean,
        form: string,
        fallback: string,
    ): string => {
        const value = raw[key];
        if (typeof value === "string" && test(value)) return value;
        bad(key, value, form);
        return fallback;
    };
    const integer = (key: string, min: number, max: number, form: string): number => {
        const value = typeof raw[key] === "string" ? Number(raw[key]) : raw[key];
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max)
            return value;
        bad(key, raw[key], form);
        return min;
    };
    const list = (key: string, test: (v: string) => boolean, form: string): string[] => {
        const value = typeof raw[key] === "string" ? tryJson(raw[key] as string) : raw[key];
        if (!Array.isArray(value)) {
            bad(key, raw[key], `is not a list; expected ${form}`);
            return [];
        }
        for (const item of value) {
            if (typeof item !== "string" || !test(item)) bad(key, item, `is not ${form}`);
        }
        return value.filter((item): item is string => typeof item === "string");
    };

    const cluster = text(
        "cluster",
        (v) => v === "staging" || v === "prod",
        "is not a cluster; expected staging or prod",
        "staging",
    ) as ClusterKind;
    const namePrefix = text(
        "namePrefix",
        (v) => /^[a-z][a-z0-9-]{0,19}$/.test(v),
        "is not a name prefix; expected 1 to 20 lowercase letters, digits or dashes, starting with a letter",
        "tsc",
    );
    const region = text(
        "region",
        isRegion,
        "is not a GCE region; expected a name like us-central1",
        "us-central1",
    );
    const zones = list(
        "zones",
        (z) => isRegion(region) && isZoneOf(z, region),
        `a zone of region ${region}, like ${region}-a`,
    );
    if (zones.length === 0 && Array.isArray(raw.zones))
        bad("zones", raw.zones, `is empty; expected at least one zone of ${region}`);
    const subnetCidr = text(
        "subnetCidr",
        (v) => parseCidr(v) !== undefined && isPrivate(v),
        "is not a private IPv4 range; expected a CIDR like 10.200.0.0/16 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /8 to /29",
        "10.200.0.0/16",
    );
    const controlCount = integer(
        "controlCount",
        1,
        3,
        "is not a control node count; expected 1 or 3",
    );
    if (controlCount === 2)
        bad(
            "controlCount",
            raw.controlCount,
            "is not a control node count; expected 1 or 3 (etcd needs a majority)",
        );
    const workerCount = integer(
        "workerCount",
        1,
        MAX_WORKERS,
        `is not a worker count; expected a whole number from 1 to ${MAX_WORKERS}`,
    );
    const channel = text(
        "channel",
        (v) => (CHANNELS as string[]).includes(v),
        `is not a Flatcar channel; expected ${CHANNELS.join(", ")}`,
        "stable",
    ) as Channel;
    const machineType = (key: string) =>
        text(
            key,
            (v) => /^[a-z][a-z0-9-]*[a-z0-9]$/.test(v),
            "is not a machine type; expected a GCE name like e2-small",
            "e2-small",
        );
    const controlMachineType = machineType("controlMachineType");
    const webMachineType = machineType("webMachineType");
    const builderMachineType = machineType("builderMachineType");
    const bootDiskSizeGb = integer(
        "bootDiskSizeGb",
        10,
        1000,
        "is not a disk size; expected a whole number of GB from 10 to 1000",
    );
    const registryDiskSizeGb = integer(
        "registryDiskSizeGb",
        10,
        2000,
        "is not a disk size; expected a whole number of GB from 10 to 2000",
    );
    const cidrForm = "an IPv4 range; expected a CIDR like 203.0.113.0/24";
    const sshSourceRanges = list("sshSourceRanges", (v) => parseCidr(v) !== undefined, cidrForm);
    const registryClientRanges = list(
        "registryClientRanges",
        (v) => parseCidr(v) !== undefined,
        cidrForm,
    );
    const stagingStack = text(
        "stagingStack",
        (v) => /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(v),
        "is not a stack name; expected organization/project/stack",
        "",
    );
    const imageTag = text(
        "imageTag",
        (v) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) && v !== "latest",
        "is not an immutable docker tag; expected 1 to 128 letters, digits, _ . or -, not starting with . or -, and not latest",
        "v1",
    );
    // A batch of every worker would take the site down; a single worker cannot avoid it.
    const batchMax = Math.max(1, workerCount - 1);
    const releaseBatchSize = integer(
        "releaseBatchSize",
        1,
        batchMax,
        `is not a release batch size for ${workerCount} worker(s); expected a whole number from 1 to ${batchMax}, so other workers keep serving`,
    );
    const releaseHealthTimeout = integer(
        "releaseHealthTimeout",
        10,
        3600,
        "is not a health timeout; expected a whole number of seconds from 10 to 3600",
    );
    const fleetSha256 = text(
        "fleetSha256",
        (v) => v === "" || /^[0-9a-f]{64}$/.test(v),
        "is not a SHA-256; expected 64 lowercase hex digits, or empty",
        "",
    );
    const fleetMetadata = text(
        "fleetMetadata",
        (v) => v === "" || isFleetMetadata(v),
        "is not fleet metadata; expected k=v,k=v with letters, digits, _ . or - on both sides",
        "",
    );
    const overrides = parseAddressOverrides(
        list("addresses", (v) => /^[a-z0-9-]+=\S+$/.test(v), "machine=ip"),
    );

    if (problems.length === 0) {
        const machines = planMachines({
            cluster,
            namePrefix,
            subnetCidr,
            zones,
            controlCount: controlCount as 1 | 3,
            workerCount,
            controlMachineType,
            webMachineType,
            builderMachineType,
            fleetMetadata,
            overrides,
        });
        problems.push(...checkAddresses(machines, subnetCidr, overrides));
        if (problems.length === 0) {
            return {
                cluster,
                namePrefix,
                region,
                zones,
                subnetCidr,
                controlCount: controlCount as 1 | 3,
                workerCount,
                channel,
                bootDiskSizeGb,
                registryDiskSizeGb,
                sshSourceRanges,
                registryClientRanges,
                stagingStack,
                imageTag,
                releaseBatchSize,
                releaseHealthTimeout,
                fleetSha256,
                machines,
            };
        }
    }
    throw new ConfigError(problems);
}

interface PlanInput {
    cluster: ClusterKind;
    namePrefix: string;
    subnetCidr: string;
    zones: readonly string[];
    controlCount: 1 | 3;
    workerCount: number;
    controlMachineType: string;
    webMachineType: string;
    builderMachineType: string;
    fleetMetadata: string;
    overrides: ReadonlyMap<string, string>;
}

/**
 * The book's machines and address plan: control node N at x.y.1.N, prod worker N at x.y.(N+1).1,
 * tsc-staging1 at x.y.3.1, the builder at x.y.4.1 and tsc-test1 on an ephemeral address.
 */
export function planMachines(input: PlanInput): MachinePlan[] {
    const { cluster, namePrefix: prefix, zones } = input;
    const [a, b] = input.subnetCidr.split(/[./]/);
    const at = (third: number, fourth: number) => `${a}.${b}.${third}.${fourth}`;
    const zone = (index: number) => zones[index % zones.length];
    const metadata = (pairs: string) =>
        [pairs, input.fleetMetadata].filter((p) => p !== "").join(",");
    const machine = (m: Omit<MachinePlan, "internalIp">, ip?: string): MachinePlan => ({
        ...m,
        internalIp: input.overrides.get(m.name) ?? ip,
    });

    const machines: MachinePlan[] = [];
    for (let n = 1; n <= input.controlCount; n++) {
        const name = `${prefix}-control${n}`;
        machines.push(
            machine(
                {
                    name,
                    role: "control",
                    zone: zone(n - 1),
                    machineType: input.controlMachineType,
                    fleetMetadata: metadata(`role=services,cpeer=${name}`),
                },
                at(1, n),
            ),
        );
    }
    if (cluster === "staging") {
        const web = (name: string) => ({
            name,
            role: "web" as const,
            zone: zone(0),
            machineType: input.webMachineType,
            fleetMetadata: metadata(`role=worker,cpeer=${name}`),
        });
        machines.push(machine(web(`${prefix}-staging1`), at(3, 1)));
        machines.push(machine(web(`${prefix}-test1`)));
        const builder = `${prefix}-registry-cbuilder1`;
        machines.push(
            machine(
                {
                    name: builder,
                    role: "builder",
                    zone: zone(0),
                    machineType: input.builderMachineType,
                    fleetMetadata: metadata(`role=services,cpeer=${builder}`),
                },
                at(4, 1),
            ),
        );
    } else {
        for (let n = 1; n <= input.workerCount; n++) {
            const name = `${prefix}-web${n}`;
            machines.push(
                machine(
                    {
                        name,
                        role: "worker",
                        zone: zone(n - 1),
                        machineType: input.webMachineType,
                        fleetMetadata: metadata(`role=worker,cpeer=${name},service=website1`),
                    },
                    at(n + 1, 1),
                ),
            );
        }
    }
    return machines;
}

function checkAddresses(
    machines: readonly MachinePlan[],
    subnetCidr: string,
    overrides: ReadonlyMap<string, string>,
): string[] {
    const problems: string[] = [];
    const names = new Set(machines.map((m) => m.name));
    for (const name of overrides.keys()) {
        if (!names.has(name)) {
            problems.push(
                `${PROJECT}:addresses: ${JSON.stringify(name)} is not a machine of this stack; expected one of ${[...names].join(", ")}`,
            );
        }
    }
    const subnet = parseCidr(subnetCidr)!;
    const owner = new Map<string, string>();
    for (const m of machines) {
        if (m.internalIp === undefined) continue;
        const key = overrides.has(m.name) ? "addresses" : "subnetCidr";
        const ip = parseIp(m.internalIp);
        const where = `${PROJECT}:${key}: address ${JSON.stringify(m.internalIp)} of ${m.name}`;
        if (ip === undefined) {
            problems.push(`${where} is not an IPv4 address; expected a form like 10.200.1.1`);
        } else if (!inRange(ip, subnet)) {
            problems.push(
                `${where} is outside the subnet ${subnetCidr}; expected an address inside it (set addresses to machine=ip)`,
            );
        } else if (isGceReserved(ip, subnet)) {
            problems.push(
                `${where} is reserved by GCE (the first two and the last two of ${subnetCidr}); expected another address`,
            );
        } else if (owner.has(m.internalIp)) {
            problems.push(
                `${where} is already the address of ${owner.get(m.internalIp)}; expected a distinct address per machine`,
            );
        } else {
            owner.set(m.internalIp, m.name);
        }
    }
    return problems;
}

function parseAddressOverrides(entries: readonly string[]): Map<string, string> {
    return new Map(
        entries.filter((e) => e.includes("=")).map((e) => e.split("=", 2) as [string, string]),
    );
}

export function isFleetMetadata(value: string): boolean {
    return value.split(",").every((pair) => /^[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+$/.test(pair));
}

function isRegion(value: string): boolean {
    return /^[a-z]+-[a-z]+[0-9]+$/.test(value);
}

function isZoneOf(zone: string, region: string): boolean {
    return zone.startsWith(`${region}-`) && /^[a-z]$/.test(zone.slice(region.length + 1));
}

function tryJson(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

interface Range {
    readonly base: number;
    readonly bits: number;
}

function parseIp(value: string): number | undefined {
    const parts = value.split(".");
    if (
        parts.length !== 4 ||
        !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)
    )
        return undefined;
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function parseCidr(value: string): Range | undefined {
    const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(value);
    if (!match) return undefined;
    const ip = parseIp(match[1]);
    const bits = Number(match[2]);
    if (ip === undefined || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    if (ip % size !== 0) return undefined;
    return { base: ip, bits };
}

function inRange(ip: number, range: Range): boolean {
    return ip >= range.base && ip < range.base + 2 ** (32 - range.bits);
}

function isGceReserved(ip: number, range: Range): boolean {
    const last = range.base + 2 ** (32 - range.bits) - 1;
    return ip <= range.base + 1 || ip >= last - 1;
}

function isPrivate(cidr: string): boolean {
    const range = parseCidr(cidr)!;
    if (range.bits < 8 || range.bits > 29) return false;
    const blocks = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);
    return blocks.some((block) => range.bits >= block.bits && inRange(range.base, block));
}
