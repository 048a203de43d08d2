// The harness's cluster: staging1, builder, control, web1..webN and a load balancer, as containers
// on one docker network of their own, each machine with systemd as PID 1 and its own docker,
// booted with its user-data as the program renders it for the harness's addresses and keys.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MachinePlan, Role } from "../../components/config";
import { publishSite, SITE_ROOT, waitUntilReady } from "../../components/commands";
import { HEALTH_CHECK } from "../../components/health";
import { DeployMaterial, machineUserData } from "../../components/machine-config";
import { REGISTRY_PORT } from "../../components/registry";
import { siteVersion } from "../../components/staging-site";
import { REPO_ROOT } from "../../components/userdata";
import { NGINX_IMAGE, REGISTRY_IMAGE, WEBSITE1_BASE_IMAGE } from "../../components/versions";
import { bootPlan, harnessConfig, withoutHubPulls } from "./boot";
import { buildImages, HARNESS_DIR, HarnessImages } from "./images";
import { makeKeys, RunKeys } from "./keys";
import { log, must, run, RunResult, sleep, tail } from "./process";

export const LABEL = "coreos-cluster-harness";

export interface Machine {
    readonly name: string;
    readonly role: Role;
    readonly ip: string;
    readonly container: string;
}

export interface ClusterOptions {
    readonly runId: string;
    readonly workers: number;
}

/** Where each machine sits in the network's range. */
const HOST_NUMBER = { lb: 5, control: 10, staging1: 11, builder: 12, firstWorker: 21 } as const;

/** How the node containers run systemd and docker without --privileged. */
const NODE_OPTIONS = [
    "--cap-add=ALL",
    "--cap-drop=SYS_RESOURCE",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "apparmor=unconfined",
    "--cgroupns=host",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--tmpfs",
    "/tmp",
    "--stop-signal",
    "RTMIN+3",
];

export class Cluster {
    private constructor(
        readonly runId: string,
        readonly dir: string,
        readonly network: string,
        readonly machines: readonly Machine[],
        readonly lb: { readonly container: string; readonly ip: string },
        readonly keys: RunKeys,
        readonly images: HarnessImages,
    ) {}

    get registryHost(): string {
        return `${this.builder.ip}:${REGISTRY_PORT}`;
    }
    get control(): Machine {
        return this.machine("control");
    }
    get builder(): Machine {
        return this.machine("builder");
    }
    get staging1(): Machine {
        return this.machine("staging1");
    }
    get workers(): Machine[] {
        return this.machines.filter((m) => m.role === "worker");
    }
    machine(name: string): Machine {
        const found = this.machines.find((m) => m.name === name);
        if (!found) throw new Error(`no machine ${name} in harness run ${this.runId}`);
        return found;
    }

