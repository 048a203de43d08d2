import * as yaml from "js-yaml";
import { POLICIES } from "./policies";
import {
    bootImageProblems,
    COPY_TO_REMOTE,
    FIREWALL,
    firewallProblems,
    hostKeyProblems,
    INSTANCE,
    INSTANCE_TEMPLATE,
    LOCAL_COMMAND,
    pinnedImageProblems,
    REMOTE_COMMAND,
    unitTexts,
    USER_DATA_LIMIT,
    userDataSizeProblems,
} from "./rules";
import { violations } from "./testing";

const rule = (tcp: string[], sourceRanges: string[], extra: object = {}) => ({
    direction: "INGRESS",
    allows: [{ protocol: "tcp", ports: tcp }],
    sourceRanges,
    ...extra,
});

describe("firewall", () => {
    test("ssh and http open to every address, and anything open to private ranges, pass", () => {
        expect(firewallProblems(rule(["22"], ["0.0.0.0/0"]))).toEqual([]);
        expect(firewallProblems(rule(["80"], ["0.0.0.0/0", "::/0"]))).toEqual([]);
        expect(firewallProblems(rule(["2379", "2380"], ["10.200.0.0/16"]))).toEqual([]);
        expect(
            firewallProblems({
                direction: "EGRESS",
                allows: [{ protocol: "all" }],
                destinationRanges: ["0.0.0.0/0"],
            }),
        ).toEqual([]);
        expect(
            firewallProblems({
                allows: [{ protocol: "tcp", ports: ["5000"] }],
                sourceTags: ["tsc-node"],
            }),
        ).toEqual([]);
    });

    test("other ports, port ranges, other protocols and every port, open to every address, fail", () => {
        expect(firewallProblems(rule(["22", "5000"], ["10.0.0.0/8", "0.0.0.0/0"]))).toEqual([
            "allows tcp 5000 from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
        ]);
        expect(firewallProblems(rule(["20-25"], ["::/0"]))).toEqual([
            "allows tcp 20-25 from ::/0; only tcp 22 and 80 may be open to every address",
        ]);
        expect(firewallProblems(rule([], ["0.0.0.0/0"]))).toEqual([
            "allows every tcp port from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
        ]);
        expect(
            firewallProblems({
                allows: [{ protocol: "udp", ports: ["53"] }, { protocol: "all" }],
                sourceRanges: ["0.0.0.0/0"],
            }),
        ).toEqual([
            "allows udp from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
            "allows all from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
        ]);
    });

    test("an ingress rule with no source at all counts as open to every address", () => {
        expect(firewallProblems({ allows: [{ protocol: "tcp", ports: ["2379"] }] })).toEqual([
            "allows tcp 2379 from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
        ]);
    });
});

describe("boot image", () => {
    const instance = (image?: string) => ({ bootDisk: { initializeParams: { image } } });

    test.each(["stable", "beta", "alpha", "lts"])("the flatcar-%s family passes", (channel) => {
        expect(
            bootImageProblems(
                instance(`projects/kinvolk-public/global/images/family/flatcar-${channel}`),
                INSTANCE,
            ),
        ).toEqual([]);
    });

    test.each([
        [
            "projects/debian-cloud/global/images/family/debian-12",
            "image projects/debian-cloud/global/images/family/debian-12",
        ],
        [
            "projects/kinvolk-public/global/images/flatcar-stable-4081-2-0",
            "image projects/kinvolk-public/global/images/flatcar-stable-4081-2-0",
        ],
        [
            "projects/kinvolk-public/global/images/family/flatcar-edge",
            "image projects/kinvolk-public/global/images/family/flatcar-edge",
        ],
        [undefined, "no image family"],
    ])("%s fails", (image, shown) => {
        expect(bootImageProblems(instance(image), INSTANCE)).toEqual([
            `boots ${shown}; expected a Flatcar family, projects/kinvolk-public/global/images/family/flatcar-(stable|beta|alpha|lts)`,
        ]);
    });

    test("an instance template's boot disk is checked too", () => {
        const template = (sourceImage: string) => ({
            disks: [
                { boot: false, sourceImage: "x" },
                { boot: true, sourceImage },
            ],
        });
        expect(
            bootImageProblems(
                template("projects/kinvolk-public/global/images/family/flatcar-lts"),
                INSTANCE_TEMPLATE,
            ),
        ).toEqual([]);
        expect(
            bootImageProblems(
                template("projects/cos-cloud/global/images/family/cos-stable"),
                INSTANCE_TEMPLATE,
            ),
        ).toHaveLength(1);
    });
});

