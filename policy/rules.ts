// The guard rails of the coreos-cluster stacks as pure functions over a resource's inputs, so tests
// call them on good and bad resource descriptions and policies.ts only wires them to Pulumi.
import * as yaml from "js-yaml";
import { imageProblems } from "./images";

// The engine hands a resource's inputs untyped; every rule reads them with `??` and `typeof`.
// Typing them would take one input interface per resource type, cast once where RULES wires them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

export interface Rule {
    readonly name: string;
    readonly description: string;
    /** Pulumi resource types the rule reads. */
    readonly types: readonly string[];
    /** What is wrong with a resource of one of those types; empty when nothing is. */
    readonly check: (props: Props, type: string) => string[];
}

export const FIREWALL = "gcp:compute/firewall:Firewall";
export const INSTANCE = "gcp:compute/instance:Instance";
export const INSTANCE_TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate";
export const REMOTE_COMMAND = "command:remote:Command";
export const LOCAL_COMMAND = "command:local:Command";
export const COPY_TO_REMOTE = "command:remote:CopyToRemote";

/** What may be open to every address: SSH and HTTP. */
const WORLD_PORTS = new Set(["22", "80", "22-22", "80-80"]);

/** A range that holds every address of its family: 0.0.0.0/0, ::/0 (any prefix length 0). */
export function isWorld(range: string): boolean {
    return /\/0$/.test(range.trim());
}

export function firewallProblems(props: Props): string[] {
    if ((props.direction ?? "INGRESS") !== "INGRESS") return [];
    const ranges: string[] = props.sourceRanges ?? [];
    const otherSources = [...(props.sourceTags ?? []), ...(props.sourceServiceAccounts ?? [])];
    // An ingress rule with no source at all applies to every address.
    const world =
        ranges.length + otherSources.length === 0 ? ["0.0.0.0/0"] : ranges.filter(isWorld);
    if (world.length === 0) return [];

    const from = world.join(", ");
    const problems: string[] = [];
    for (const allow of props.allows ?? []) {
        const protocol = String(allow.protocol).toLowerCase();
        const ports: string[] = (allow.ports ?? []).map(String);
        if (protocol !== "tcp" && protocol !== "6") {
            problems.push(
                `allows ${protocol} from ${from}; only tcp 22 and 80 may be open to every address`,
            );
        } else if (ports.length === 0) {
            problems.push(
                `allows every tcp port from ${from}; only tcp 22 and 80 may be open to every address`,
            );
        } else {
            for (const port of ports.filter((p) => !WORLD_PORTS.has(p))) {
                problems.push(
                    `allows tcp ${port} from ${from}; only tcp 22 and 80 may be open to every address`,
                );
            }
        }
    }
    return problems;
}

export const FLATCAR_IMAGE =
    /^projects\/kinvolk-public\/global\/images\/family\/flatcar-(stable|beta|alpha|lts)$/;

export function bootImageProblems(props: Props, type: string): string[] {
    let image: unknown;
    if (type === INSTANCE_TEMPLATE) {
        const disks: Props[] = props.disks ?? [];
        image = (disks.find((disk) => disk.boot === true) ?? disks[0])?.sourceImage;
    } else {
        image = props.bootDisk?.initializeParams?.image;
    }
    if (typeof image === "string" && FLATCAR_IMAGE.test(image)) return [];
    return [
        `boots ${image === undefined ? "no image family" : `image ${image}`}; expected a Flatcar family, ` +
            "projects/kinvolk-public/global/images/family/flatcar-(stable|beta|alpha|lts)",
    ];
}

/** GCE's limit on one metadata value. */
export const USER_DATA_LIMIT = 256 * 1024;

function userData(props: Props): string | undefined {
    const value = props.metadata?.["user-data"];
    return typeof value === "string" ? value : undefined;
}

export function userDataSizeProblems(props: Props): string[] {
    const text = userData(props);
    if (text === undefined) return [];
    const bytes = Buffer.byteLength(text, "utf8");
    return bytes <= USER_DATA_LIMIT
        ? []
        : [
              `user-data is ${bytes} bytes; GCE takes at most ${USER_DATA_LIMIT} (256 KiB) in one metadata value`,
          ];
}

/**
 * The systemd units a cloud-config installs, by name: each unit's content, each drop-in (under
 * `drop_ins`, or the `drop-ins` that Flatcar ignores), and unit files it writes under /etc/systemd.
 */
