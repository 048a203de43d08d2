// Every rendered user-data: parses, uses only keys coreos-cloudinit knows, no hyphenated key (Flatcar
// ignores them silently), file modes as quoted octal strings, within GCE's size limit.
import { renderBoth } from "../render/fixture";
import { checkUserDataSize, MAX_USER_DATA_BYTES } from "../components/userdata";

/** The keys coreos-cloudinit reads (its config package), and the shape of each. */
const SCHEMA: Schema = {
    hostname: "string",
    manage_etc_hosts: "string",
    ssh_authorized_keys: ["string"],
    write_files: [
        {
            path: "string",
            content: "string",
            encoding: "string",
            permissions: "string",
            owner: "string",
        },
    ],
    users: [
        {
            name: "string",
            gecos: "string",
            passwd: "string",
            homedir: "string",
            no_create_home: "boolean",
            primary_group: "string",
            groups: ["string"],
            no_user_group: "boolean",
            ssh_authorized_keys: ["string"],
            coreos_ssh_import_github: "string",
            coreos_ssh_import_github_users: ["string"],
            coreos_ssh_import_url: "string",
            system: "boolean",
            no_log_init: "boolean",
            shell: "string",
        },
    ],
    coreos: {
        update: { reboot_strategy: "string", group: "string", server: "string" },
        locksmith: {
            endpoint: "string",
            etcd_cafile: "string",
            etcd_certfile: "string",
            etcd_keyfile: "string",
            group: "string",
            window_start: "string",
            window_length: "string",
        },
        units: [
            {
                name: "string",
                runtime: "boolean",
                enable: "boolean",
                content: "string",
                command: "string",
                mask: "boolean",
                drop_ins: [{ name: "string", content: "string" }],
            },
        ],
    },
};

type Schema = "string" | "boolean" | Schema[] | { [key: string]: Schema };

/** Every way a value strays from the schema, as `path: problem`. */
function violations(value: unknown, schema: Schema, at: string): string[] {
    if (schema === "string" || schema === "boolean") {
        return typeof value === schema
            ? []
            : [`${at}: expected a ${schema}, got ${JSON.stringify(value)}`];
    }
    if (Array.isArray(schema)) {
        if (!Array.isArray(value)) return [`${at}: expected a list`];
        return value.flatMap((item, i) => violations(item, schema[0], `${at}[${i}]`));
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
        return [`${at}: expected a mapping`];
    return Object.entries(value).flatMap(([key, item]) =>
        key in schema
            ? violations(item, schema[key], `${at}.${key}`)
            : [`${at}.${key}: not a key coreos-cloudinit knows`],
    );
}

function keysOf(value: unknown): string[] {
    if (Array.isArray(value)) return value.flatMap(keysOf);
    if (typeof value !== "object" || value === null) return [];
    return Object.entries(value).flatMap(([key, item]) => [key, ...keysOf(item)]);
}

const { staging, prod } = renderBoth();
const machines = [...Object.entries(staging.userData), ...Object.entries(prod.userData)];
const parsed = { ...staging.cloudConfig, ...prod.cloudConfig };

describe.each(machines)("user-data of %s", (machine, text) => {
    test("is a #cloud-config with only keys coreos-cloudinit knows", () => {
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        expect(violations(parsed[machine], SCHEMA, "")).toEqual([]);
    });

    test("has no hyphenated key", () => {
        expect(keysOf(parsed[machine]).filter((key) => key.includes("-"))).toEqual([]);
    });

    test("quotes every file mode as an octal string", () => {
        const modes = text.match(/^\s*permissions:.*$/gm) ?? [];
        expect(modes.length).toBeGreaterThan(0);
        for (const line of modes) expect(line).toMatch(/^\s*permissions: "0[0-7]{3}"$/);
    });

    test("starts every unit it defines", () => {
        for (const unit of parsed[machine].coreos.units)
            expect([unit.name, unit.command]).toEqual([unit.name, "start"]);
    });

    test(`stays within GCE's ${MAX_USER_DATA_BYTES} bytes`, () => {
        expect(Buffer.byteLength(text)).toBeLessThan(MAX_USER_DATA_BYTES);
    });

    test("trusts the registry through its CA, and no insecure registry", () => {
        const files = parsed[machine].write_files.map((f: { path: string }) => f.path);
        expect(files).toContain("/etc/docker/certs.d/10.200.4.1:5000/ca.crt");
        expect(text).not.toMatch(/insecure-registr/);
    });
});

test("the schema check catches a hyphenated or unknown key", () => {
    expect(violations({ coreos: { units: [{ name: "a", "drop-ins": [] }] } }, SCHEMA, "")).toEqual([
        ".coreos.units[0].drop-ins: not a key coreos-cloudinit knows",
    ]);
    expect(violations({ coreos: { update: { "reboot-strategy": "off" } } }, SCHEMA, "")).toEqual([
        ".coreos.update.reboot-strategy: not a key coreos-cloudinit knows",
    ]);
});

test("user-data over 256 KiB is an error naming the machine and its size", () => {
    expect(() => checkUserDataSize("prod-web1", "x".repeat(MAX_USER_DATA_BYTES + 1))).toThrow(
        "user-data of prod-web1 is 262145 bytes; GCE allows at most 262144 bytes (256 KiB) in one metadata value",
    );
});

test("every control node runs etcd 3.5 with the v2 API for fleet, every machine runs fleet", () => {
    for (const [machine, config] of Object.entries(parsed)) {
        const units = config.coreos.units.map((u: { name: string }) => u.name);
        expect([machine, units.slice(0, 3)]).toEqual([
            machine,
            ["fleet-install.service", "fleet.socket", "fleet.service"],
        ]);
    }
    const etcd = parsed["prod-control1"].coreos.units.find(
        (u: { name: string }) => u.name === "etcd-member.service",
    );
    expect(etcd.drop_ins[0].content).toContain("Environment=ETCD_ENABLE_V2=true");
    expect(etcd.drop_ins[0].content).toMatch(/Environment=ETCD_IMAGE_TAG=v3\.5\.\d+/);
    expect(etcd.drop_ins[0].content).toContain(
        "Environment=ETCD_INITIAL_CLUSTER=prod-control1=http://10.220.1.1:2380",
    );
});

test("workers point fleet at the control node and carry the book's metadata", () => {
    const fleet = parsed["prod-web2"].coreos.units.find(
        (u: { name: string }) => u.name === "fleet.service",
    );
    expect(fleet.content).toContain("Environment=FLEET_ETCD_SERVERS=http://10.220.1.1:2379");
    expect(fleet.content).toContain(
        "Environment=FLEET_METADATA=role=worker,cpeer=prod-web2,service=website1",
    );
});

test("the builder may fetch from tsc-staging1 only: its key is authorized there, and its known_hosts pins it", () => {
    expect(parsed["tsc-staging1"].ssh_authorized_keys).toEqual([
        "ssh-ed25519 <deploy-time_public_key_of_tsc-operator>",
        "ssh-ed25519 <deploy-time_public_key_of_tsc-registry-cbuilder1-rsync-key>",
    ]);
    expect(parsed["tsc-test1"].ssh_authorized_keys).toEqual([
        "ssh-ed25519 <deploy-time_public_key_of_tsc-operator>",
    ]);
    const knownHosts = parsed["tsc-registry-cbuilder1"].write_files.find((f: { path: string }) =>
        f.path.endsWith("known_hosts"),
    );
    expect(knownHosts.content).toBe(
        "10.200.3.1 ssh-ed25519 <deploy-time_public_key_of_tsc-staging1-host-key>\n",
    );
});