const cloudConfig = (units: object[], writeFiles: object[] = []) =>
    `#cloud-config\n${yaml.dump({ write_files: writeFiles, coreos: { units } })}`;

describe("pinned images in units and commands", () => {
    const goodUnit = {
        name: "web.service",
        command: "start",
        content: "[Service]\nExecStart=/usr/bin/docker run --rm nginx:1.27.3\n",
    };

    test("units are read from content, drop_ins, drop-ins and unit files written under /etc/systemd", () => {
        const text = cloudConfig(
            [
                {
                    ...goodUnit,
                    drop_ins: [{ name: "a.conf", content: "A" }],
                    "drop-ins": [{ name: "b.conf", content: "B" }],
                },
            ],
            [
                { path: "/etc/systemd/system/c.service", content: "C" },
                { path: "/etc/motd", content: "D" },
            ],
        );
        expect([...unitTexts(text)]).toEqual([
            ["web.service", goodUnit.content],
            ["web.service/a.conf", "A"],
            ["web.service/b.conf", "B"],
            ["/etc/systemd/system/c.service", "C"],
        ]);
    });

    test("pinned units pass; :latest and untagged images in units fail, naming the unit", () => {
        expect(
            pinnedImageProblems({ metadata: { "user-data": cloudConfig([goodUnit]) } }, INSTANCE),
        ).toEqual([]);
        const bad = cloudConfig([
            {
                name: "web.service",
                content: "[Service]\nExecStart=/usr/bin/docker run --rm nginx\n",
            },
            {
                name: "etcd-member.service",
                drop_ins: [
                    { name: "10-image.conf", content: "Environment=ETCD_IMAGE=etcd:latest\n" },
                ],
            },
        ]);
        expect(pinnedImageProblems({ metadata: { "user-data": bad } }, INSTANCE)).toEqual([
            "unit web.service names the image nginx without a tag (docker reads it as :latest); pin a version tag or a digest",
            "unit etcd-member.service/10-image.conf names the image etcd:latest, tagged :latest; pin a version tag or a digest",
        ]);
    });

    test("user-data that is not YAML is reported, not passed", () => {
        expect(pinnedImageProblems({ metadata: { "user-data": "a: [b" } }, INSTANCE)[0]).toMatch(
            /^user-data is not YAML, so its units cannot be checked: /,
        );
    });

    test("every text a command runs is checked: create, update and delete", () => {
        const command = {
            create: "docker pull r:5000/website1:v3",
            update: "docker pull r:5000/website1:latest",
            delete: "docker run --rm alpine true",
        };
        expect(pinnedImageProblems(command, REMOTE_COMMAND)).toEqual([
            "update names the image r:5000/website1:latest, tagged :latest; pin a version tag or a digest",
            "delete names the image alpine without a tag (docker reads it as :latest); pin a version tag or a digest",
        ]);
        expect(
            pinnedImageProblems({ create: "docker push r:5000/website1:v3" }, LOCAL_COMMAND),
        ).toEqual([]);
    });
});

describe("user-data size", () => {
    test("256 KiB passes, one byte more fails", () => {
        expect(
            userDataSizeProblems({ metadata: { "user-data": "x".repeat(USER_DATA_LIMIT) } }),
        ).toEqual([]);
        expect(
            userDataSizeProblems({ metadata: { "user-data": "x".repeat(USER_DATA_LIMIT + 1) } }),
        ).toEqual([
            "user-data is 262145 bytes; GCE takes at most 262144 (256 KiB) in one metadata value",
        ]);
    });

    test("bytes count, not characters", () => {
        expect(
            userDataSizeProblems({
                metadata: { "user-data": "é".repeat(USER_DATA_LIMIT / 2 + 1) },
            }),
        ).toHaveLength(1);
    });
});