    /** Builds (or reuses) the images, then starts every machine and the load balancer. */
    static async start(options: ClusterOptions): Promise<Cluster> {
        const { runId } = options;
        const images = await buildImages();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${runId}-`));
        const network = runId;

        const subnet = await createNetwork(network, runId);
        const address = (n: number) => addressIn(subnet, n);

        const plans: [string, Role, number][] = [
            ["control", "control", HOST_NUMBER.control],
            ["staging1", "web", HOST_NUMBER.staging1],
            ["builder", "builder", HOST_NUMBER.builder],
            ...Array.from({ length: options.workers }, (_, i): [string, Role, number] => [
                `web${i + 1}`,
                "worker",
                HOST_NUMBER.firstWorker + i,
            ]),
        ];
        const machines = plans.map(([name, role, n]) => ({
            name,
            role,
            ip: address(n),
            container: `${runId}-${name}`,
        }));
        const keys = await makeKeys(
            path.join(dir, "keys"),
            new Map(machines.map((m) => [m.name, m.ip])),
            address(HOST_NUMBER.builder),
        );
        const lb = { container: `${runId}-lb`, ip: address(HOST_NUMBER.lb) };
        const cluster = new Cluster(runId, dir, network, machines, lb, keys, images);

        await Promise.all(machines.map((m) => cluster.boot(m)));
        await Promise.all([
            cluster.loadImages(cluster.builder, [
                [images.registry, REGISTRY_IMAGE],
                ...[...new Set([NGINX_IMAGE, WEBSITE1_BASE_IMAGE])].map(
                    (name): [string, string] => [images.nginx, name],
                ),
                [images.toolbox, images.toolbox],
            ]),
            cluster.loadImages(cluster.staging1, [[images.nginx, NGINX_IMAGE]]),
        ]);
        await Promise.all(machines.map((m) => cluster.startUnits(m)));
        await cluster.publishStagingSite({});
        await cluster.setLoadBalancer(cluster.workers);
        return cluster;
    }

    /** Runs a script on a machine as core over ssh with the pinned host key, stdin as given. */
    ssh(
        machine: Machine,
        script: string,
        options: { input?: string; timeoutMs?: number } = {},
    ): Promise<RunResult> {
        return run("ssh", [...this.sshOptions(), `core@${machine.ip}`, script], {
            input: options.input,
            timeoutMs: options.timeoutMs ?? 10 * 60_000,
        });
    }

    sshOptions(): string[] {
        return [
            "-i",
            this.keys.operator.privateKeyFile,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            `UserKnownHostsFile=${this.keys.knownHostsFile}`,
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
        ];
    }

    /** Runs a script that must succeed; the error names the machine, the step and the output's tail. */
    async sshMust(machine: Machine, step: string, script: string, input?: string): Promise<string> {
        const result = await this.ssh(machine, script, { input });
        if (result.code !== 0) {
            throw new Error(
                `${machine.name}: ${step} failed (exit ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`)}`,
            );
        }
        return result.stdout;
    }

    /**
     * Copies website/ (plus any extra files) to staging1 and puts it live with the program's
     * publishSite. Returns the site's version.
     */
    async publishStagingSite(extraFiles: Readonly<Record<string, string>>): Promise<string> {
        const site = fs.mkdtempSync(path.join(this.dir, "site-"));
        fs.chmodSync(site, 0o755);
        fs.cpSync(path.join(REPO_ROOT, "website"), site, { recursive: true });
        for (const [name, content] of Object.entries(extraFiles))
            fs.writeFileSync(path.join(site, name), content);
        const version = siteVersion(site);
        log(this.staging1.name, `copying the site ${version}`);
        // As the program's CopyToRemote does, into incoming-<version>, which publishSite renames.
        const incoming = `${SITE_ROOT}/incoming-${version}`;
        await must(`${this.staging1.name}: copying the site`, "bash", [
            "-o",
            "pipefail",
            "-c",
            'site=$1; shift; tar -C "$site" -cf - . | "$@"',
            "copy",
            site,
            "ssh",
            ...this.sshOptions(),
            `core@${this.staging1.ip}`,
            `mkdir -p ${incoming} && tar -xf - -C ${incoming}`,
        ]);
        await this.sshMust(this.staging1, "publish", publishSite(this.staging1.name, version));
        log(this.staging1.name, `site ${version} published`);
        return version;
    }

    /** (Re)starts the load balancer in front of the given workers, checking as GCE's check does. */
    async setLoadBalancer(workers: readonly Machine[]): Promise<void> {
        log("lb", `load balancer in front of ${workers.map((w) => w.name).join(", ")}`);
        await run("docker", ["rm", "--force", this.lb.container]);
        const config = path.join(this.dir, "haproxy.cfg");
        fs.writeFileSync(config, haproxyConfig(workers));
        await must("docker create (load balancer)", "docker", [
            "create",
            "--name",
            this.lb.container,
            "--hostname",
            "lb",
            "--label",
            `${LABEL}=${this.runId}`,
            "--network",
            this.network,
            "--ip",
            this.lb.ip,
            this.images.lb,
        ]);
        await must("docker cp (haproxy.cfg)", "docker", [
            "cp",
            config,
            `${this.lb.container}:/etc/haproxy/haproxy.cfg`,
        ]);
        await must("docker start (load balancer)", "docker", ["start", this.lb.container]);
        // The check must have passed healthyThreshold times before a worker takes traffic.
        await sleep((HEALTH_CHECK.healthyThreshold * HEALTH_CHECK.intervalSeconds + 2) * 1000);
    }

    /** Removes every container, network and volume of this run. */
    async destroy(): Promise<void> {
        await sweep(this.runId);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    private async boot(machine: Machine): Promise<void> {
        log(machine.name, `booting (${machine.role}, ${machine.ip})`);
        const volume = `${machine.container}-docker`;
        await must("docker volume create", "docker", [
            "volume",
            "create",
            "--label",
            `${LABEL}=${this.runId}`,
            volume,
        ]);
        await must(`${machine.name}: docker run`, "docker", [
            "run",
            "--detach",
            "--name",
            machine.container,
            "--hostname",
            machine.name,
            "--label",
            `${LABEL}=${this.runId}`,
            "--network",
            this.network,
            "--ip",
            machine.ip,
            "--network-alias",
            machine.name,
            ...NODE_OPTIONS,
            "-v",
            `${volume}:/var/lib/docker`,
            this.images.node,
        ]);
        await waitForSystemd(machine);

        const plan = bootPlan(this.userData(machine));
        const script = [
            "set -eu",
            'put() { mkdir -p "$(dirname "$1")"; base64 -d > "$1"; chown "$2" "$1"; chmod "$3" "$1"; }',
        ];
        const put = (file: string, owner: string, mode: string, content: string) =>
            script.push(
                `put ${file} ${owner} ${mode} <<'CONTENT'`,
                Buffer.from(content).toString("base64"),
                "CONTENT",
            );
        for (const file of plan.files)
            put(file.path, file.owner, file.permissions, this.harnessFile(file.path, file.content));
        put(
            "/home/core/.ssh/authorized_keys",
            "core:core",
            "0600",
            plan.authorizedKeys.map((k) => `${k}\n`).join(""),
        );
        script.push("chown core:core /home/core/.ssh", "chmod 0700 /home/core/.ssh");
        for (const unit of plan.units) {
            if (unit.content)
                put(`/etc/systemd/system/${unit.name}`, "root:root", "0644", unit.content);
            for (const dropIn of unit.drop_ins ?? []) {
                put(
                    `/etc/systemd/system/${unit.name}.d/${dropIn.name}`,
                    "root:root",
                    "0644",
                    dropIn.content,
                );
            }
            const noHub = unit.content && withoutHubPulls(unit.content);
            if (noHub)
                put(
                    `/etc/systemd/system/${unit.name}.d/90-harness-no-docker-hub.conf`,
                    "root:root",
                    "0644",
                    noHub,
                );
        }
        if (machine.role === "control") this.fleetctlDouble(put);
        script.push(
            "systemctl daemon-reload",
            "systemctl reset-failed",
            "systemctl restart ssh.service",
        );
        // Through stdin: the script holds private keys, which never stand in an argument list.
        await must(
            `${machine.name}: applying its user-data`,
            "docker",
            ["exec", "-i", machine.container, "sh", "-s"],
            {
                input: script.join("\n"),
            },
        );
    }

    private userData(machine: Machine): string {
        const plan: MachinePlan = {
            name: machine.name,
            role: machine.role,
            internalIp: machine.ip,
            zone: "harness",
            machineType: "container",
            fleetMetadata: `cpeer=${machine.name}`,
        };
        const extraKeys: Partial<Record<string, string>> = {
            staging1: this.keys.builderRsync.publicKey,
        };
        const keys = this.keys;
        const material: DeployMaterial = {
            hostPrivateKey: fs.readFileSync(
                keys.hostKeys.get(machine.name)!.privateKeyFile,
                "utf8",
            ),
            hostPublicKey: `${keys.hostKeys.get(machine.name)!.publicKey}\n`,
            authorizedKeys: [
                keys.operator.publicKey,
                ...(machine.role === "worker" ? [keys.fleetDouble.publicKey] : []),
                ...(extraKeys[machine.name] ? [extraKeys[machine.name]!] : []),
            ],
            registryHost: this.registryHost,
            registryCaCert: keys.caCert,
            builder:
                machine.role === "builder"
                    ? {
                          registryCert: keys.registryCert,
                          registryKey: keys.registryKey,
                          registryHtpasswd: keys.registryHtpasswd,
                          privateKey: fs.readFileSync(keys.builderRsync.privateKeyFile, "utf8"),
                          knownHosts: `${this.staging1.ip} ${keys.hostKeys.get("staging1")!.publicKey}\n`,
                      }
                    : undefined,
        };
        return machineUserData(harnessConfig(), plan, material);
    }

    /** The product's docker-builder Dockerfile starts from Docker Hub: here, from the tool box. */
    private harnessFile(file: string, content: string): string {
        if (file === "/etc/docker-builder/image/Dockerfile") {
            return `# Harness: the docker-builder's tool box, built from Debian packages.\nFROM ${this.images.toolbox}\n`;
        }
        return content;
    }

    private fleetctlDouble(
        put: (file: string, owner: string, mode: string, content: string) => void,
    ): void {
        put(
            "/opt/bin/fleetctl",
            "root:root",
            "0755",
            fs.readFileSync(path.join(HARNESS_DIR, "fleetctl-double.sh"), "utf8"),
        );
        put(
            "/etc/fleetctl-double/id_ed25519",
            "root:root",
            "0600",
            fs.readFileSync(this.keys.fleetDouble.privateKeyFile, "utf8"),
        );
        put("/etc/fleetctl-double/known_hosts", "root:root", "0644", this.keys.knownHosts);
    }

    private async loadImages(machine: Machine, images: readonly [string, string][]): Promise<void> {
        for (const [image, name] of images) {
            log(machine.name, `loading image ${name}`);
            await must(`${machine.name}: loading ${image}`, "bash", [
                "-o",
                "pipefail",
                "-c",
                'docker save "$1" | docker exec -i "$2" docker load >/dev/null',
                "load",
                image,
                machine.container,
            ]);
            if (name !== image)
                await must(`${machine.name}: docker tag`, "docker", [
                    "exec",
                    machine.container,
                    "docker",
                    "tag",
                    image,
                    name,
                ]);
        }
    }

    /** Starts the units the user-data starts, then waits with the program's own readiness check. */
    private async startUnits(machine: Machine): Promise<void> {
        const plan = bootPlan(this.userData(machine));
        for (const unit of plan.start) {
            log(machine.name, `starting ${unit}`);
            await must(`${machine.name}: systemctl start ${unit}`, "docker", [
                "exec",
                machine.container,
                "systemctl",
                "start",
                unit,
            ]);
        }
        await this.sshMust(
            machine,
            "ready",
            waitUntilReady(machine.name, ["docker.service", ...plan.start], 120),
        );
        log(machine.name, "ready");
    }
}

