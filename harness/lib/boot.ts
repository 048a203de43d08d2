// What a harness machine boots with: its user-data exactly as the program renders it, applied
// the way coreos-cloudinit does (files, authorized keys, then units), less what cannot run here.
import * as yaml from "js-yaml";
import { ClusterConfig, parseConfig, PROJECT } from "../../components/config";
import { stackConfig } from "../../render/stack-config";

export interface UserDataFile {
    readonly path: string;
    readonly permissions: string;
    readonly owner: string;
    readonly content: string;
}

export interface UserDataUnit {
    readonly name: string;
    readonly command?: string;
    readonly content?: string;
    readonly drop_ins?: readonly { readonly name: string; readonly content: string }[];
}

export interface BootPlan {
    readonly files: readonly UserDataFile[];
    readonly authorizedKeys: readonly string[];
    /** Units to install, in the user-data's order. */
    readonly units: readonly UserDataUnit[];
    /** Units cloud-config starts, in order. */
    readonly start: readonly string[];
}

const NO_FLEET =
    "fleet cannot be installed here; the fleetctl double on the control node stands in";
const NO_DISK = "no GCE disk here: /var/lib/registry is a folder of the machine";

/** Units of the user-data that the harness leaves out, and why. */
export const SKIPPED_UNITS: Readonly<Record<string, string>> = {
    "fleet-install.service": NO_FLEET,
    "fleet.socket": NO_FLEET,
    "fleet.service": NO_FLEET,
    "etcd-member.service": "no etcd here: only fleet uses it",
    "registry-disk-format.service": NO_DISK,
    "var-lib-registry.mount": NO_DISK,
};

/** The prod stack's configuration with its defaults; the harness gives its own machines. */
export function harnessConfig(): ClusterConfig {
    const raw = Object.fromEntries(
        Object.entries(stackConfig("prod"))
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
    );
    return { ...parseConfig(raw), machines: [] };
}

/** Reads a machine's rendered user-data into what to write and start. */
export function bootPlan(userData: string): BootPlan {
    const config = yaml.load(userData) as {
        ssh_authorized_keys?: string[];
        write_files?: UserDataFile[];
        coreos?: { units?: UserDataUnit[] };
    };
    const units = (config.coreos?.units ?? []).filter((unit) => !(unit.name in SKIPPED_UNITS));
    return {
        files: config.write_files ?? [],
        authorizedKeys: config.ssh_authorized_keys ?? [],
        units,
        start: units.filter((unit) => unit.command === "start").map((unit) => unit.name),
    };
}

/**
 * A drop-in that leaves out a unit's `docker pull` of a Docker Hub image (a name without a
 * registry host): Docker Hub is not reachable here, and the harness has loaded a Debian-built
 * stand-in under that name beforehand. Undefined when the unit pulls nothing from Docker Hub.
 */
export function withoutHubPulls(unitText: string): string | undefined {
    const pre = logicalLines(unitText).filter((line) => line.startsWith("ExecStartPre="));
    const hubPull = (line: string) => {
        const pulled = /^ExecStartPre=-?\/usr\/bin\/docker pull (\S+)$/.exec(line)?.[1];
        return pulled !== undefined && !/^[^/]*[.:][^/]*\//.test(pulled);
    };
    if (!pre.some(hubPull)) return undefined;
    return [
        "# Harness: Docker Hub is not reachable here; the image was loaded into this docker beforehand.",
        "[Service]",
        "ExecStartPre=",
        ...pre.filter((line) => !hubPull(line)),
        "",
    ].join("\n");
}

/** A unit's lines with their continuations joined. */
function logicalLines(unitText: string): string[] {
    const lines: string[] = [];
    let held = "";
    for (const line of unitText.split("\n")) {
        if (line.endsWith("\\")) {
            held += `${line.slice(0, -1).trimEnd()} `;
            continue;
        }
        lines.push(held + (held ? line.trimStart() : line));
        held = "";
    }
    return lines;
}