describe("host keys", () => {
    const connection = { host: "203.0.113.7", user: "core", hostKey: "ssh-ed25519 AAAAC3Nz" };

    test("a pinned connection passes, for commands and copies", () => {
        expect(hostKeyProblems({ connection, create: "true" }, REMOTE_COMMAND)).toEqual([]);
        expect(hostKeyProblems({ connection, remotePath: "/srv" }, COPY_TO_REMOTE)).toEqual([]);
    });

    test("a missing or empty hostKey fails, on the connection and on its proxy", () => {
        expect(hostKeyProblems({ connection: { host: "203.0.113.7" } }, REMOTE_COMMAND)).toEqual([
            "connects to 203.0.113.7 without connection.hostKey, so any host key is accepted",
        ]);
        expect(
            hostKeyProblems(
                { connection: { ...connection, proxy: { host: "203.0.113.1", hostKey: " " } } },
                COPY_TO_REMOTE,
            ),
        ).toEqual(["jumps through 203.0.113.1 without proxy.hostKey, so any host key is accepted"]);
    });

    test("a command that runs ssh with the host-key check off fails", () => {
        const create = "rsync -e 'ssh -o StrictHostKeyChecking=no' a b:";
        expect(hostKeyProblems({ connection, create }, REMOTE_COMMAND)).toEqual([
            "create runs ssh with its host-key check switched off (or trusting on first use)",
        ]);
        expect(
            hostKeyProblems({ delete: "ssh -o UserKnownHostsFile=/dev/null x" }, LOCAL_COMMAND),
        ).toEqual([
            "delete runs ssh with its host-key check switched off (or trusting on first use)",
        ]);
        expect(
            hostKeyProblems({ update: "ssh -o StrictHostKeyChecking=accept-new x" }, LOCAL_COMMAND),
        ).toEqual([
            "update runs ssh with its host-key check switched off (or trusting on first use)",
        ]);
        expect(
            hostKeyProblems({ create: "ssh -o StrictHostKeyChecking=yes x" }, LOCAL_COMMAND),
        ).toEqual([]);
    });
});

describe("through the policy pack's validateResource", () => {
    const byName = Object.fromEntries(POLICIES.map((p) => [p.name, p]));

    test("the pack holds the five policies, all mandatory", () => {
        expect(POLICIES.map((p) => [p.name, p.enforcementLevel])).toEqual([
            ["firewall-world-open-only-ssh-http", "mandatory"],
            ["instance-boots-flatcar", "mandatory"],
            ["images-pinned", "mandatory"],
            ["user-data-size", "mandatory"],
            ["remote-host-key-pinned", "mandatory"],
        ]);
    });

    test("violations name the resource; other resource types are left alone", () => {
        const open = rule(["6443"], ["0.0.0.0/0"]);
        expect(
            violations(
                byName["firewall-world-open-only-ssh-http"],
                FIREWALL,
                "prod-allow-api",
                open,
            ),
        ).toEqual([
            "prod-allow-api: allows tcp 6443 from 0.0.0.0/0; only tcp 22 and 80 may be open to every address",
        ]);
        expect(
            violations(byName["firewall-world-open-only-ssh-http"], INSTANCE, "prod-web1", open),
        ).toEqual([]);
        expect(
            violations(byName["remote-host-key-pinned"], REMOTE_COMMAND, "prod-web1-ready", {
                connection: { host: "h" },
            }),
        ).toEqual([
            "prod-web1-ready: connects to h without connection.hostKey, so any host key is accepted",
        ]);
        expect(
            violations(byName["remote-host-key-pinned"], FIREWALL, "x", {
                connection: { host: "h" },
            }),
        ).toEqual([]);
    });
});
