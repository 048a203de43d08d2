import * as fs from "fs";
import * as path from "path";
import { listFiles, PlannedResource, render, renderBoth, tryRender } from "./fixture";

const { staging, prod, out } = renderBoth();
const of = (plan: { resources: PlannedResource[] }, type: string) =>
    plan.resources.filter((r) => r.type === type);
const named = (plan: { resources: PlannedResource[] }, name: string, type?: string) =>
    plan.resources.find((r) => r.name === name && (type === undefined || r.type === type))!;
const INSTANCE = "gcp:compute/instance:Instance";
const FIREWALL = "gcp:compute/firewall:Firewall";

describe("the render", () => {
    test("prints one line per machine: name, role, internal IP, machine type", () => {
        const lines = staging.stdout.split("\n").filter((l) => /^(staging|prod) /.test(l));
        expect(lines.map((l) => l.split(/\s+/))).toEqual([
            ["staging", "tsc-control1", "control", "10.200.1.1", "e2-small"],
            ["staging", "tsc-staging1", "web", "10.200.3.1", "e2-small"],
            ["staging", "tsc-test1", "web", "ephemeral", "e2-small"],
            ["staging", "tsc-registry-cbuilder1", "builder", "10.200.4.1", "e2-medium"],
            ["prod", "prod-control1", "control", "10.220.1.1", "e2-small"],
            ["prod", "prod-web1", "worker", "10.220.2.1", "e2-small"],
            ["prod", "prod-web2", "worker", "10.220.3.1", "e2-small"],
        ]);
    });

    test("writes each machine's user-data, the fleet units and plan.json", () => {
        expect(listFiles(staging.dir)).toEqual([
            "machines/tsc-control1.yaml",
            "machines/tsc-registry-cbuilder1.yaml",
            "machines/tsc-staging1.yaml",
            "machines/tsc-test1.yaml",
            "plan.json",
        ]);
        expect(listFiles(prod.dir)).toEqual([
            "machines/prod-control1.yaml",
            "machines/prod-web1.yaml",
            "machines/prod-web2.yaml",
            "plan.json",
            "release/01-check.sh",
            "release/02-sync.sh",
            "release/03-build.sh",
            "release/04-push.sh",
            "release/05-submit.sh",
            "release/06-pull-prod-web1.sh",
            "release/07-pull-prod-web2.sh",
            "release/08-drain-prod-web1.sh",
            "release/09-restart-prod-web1.sh",
            "release/10-return-prod-web1.sh",
            "release/11-drain-prod-web2.sh",
            "release/12-restart-prod-web2.sh",
            "release/13-return-prod-web2.sh",
            "release/14-destroy-prod-web1.sh",
            "release/15-destroy-prod-web2.sh",
            "units/website1@.service",
        ]);
    });

    test("gives byte-identical files when run again", () => {
        const again = render().out;
        const files = listFiles(out);
        expect(listFiles(again)).toEqual(files);
        for (const file of files) {
            expect([file, fs.readFileSync(path.join(again, file), "utf8")]).toEqual([
                file,
                fs.readFileSync(path.join(out, file), "utf8"),
            ]);
        }
    });

    test("empties a stack's folder before writing it", () => {
        const stray = path.join(out, "prod", "machines", "prod-web9.yaml");
        fs.writeFileSync(stray, "old");
        render(["--stack", "prod", "--out", out]);
        expect(fs.existsSync(stray)).toBe(false);
    });
});

describe("bad input", () => {
    test("a --set of a key the project does not have is refused, naming the valid keys", () => {
        const run = tryRender(["--stack", "prod", "--set", "workercount=4"]);
        expect(run.status).toBe(2);
        expect(run.stderr).toContain(
            "render: --set workercount=4: no setting workercount; expected gcp:<key> or one of cluster, namePrefix,",
        );
    });

    test("stops the program with the key, the value and the form, before any resource is declared", () => {
        const run = tryRender(["--stack", "prod", "--set", "workerCount=0"]);
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain(
            'coreos-cluster:workerCount: "0" is not a worker count; expected a whole number from 1 to 100',
        );
        expect(fs.existsSync(path.join(run.out, "prod"))).toBe(false);
    });

    test("an unset fleetSha256 is warned about, with how to pin it; a set one is not", () => {
        const unset = tryRender(["--stack", "staging"]);
        expect(`${unset.stdout}${unset.stderr}`).toContain("fleetSha256 is not set");
        expect(`${unset.stdout}${unset.stderr}`).toContain("pulumi config set fleetSha256");
        const pinned = tryRender(["--stack", "staging", "--set", `fleetSha256=${"ab".repeat(32)}`]);
        expect(pinned.status).toBe(0);
        expect(`${pinned.stdout}${pinned.stderr}`).not.toContain("fleetSha256 is not set");
        const builder = fs.readFileSync(
            path.join(pinned.out, "staging", "machines", "tsc-registry-cbuilder1.yaml"),
            "utf8",
        );
        expect(builder).toContain(`Environment=FLEET_SHA256=${"ab".repeat(32)}\n`);
    });
});