/** Removes every container, network and volume labelled with the run's id, whatever state it is in. */
export async function sweep(runId: string): Promise<void> {
    const result = await run(path.join(HARNESS_DIR, "sweep.sh"), [runId]);
    process.stdout.write(result.stderr);
}

/** Waits, at most a minute, until systemd in the machine has finished booting. */
async function waitForSystemd(machine: Machine): Promise<void> {
    let state = "";
    for (let attempt = 0; attempt < 60; attempt++) {
        const result = await run(
            "docker",
            ["exec", machine.container, "systemctl", "is-system-running", "--wait"],
            {
                timeoutMs: 60_000,
            },
        );
        state = `${result.stdout}${result.stderr}`.trim();
        if (/^(running|degraded)$/.test(state)) return;
        await sleep(1000);
    }
    throw new Error(`${machine.name}: systemd did not finish booting within a minute (${state})`);
}

/**
 * A network on a /24 of its own; docker gives fixed addresses only on a range given at creation,
 * so the first free one of 172.30.0.0/16 is taken.
 */
async function createNetwork(network: string, runId: string): Promise<string> {
    log("host", `network ${network}`);
    let last = "";
    for (let third = 0; third < 256; third++) {
        const subnet = `172.30.${third}.0/24`;
        const result = await run("docker", [
            "network",
            "create",
            "--label",
            `${LABEL}=${runId}`,
            "--subnet",
            subnet,
            network,
        ]);
        if (result.code === 0) return subnet;
        last = result.stderr;
        if (!/overlap/i.test(last)) break;
    }
    throw new Error(`docker network create ${network} failed:\n${tail(last)}`);
}