export function unitTexts(cloudConfig: string): Map<string, string> {
    const config = (yaml.load(cloudConfig) ?? {}) as Props;
    const units = new Map<string, string>();
    for (const unit of config.coreos?.units ?? []) {
        if (typeof unit.content === "string") units.set(unit.name, unit.content);
        for (const dropIn of [...(unit.drop_ins ?? []), ...(unit["drop-ins"] ?? [])]) {
            if (typeof dropIn.content === "string")
                units.set(`${unit.name}/${dropIn.name}`, dropIn.content);
        }
    }
    for (const file of config.write_files ?? []) {
        if (String(file.path).startsWith("/etc/systemd/") && typeof file.content === "string") {
            units.set(file.path, file.content);
        }
    }
    return units;
}

const COMMAND_FIELDS = ["create", "update", "delete"] as const;

export function pinnedImageProblems(props: Props, type: string): string[] {
    if (type === REMOTE_COMMAND || type === LOCAL_COMMAND) {
        return COMMAND_FIELDS.flatMap((field) =>
            typeof props[field] === "string"
                ? imageProblems(props[field]).map((p) => `${field} ${p}`)
                : [],
        );
    }
    const text = userData(props);
    if (text === undefined) return [];
    let units: Map<string, string>;
    try {
        units = unitTexts(text);
    } catch (err) {
        return [
            `user-data is not YAML, so its units cannot be checked: ${(err as Error).message.split("\n")[0]}`,
        ];
    }
    return [...units].flatMap(([unit, content]) =>
        imageProblems(content).map((p) => `unit ${unit} ${p}`),
    );
}

/** Text that switches off, or trusts on first use, the host-key check of an ssh client. */
const HOST_KEY_CHECK_OFF = new RegExp(
    [
        "StrictHostKeyChecking[= ]+(no|off|accept-new)\\b",
        "UserKnownHostsFile[= ]+/dev/null",
        "--strict-host-key-checking[= ]+false",
    ].join("|"),
    "i",
);

export function hostKeyProblems(props: Props, type: string): string[] {
    const problems: string[] = [];
    const unpinned = (connection: Props | undefined) =>
        typeof connection?.hostKey !== "string" || connection.hostKey.trim() === "";
    if (type !== LOCAL_COMMAND) {
        if (unpinned(props.connection)) {
            problems.push(
                `connects to ${props.connection?.host ?? "its host"} without connection.hostKey, so any host key is accepted`,
            );
        }
        if (props.connection?.proxy !== undefined && unpinned(props.connection.proxy)) {
            problems.push(
                `jumps through ${props.connection.proxy.host ?? "its proxy"} without proxy.hostKey, so any host key is accepted`,
            );
        }
    }
    for (const field of COMMAND_FIELDS) {
        if (typeof props[field] === "string" && HOST_KEY_CHECK_OFF.test(props[field])) {
            problems.push(
                `${field} runs ssh with its host-key check switched off (or trusting on first use)`,
            );
        }
    }
    return problems;
}

export const RULES: readonly Rule[] = [
    {
        name: "firewall-world-open-only-ssh-http",
        description: "No firewall rule opens anything but tcp 22 and 80 to 0.0.0.0/0 or ::/0.",
        types: [FIREWALL],
        check: firewallProblems,
    },
    {
        name: "instance-boots-flatcar",
        description: "Every instance boots a Flatcar image family of project kinvolk-public.",
        types: [INSTANCE, INSTANCE_TEMPLATE],
        check: bootImageProblems,
    },
    {
        name: "images-pinned",
        description:
            "No image tagged :latest, and no untagged image, in a unit of user-data or in a command.",
        types: [INSTANCE, INSTANCE_TEMPLATE, REMOTE_COMMAND, LOCAL_COMMAND],
        check: pinnedImageProblems,
    },
    {
        name: "user-data-size",
        description: "user-data fits GCE's 256 KiB limit on one metadata value.",
        types: [INSTANCE, INSTANCE_TEMPLATE],
        check: userDataSizeProblems,
    },
    {
        name: "remote-host-key-pinned",
        description:
            "Every remote command and copy pins its machine's host key, and no command switches the check off.",
        types: [REMOTE_COMMAND, COPY_TO_REMOTE, LOCAL_COMMAND],
        check: hostKeyProblems,
    },
];