describe("machines", () => {
    test.each([
        [
            "staging",
            staging,
            [
                ["tsc-control1", "10.200.1.1", ["tsc-node", "tsc-control"]],
                ["tsc-staging1", "10.200.3.1", ["tsc-node", "tsc-web"]],
                ["tsc-test1", undefined, ["tsc-node", "tsc-web"]],
                ["tsc-registry-cbuilder1", "10.200.4.1", ["tsc-node", "tsc-registry"]],
            ],
        ],
        [
            "prod",
            prod,
            [
                ["prod-control1", "10.220.1.1", ["prod-node", "prod-control"]],
                ["prod-web1", "10.220.2.1", ["prod-node", "prod-web"]],
                ["prod-web2", "10.220.3.1", ["prod-node", "prod-web"]],
            ],
        ],
    ] as const)("%s: names, reserved addresses and tags", (_, stack, expected) => {
        const instances = of(stack.plan, INSTANCE);
        expect(
            instances.map((i) => [
                i.inputs.name,
                i.inputs.networkInterfaces[0].networkIp,
                i.inputs.tags,
            ]),
        ).toEqual(expected);
        for (const instance of instances) {
            expect(instance.inputs.bootDisk.initializeParams.image).toBe(
                "projects/kinvolk-public/global/images/family/flatcar-stable",
            );
            expect(instance.inputs.metadata["user-data"]).toBe("[secret]");
        }
    });

    test("every reserved address is INTERNAL in the subnet, declared before its instance", () => {
        for (const stack of [staging, prod]) {
            const names = stack.plan.resources.map((r) => `${r.type} ${r.name}`);
            for (const instance of of(stack.plan, INSTANCE).filter(
                (i) => i.inputs.networkInterfaces[0].networkIp,
            )) {
                const address = named(
                    stack.plan,
                    `${instance.name}-ip`,
                    "gcp:compute/address:Address",
                );
                expect(address.inputs).toMatchObject({
                    addressType: "INTERNAL",
                    address: instance.inputs.networkInterfaces[0].networkIp,
                });
                expect(names.indexOf(`${address.type} ${address.name}`)).toBeLessThan(
                    names.indexOf(`${INSTANCE} ${instance.name}`),
                );
            }
        }
    });

    test("a user-data change replaces workers one at a time and never a control node by surprise", () => {
        const options = (name: string) =>
            (named(prod.plan, name, INSTANCE) as PlannedResource & { options: object }).options;
        expect(options("prod-control1")).toEqual({
            protect: true,
            deleteBeforeReplace: true,
            replaceOnChanges: ["metadata"],
        });
        expect(options("prod-web1")).toEqual({
            deleteBeforeReplace: true,
            replaceOnChanges: ["metadata"],
        });
        expect(named(prod.plan, "prod-web1", INSTANCE).dependsOn).toEqual([]);
        expect(named(prod.plan, "prod-web2", INSTANCE).dependsOn).toEqual(["prod-web1-ready"]);
    });

    test("the registry keeps its images on a protected disk of its own", () => {
        const disk = named(staging.plan, "tsc-registry-data") as PlannedResource & {
            options: object;
        };
        expect(disk.options).toEqual({ protect: true });
        expect(
            named(staging.plan, "tsc-registry-cbuilder1", INSTANCE).inputs.attachedDisks,
        ).toEqual([{ deviceName: "registry-data", source: "tsc-registry-data-id" }]);
    });

    test("a worker added later brings only its own resources", () => {
        const three = renderBoth(["--set", "workerCount=3"]).prod.plan;
        const key = (r: PlannedResource) => `${r.type} ${r.name}`;
        const before = new Set(prod.plan.resources.map(key));
        expect(three.resources.map(key).filter((k) => !before.has(k))).toEqual([
            "tls:index/privateKey:PrivateKey prod-web3-host-key",
            "coreos-cluster:index:Machine prod-web3",
            "gcp:compute/address:Address prod-web3-ip",
            `${INSTANCE} prod-web3`,
            "command:remote:Command prod-web3-ready",
            "command:remote:Command prod-release-pull-prod-web3",
            "command:remote:Command prod-release-drain-prod-web3",
            "command:remote:Command prod-release-restart-prod-web3",
            "command:remote:Command prod-release-return-prod-web3",
        ]);
        expect(named(three, "prod-web3", INSTANCE).dependsOn).toEqual(["prod-web2-ready"]);
        for (const resource of prod.plan.resources.filter((r) => r.type === INSTANCE)) {
            expect(named(three, resource.name, INSTANCE).inputs).toEqual(resource.inputs);
        }
    });
});

