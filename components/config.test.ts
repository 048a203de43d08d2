import { CONFIG_KEYS, ConfigError, parseConfig, RawConfig } from "./config";
import { stackConfig } from "../render/stack-config";

/** A stack's settings as the CLI passes them (every value a string), with overrides. */
function settings(stack: string, overrides: Record<string, unknown> = {}): RawConfig {
    const config = stackConfig(stack);
    const raw: Record<string, unknown> = Object.fromEntries(
        CONFIG_KEYS.map((k) => [k, config[`coreos-cluster:${k}`]]),
    );
    return { ...raw, ...overrides };
}

function problems(stack: string, overrides: Record<string, unknown>): readonly string[] {
    try {
        parseConfig(settings(stack, overrides));
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
    throw new Error("the configuration was accepted");
}

describe("the default stacks", () => {
    test("staging has the book's machines and addresses", () => {
        const config = parseConfig(settings("staging"));
        expect(
            config.machines.map((m) => [
                m.name,
                m.role,
                m.internalIp ?? "ephemeral",
                m.machineType,
            ]),
        ).toEqual([
            ["tsc-control1", "control", "10.200.1.1", "e2-small"],
            ["tsc-staging1", "web", "10.200.3.1", "e2-small"],
            ["tsc-test1", "web", "ephemeral", "e2-small"],
            ["tsc-registry-cbuilder1", "builder", "10.200.4.1", "e2-medium"],
        ]);
    });

    test("prod has a control node and two workers with the book's fleet metadata", () => {
        const config = parseConfig(settings("prod"));
        expect(config.machines.map((m) => [m.name, m.internalIp, m.zone, m.fleetMetadata])).toEqual(
            [
                [
                    "prod-control1",
                    "10.220.1.1",
                    "us-central1-a",
                    "role=services,cpeer=prod-control1",
                ],
                [
                    "prod-web1",
                    "10.220.2.1",
                    "us-central1-a",
                    "role=worker,cpeer=prod-web1,service=website1",
                ],
                [
                    "prod-web2",
                    "10.220.3.1",
                    "us-central1-b",
                    "role=worker,cpeer=prod-web2,service=website1",
                ],
            ],
        );
    });

    test("three control nodes take 10.x.1.1 to 10.x.1.3, one per zone", () => {
        const config = parseConfig(settings("prod", { controlCount: "3", workerCount: "3" }));
        const controls = config.machines.filter((m) => m.role === "control");
        expect(controls.map((m) => [m.name, m.internalIp, m.zone])).toEqual([
            ["prod-control1", "10.220.1.1", "us-central1-a"],
            ["prod-control2", "10.220.1.2", "us-central1-b"],
            ["prod-control3", "10.220.1.3", "us-central1-c"],
        ]);
        expect(config.machines.filter((m) => m.role === "worker").map((m) => m.internalIp)).toEqual(
            ["10.220.2.1", "10.220.3.1", "10.220.4.1"],
        );
    });

    test("a release restarts one worker at a time and gives each 300 s by default", () => {
        expect(parseConfig(settings("prod"))).toMatchObject({
            releaseBatchSize: 1,
            releaseHealthTimeout: 300,
        });
        expect(
            parseConfig(settings("prod", { workerCount: "4", releaseBatchSize: "3" }))
                .releaseBatchSize,
        ).toBe(3);
        expect(parseConfig(settings("prod", { workerCount: "1" })).releaseBatchSize).toBe(1);
    });

    test("addresses override the plan, and extra fleet metadata reaches every machine", () => {
        const config = parseConfig(
            settings("staging", {
                addresses: '["tsc-test1=10.200.5.9"]',
                fleetMetadata: "disk=ssd,team=web",
            }),
        );
        const test1 = config.machines.find((m) => m.name === "tsc-test1")!;
        expect(test1.internalIp).toBe("10.200.5.9");
        expect(test1.fleetMetadata).toBe("role=worker,cpeer=tsc-test1,disk=ssd,team=web");
    });
});

describe("bad configurations are refused with the key, the value and the accepted form", () => {
    const cases: [string, string, Record<string, unknown>, string | string[]][] = [
        [
            "a bad CIDR",
            "staging",
            { subnetCidr: "10.200.0/16" },
            'coreos-cluster:subnetCidr: "10.200.0/16" is not a private IPv4 range; expected a CIDR like 10.200.0.0/16 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /8 to /29',
        ],
        [
            "a public subnet",
            "staging",
            { subnetCidr: "8.8.0.0/16" },
            'coreos-cluster:subnetCidr: "8.8.0.0/16" is not a private IPv4 range; expected a CIDR like 10.200.0.0/16 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /8 to /29',
        ],
        [
            "an address outside the subnet",
            "staging",
            { addresses: '["tsc-staging1=10.201.3.1"]' },
            'coreos-cluster:addresses: address "10.201.3.1" of tsc-staging1 is outside the subnet 10.200.0.0/16; expected an address inside it (set addresses to machine=ip)',
        ],
        [
            "a plan that does not fit a small subnet",
            "staging",
            { subnetCidr: "10.200.0.0/24" },
            [
                ["tsc-control1", "10.200.1.1"],
                ["tsc-staging1", "10.200.3.1"],
                ["tsc-registry-cbuilder1", "10.200.4.1"],
            ].map(
                ([machine, ip]) =>
                    `coreos-cluster:subnetCidr: address "${ip}" of ${machine} is outside the subnet 10.200.0.0/24; expected an address inside it (set addresses to machine=ip)`,
            ),
        ],
        [
            "an address GCE reserves",
            "staging",
            { addresses: '["tsc-test1=10.200.0.1"]' },
            'coreos-cluster:addresses: address "10.200.0.1" of tsc-test1 is reserved by GCE (the first two and the last two of 10.200.0.0/16); expected another address',
        ],
        [
            "the last address of the subnet",
            "staging",
            { addresses: '["tsc-test1=10.200.255.254"]' },
            'coreos-cluster:addresses: address "10.200.255.254" of tsc-test1 is reserved by GCE (the first two and the last two of 10.200.0.0/16); expected another address',
        ],
        [
            "a duplicate address",
            "staging",
            { addresses: '["tsc-test1=10.200.3.1"]' },
            'coreos-cluster:addresses: address "10.200.3.1" of tsc-test1 is already the address of tsc-staging1; expected a distinct address per machine',
        ],
        [
            "an address for no machine",
            "staging",
            { addresses: '["tsc-web9=10.200.9.1"]' },
            'coreos-cluster:addresses: "tsc-web9" is not a machine of this stack; expected one of tsc-control1, tsc-staging1, tsc-test1, tsc-registry-cbuilder1',
        ],
        [
            "an address that is no address",
            "staging",
            { addresses: '["tsc-test1=10.200.300.1"]' },
            'coreos-cluster:addresses: address "10.200.300.1" of tsc-test1 is not an IPv4 address; expected a form like 10.200.1.1',
        ],
        [
            "no workers",
            "prod",
            { workerCount: "0" },
            'coreos-cluster:workerCount: "0" is not a worker count; expected a whole number from 1 to 100',
        ],
        [
            "two control nodes",
            "prod",
            { controlCount: "2" },
            'coreos-cluster:controlCount: "2" is not a control node count; expected 1 or 3 (etcd needs a majority)',
        ],
        [
            "five control nodes",
            "prod",
            { controlCount: "5" },
            'coreos-cluster:controlCount: "5" is not a control node count; expected 1 or 3',
        ],
        [
            "an unknown channel",
            "staging",
            { channel: "edge" },
            'coreos-cluster:channel: "edge" is not a Flatcar channel; expected stable, beta, alpha, lts',
        ],
        [
            "a malformed region",
            "staging",
            { region: "us central" },
            'coreos-cluster:region: "us central" is not a GCE region; expected a name like us-central1',
        ],
        [
            "a zone of another region",
            "staging",
            { zones: '["europe-west1-b"]' },
            'coreos-cluster:zones: "europe-west1-b" is not a zone of region us-central1, like us-central1-a',
        ],
        [
            "imageTag latest",
            "prod",
            { imageTag: "latest" },
            'coreos-cluster:imageTag: "latest" is not an immutable docker tag; expected 1 to 128 letters, digits, _ . or -, not starting with . or -, and not latest',
        ],
        [
            "imageTag with a colon",
            "prod",
            { imageTag: "v1:2" },
            'coreos-cluster:imageTag: "v1:2" is not an immutable docker tag; expected 1 to 128 letters, digits, _ . or -, not starting with . or -, and not latest',
        ],
        [
            "metadata that is not k=v",
            "staging",
            { fleetMetadata: "disk ssd" },
            'coreos-cluster:fleetMetadata: "disk ssd" is not fleet metadata; expected k=v,k=v with letters, digits, _ . or - on both sides',
        ],
        [
            "a short fleetSha256",
            "staging",
            { fleetSha256: "abc123" },
            'coreos-cluster:fleetSha256: "abc123" is not a SHA-256; expected 64 lowercase hex digits, or empty',
        ],
        [
            "an SSH range that is no range",
            "staging",
            { sshSourceRanges: '["0.0.0.0"]' },
            'coreos-cluster:sshSourceRanges: "0.0.0.0" is not an IPv4 range; expected a CIDR like 203.0.113.0/24',
        ],
        [
            "an unknown cluster",
            "staging",
            { cluster: "dev" },
            'coreos-cluster:cluster: "dev" is not a cluster; expected staging or prod',
        ],
        [
            "a stack reference without organization",
            "prod",
            { stagingStack: "staging" },
            'coreos-cluster:stagingStack: "staging" is not a stack name; expected organization/project/stack',
        ],
        [
            "a release batch of every worker",
            "prod",
            { releaseBatchSize: "2" },
            'coreos-cluster:releaseBatchSize: "2" is not a release batch size for 2 worker(s); expected a whole number from 1 to 1, so other workers keep serving',
        ],
        [
            "a release batch of none",
            "prod",
            { workerCount: "4", releaseBatchSize: "0" },
            'coreos-cluster:releaseBatchSize: "0" is not a release batch size for 4 worker(s); expected a whole number from 1 to 3, so other workers keep serving',
        ],
        [
            "a health timeout too short",
            "prod",
            { releaseHealthTimeout: "5" },
            'coreos-cluster:releaseHealthTimeout: "5" is not a health timeout; expected a whole number of seconds from 10 to 3600',
        ],
        [
            "a health timeout that is no number",
            "prod",
            { releaseHealthTimeout: "5m" },
            'coreos-cluster:releaseHealthTimeout: "5m" is not a health timeout; expected a whole number of seconds from 10 to 3600',
        ],
    ];

    test.each(cases)("%s", (_, stack, overrides, expected) => {
        expect(problems(stack, overrides)).toEqual(
            typeof expected === "string" ? [expected] : expected,
        );
    });

    test("every problem is reported at once", () => {
        expect(
            problems("prod", { channel: "edge", workerCount: "0", imageTag: "latest" }),
        ).toHaveLength(3);
    });
});