/** The n-th address of an IPv4 range given as a.b.c.d/len. */
export function addressIn(cidr: string, n: number): string {
    const [base, length] = cidr.split("/");
    const value = base.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
    if (n >= 2 ** (32 - Number(length)) - 1) throw new Error(`${cidr} has no address number ${n}`);
    const address = value + n;
    return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** haproxy in front of the workers, checking /healthz with the interval and thresholds of GCE's check. */
export function haproxyConfig(workers: readonly Machine[]): string {
    const check = HEALTH_CHECK;
    return [
        "defaults",
        "    mode http",
        "    timeout connect 3s",
        "    timeout client 30s",
        "    timeout server 30s",
        `    timeout check ${check.timeoutSeconds}s`,
        "    # GCE's network load balancer sends a request to one worker and never retries it elsewhere.",
        "    retries 0",
        "frontend site",
        "    bind :80",
        "    default_backend workers",
        "backend workers",
        "    balance roundrobin",
        `    option httpchk GET ${check.path}`,
        "    http-check expect status 200",
        `    default-server check inter ${check.intervalSeconds}s fall ${check.unhealthyThreshold} rise ${check.healthyThreshold}`,
        ...workers.map((w) => `    server ${w.name} ${w.ip}:${check.port}`),
        "",
    ].join("\n");
}