describe("the firewall", () => {
    const exposure = (stack: typeof staging) =>
        of(stack.plan, FIREWALL).map((rule) => [
            rule.inputs.name,
            rule.inputs.allows.map(
                (a: { protocol: string; ports: string[] }) => `${a.protocol}:${a.ports.join(",")}`,
            ),
            rule.inputs.sourceRanges,
            rule.inputs.targetTags,
        ]);

    test("staging: one rule per purpose, by network tag", () => {
        expect(exposure(staging)).toEqual([
            ["tsc-allow-ssh", ["tcp:22"], ["0.0.0.0/0"], ["tsc-node"]],
            ["tsc-allow-internal-ssh", ["tcp:22"], ["10.200.0.0/16"], ["tsc-node"]],
            ["tsc-allow-http", ["tcp:80"], ["0.0.0.0/0"], ["tsc-web"]],
            ["tsc-allow-etcd", ["tcp:2379,2380"], ["10.200.0.0/16"], ["tsc-control"]],
            [
                "tsc-allow-registry",
                ["tcp:5000"],
                ["10.200.0.0/16", "10.220.0.0/16"],
                ["tsc-registry"],
            ],
        ]);
    });

    test("prod: health checks reach the workers; no registry", () => {
        expect(exposure(prod)).toEqual([
            ["prod-allow-ssh", ["tcp:22"], ["0.0.0.0/0"], ["prod-node"]],
            ["prod-allow-internal-ssh", ["tcp:22"], ["10.220.0.0/16"], ["prod-node"]],
            ["prod-allow-http", ["tcp:80"], ["0.0.0.0/0"], ["prod-web"]],
            [
                "prod-allow-health-checks",
                ["tcp:80"],
                ["35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"],
                ["prod-web"],
            ],
            ["prod-allow-etcd", ["tcp:2379,2380"], ["10.220.0.0/16"], ["prod-control"]],
        ]);
    });

    test("nothing but SSH and HTTP is reachable from the internet", () => {
        for (const stack of [staging, prod]) {
            for (const rule of of(stack.plan, FIREWALL)) {
                const privateOnly = rule.inputs.sourceRanges.every((r: string) =>
                    /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(r),
                );
                if (privateOnly || rule.name.endsWith("health-checks")) continue;
                expect([rule.name, rule.inputs.allows]).toEqual([
                    rule.name,
                    [{ protocol: "tcp", ports: [expect.stringMatching(/^(22|80)$/)] }],
                ]);
            }
        }
    });

    test("SSH follows sshSourceRanges", () => {
        const { staging: narrowed } = renderBoth(["--set", 'sshSourceRanges=["203.0.113.0/24"]']);
        expect(named(narrowed.plan, "tsc-allow-ssh").inputs.sourceRanges).toEqual([
            "203.0.113.0/24",
        ]);
    });
});

describe("prod's network, load balancer and peering", () => {
    test("the load balancer checks /healthz on every worker and forwards port 80", () => {
        expect(named(prod.plan, "prod-site-health").inputs).toMatchObject({
            requestPath: "/healthz",
            port: 80,
            checkIntervalSec: 5,
        });
        expect(named(prod.plan, "prod-site-pool").inputs.instances).toEqual([
            "<deploy-time self link of instances/prod-web1>",
            "<deploy-time self link of instances/prod-web2>",
        ]);
        expect(named(prod.plan, "prod-site-http").inputs).toMatchObject({
            portRange: "80",
            ipProtocol: "TCP",
        });
    });

    test("prod creates both sides of the peering with staging's network", () => {
        expect(named(prod.plan, "prod-to-staging").inputs).toMatchObject({
            network: "<deploy-time self link of networks/prod-net>",
            peerNetwork: "<deploy-time self link of networks/tsc-net>",
        });
        expect(named(prod.plan, "staging-to-prod").inputs).toMatchObject({
            network: "<deploy-time self link of networks/tsc-net>",
            peerNetwork: "<deploy-time self link of networks/prod-net>",
        });
        expect(named(prod.plan, "staging-to-prod").dependsOn).toEqual(["prod-to-staging"]);
    });

    test("workers trust the registry that staging's outputs name", () => {
        expect(prod.userData["prod-web1"]).toContain(
            "path: /etc/docker/certs.d/10.200.4.1:5000/ca.crt",
        );
        expect(prod.userData["prod-web1"]).toContain(
            "<deploy-time certificate of tsc-registry-ca>",
        );
    });
});

describe("secrets and outputs", () => {
    test("no private key, password or hash appears in plan.json", () => {
        for (const stack of [staging, prod]) {
            const text = fs.readFileSync(path.join(stack.dir, "plan.json"), "utf8");
            expect(text).not.toMatch(/deploy-time (private key|password|bcrypt hash)/);
        }
    });

    test("staging's outputs carry what prod's release needs, secret where secret", () => {
        expect(staging.plan.outputs).toMatchObject({
            registryHost: "10.200.4.1:5000",
            registryUser: "release",
            registryPassword: "[secret]",
            sshPrivateKey: "[secret]",
            builderInternalIp: "10.200.4.1",
            staging1InternalIp: "10.200.3.1",
            subnetCidr: "10.200.0.0/16",
            networkName: "tsc-net",
        });
        expect(Object.keys(staging.plan.outputs).sort()).toEqual([
            "builderExternalIp",
            "builderHostKey",
            "builderInstanceId",
            "builderInternalIp",
            "builderName",
            "controlExternalIp",
            "externalIps",
            "fleetctlTunnel",
            "knownHosts",
            "networkName",
            "networkSelfLink",
            "registryCaCert",
            "registryHost",
            "registryPassword",
            "registryUser",
            "sshCommands",
            "sshPrivateKey",
            "staging1ExternalIp",
            "staging1HostKey",
            "staging1InternalIp",
            "stagingUrl",
            "subnetCidr",
        ]);
    });

    test("prod's outputs give the site, the workers and access to each machine", () => {
        const outputs = prod.plan.outputs;
        expect(outputs.siteUrl).toBe("http://<deploy-time external IP of prod-site-ip>/");
        expect(outputs.workerExternalIps).toEqual({
            "prod-web1": "<deploy-time external IP of prod-web1>",
            "prod-web2": "<deploy-time external IP of prod-web2>",
        });
        expect(outputs.websiteUrls).toHaveLength(2);
        expect(outputs.sshPrivateKey).toBe("[secret]");
        expect(Object.keys(outputs.sshCommands)).toEqual([
            "prod-control1",
            "prod-web1",
            "prod-web2",
        ]);
        expect(outputs.sshCommands["prod-web1"]).toContain("StrictHostKeyChecking=yes");
        expect(outputs.fleetctlTunnel).toContain(
            "--tunnel <deploy-time external IP of prod-control1>",
        );
        expect(outputs.knownHosts.trim().split("\n")).toHaveLength(3);
    });

    test("every remote connection pins the machine's host key and waits for a fresh machine", () => {
        for (const stack of [staging, prod]) {
            const remote = stack.plan.resources.filter((r) => r.type.startsWith("command:remote:"));
            expect(remote.length).toBeGreaterThan(0);
            for (const command of remote) {
                expect([command.name, command.inputs.connection.hostKey]).toEqual([
                    command.name,
                    expect.stringMatching(/^ssh-ed25519 /),
                ]);
                // A restart's delete must not wait ten minutes for a control node that is gone.
                const dialErrorLimit = /-restart-/.test(command.name) ? 4 : 40;
                expect(command.inputs.connection).toMatchObject({
                    user: "core",
                    privateKey: "[secret]",
                    dialErrorLimit,
                });
            }
        }
    });
});

describe("staging site", () => {
    test("is copied to tsc-staging1 and published when its content changes", () => {
        const copy = named(staging.plan, "tsc-site-copy");
        expect(copy.inputs.remotePath).toMatch(
            /^\/home\/core\/share\/nginx\/incoming-site-[0-9a-f]{12}$/,
        );
        expect(copy.inputs.triggers[0]).toBe(copy.inputs.remotePath.split("incoming-")[1]);
        expect(copy.dependsOn).toEqual(["tsc-site-ready"]);
        expect(named(staging.plan, "tsc-site-publish").dependsOn).toEqual(["tsc-site-copy"]);
        expect(named(staging.plan, "tsc-site-publish").inputs.connection.host).toBe(
            "<deploy-time external IP of tsc-staging1>",
        );
    });
});
