// The release scripts run by sh against test doubles of sudo, docker, curl, fleetctl and
// journalctl (tiny stand-ins written here, outside the product code): what each step does when
// its work is already done, when it is not, and how it fails. Paths under /etc/website1 and
// /var/lib/website1 that go through sudo land in a scratch folder. The real tools and fleet are
// exercised by the local harness.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as steps from "./release-commands";
import { readRepoFile } from "./userdata";

const REGISTRY = "10.200.4.1:5000";
const IMAGE = `${REGISTRY}/website1:v2`;

const DOUBLES: Record<string, string> = {
    // Runs the command as is, with the doubles for absolute paths and a scratch root for /etc/website1.
    sudo: `#!/bin/sh
[ "$1" = timeout ] && shift 2
for arg; do
  shift
  case $arg in
    /usr/bin/docker) arg=docker ;;
    /opt/bin/fleetctl) arg=fleetctl ;;
    /etc/website1*|/var/lib/website1*) arg="$SCRATCH$arg" ;;
  esac
  set -- "$@" "$arg"
done
exec "$@"
`,
    docker: `#!/bin/sh
echo "docker $*" >> "$SCRATCH/calls"
case "$1 $2" in
  "manifest inspect")
    case $FAKE_PUSHED in
      yes) echo '{"schemaVersion": 2}' ;;
      no) echo "no such manifest: $3"; exit 1 ;;
      *) echo "Get https://$3: x509: certificate signed by unknown authority"; exit 1 ;;
    esac ;;
  "image inspect") [ "$FAKE_PULLED" = yes ] ;;
  "ps --filter") printf '%s\\n' "$FAKE_RUNNING" | grep . || true ;;
  login*)
    echo "stdin: $(cat)" >> "$SCRATCH/calls"
    [ "$FAKE_LOGIN" = ok ] || { echo "Error response from daemon: connect: connection refused"; exit 1; } ;;
esac
`,
    curl: `#!/bin/sh
for url; do :; done
case $url in
  */version) [ -n "$FAKE_VERSION" ] || exit 7; echo "$FAKE_VERSION" ;;
  */healthz) [ "$FAKE_HEALTH" = 200 ] || exit 22 ;;
esac
`,
    fleetctl: `#!/bin/sh
echo "fleetctl $*" >> "$SCRATCH/calls"
case $1 in
  cat) [ -f "$SCRATCH/fleet/$2" ] || { echo "Job $2 not found." >&2; exit 1; }; cat "$SCRATCH/fleet/$2" ;;
  submit) cp "$2" "$SCRATCH/fleet/" ;;
  start) [ "$FAKE_START" != fail ] || { echo "Error creating units: etcd cluster is unavailable"; exit 1; } ;;
  destroy) echo "Error destroying units: etcd cluster is unavailable" >&2; exit 1 ;;
esac
`,
    journalctl: `#!/bin/sh
echo "nginx: [emerg] host not found in upstream"
`,
};

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Every docker and fleetctl call, in order. */
    calls: string[];
    scratch: string;
}

function run(
    script: string,
    env: Record<string, string> = {},
    options: { stdin?: string; fleet?: Record<string, string> } = {},
): Run {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-release-"));
    const bin = path.join(scratch, "bin");
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(scratch, "fleet"));
    for (const [name, text] of Object.entries(DOUBLES))
        fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    for (const [name, text] of Object.entries(options.fleet ?? {}))
        fs.writeFileSync(path.join(scratch, "fleet", name), text);

    const result = spawnSync("sh", ["-c", script], {
        encoding: "utf8",
        input: options.stdin ?? "",
        timeout: 20000,
        env: { PATH: `${bin}:/usr/bin:/bin`, SCRATCH: scratch, ...env },
    });
    const callsFile = path.join(scratch, "calls");
    const calls = fs.existsSync(callsFile)
        ? fs.readFileSync(callsFile, "utf8").trim().split("\n")
        : [];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, scratch };
}

afterAll(() => {
    for (const dir of fs
        .readdirSync(os.tmpdir())
        .filter((d) => d.startsWith("coreos-cluster-release-"))) {
        fs.rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true });
    }
});

describe("check and pull", () => {
    const check = steps.check({
        builder: "tsc-registry-cbuilder1",
        registryHost: REGISTRY,
        registryUser: "release",
    });
    const pull = steps.pull({
        worker: "prod-web1",
        registryHost: REGISTRY,
        registryUser: "release",
        imageTag: "v2",
    });

    test("the password reaches docker login on stdin, never as an argument", () => {
        const result = run(check, { FAKE_LOGIN: "ok" }, { stdin: "pa55word" });
        expect([result.status, result.stdout]).toEqual([
            0,
            "tsc-registry-cbuilder1: logging in to registry 10.200.4.1:5000 as release\n",
        ]);
        expect(result.calls).toEqual([
            `docker login --username release --password-stdin ${REGISTRY}`,
            "stdin: pa55word",
        ]);
    });

    test("an unreachable registry fails, naming it, with docker's last lines", () => {
        const result = run(check, { FAKE_LOGIN: "refuse" }, { stdin: "pa55word" });
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
            "tsc-registry-cbuilder1: registry 10.200.4.1:5000 unreachable or refused the login; its last lines:\n" +
                "Error response from daemon: connect: connection refused\n",
        );
    });

    test("a worker pulls with the password on stdin and logs out, even when the pull is done", () => {
        const result = run(pull, { FAKE_LOGIN: "ok", FAKE_PULLED: "no" }, { stdin: "pa55word" });
        expect([result.status, result.stdout]).toEqual([0, `prod-web1: pulling ${IMAGE}\n`]);
        expect(result.calls).toEqual([
            `docker image inspect ${IMAGE}`,
            `docker login --username release --password-stdin ${REGISTRY}`,
            "stdin: pa55word",
            `docker pull ${IMAGE}`,
            `docker logout ${REGISTRY}`,
        ]);
    });

    test("a worker that has the image already does not log in or pull", () => {
        const result = run(pull, { FAKE_PULLED: "yes" }, { stdin: "pa55word" });
        expect([result.status, result.stdout, result.calls]).toEqual([
            0,
            `prod-web1: already has ${IMAGE}\n`,
            [`docker image inspect ${IMAGE}`],
        ]);
    });

    test("a refused login on a worker fails naming the worker and the registry, and still logs out", () => {
        const result = run(
            pull,
            { FAKE_LOGIN: "refuse", FAKE_PULLED: "no" },
            { stdin: "pa55word" },
        );
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(
            /^prod-web1: registry 10\.200\.4\.1:5000 unreachable or refused the login; its last lines:\n/,
        );
        expect(result.calls.at(-1)).toBe(`docker logout ${REGISTRY}`);
    });
});

describe("sync, build and push", () => {
    const builder = { builder: "tsc-registry-cbuilder1", registryHost: REGISTRY, imageTag: "v2" };
    const scripts: [string, string][] = [
        ["sync", steps.sync({ ...builder, stagingServerIp: "10.200.3.1" })],
        [
            "build",
            steps.build({
                ...builder,
                baseImage: "nginx:1.27.3",
                dockerfile: readRepoFile("images/website1/Dockerfile"),
                nginxConf: readRepoFile("images/website1/nginx.conf"),
            }),
        ],
        ["push", steps.push(builder)],
    ];

    test.each(scripts)(
        "%s does nothing when the registry has the tag (tags are immutable)",
        (step, script) => {
            const result = run(script, { FAKE_PUSHED: "yes" });
            expect([result.status, result.stdout]).toEqual([
                0,
                `tsc-registry-cbuilder1: v2 already in ${REGISTRY}; nothing to ${step}\n`,
            ]);
            expect(result.calls).toEqual([`docker manifest inspect ${IMAGE}`]);
        },
    );

    test.each(scripts)(
        "%s stops when it cannot ask the registry, rather than build a tag again",
        (_, script) => {
            const result = run(script, { FAKE_PUSHED: "unknown" });
            expect(result.status).toBe(1);
            expect(result.stderr).toBe(
                "tsc-registry-cbuilder1: could not ask 10.200.4.1:5000 for v2; its last lines:\n" +
                    `Get https://${IMAGE}: x509: certificate signed by unknown authority\n`,
            );
            expect(result.calls).toEqual([`docker manifest inspect ${IMAGE}`]);
        },
    );

    test("push pushes a tag the registry lacks", () => {
        const result = run(steps.push(builder), { FAKE_PUSHED: "no" });
        expect([result.status, result.calls]).toEqual([
            0,
            [`docker manifest inspect ${IMAGE}`, `docker push ${IMAGE}`],
        ]);
    });
});

/** The unit as fleet keeps it: options only (comments and blank lines gone, continued lines joined). */
function asFleetKeepsIt(unitText: string): string {
    const sections: string[] = [];
    let value = "";
    for (const line of unitText.split("\n")) {
        if (value !== "" || /^[A-Za-z]/.test(line)) {
            const backslash = line.lastIndexOf("\\");
            value += backslash === -1 ? line : `${line.slice(0, backslash)} `;
            if (backslash === -1) {
                const at = value.indexOf("=");
                sections.push(`${value.slice(0, at).trim()}=${value.slice(at + 1).trim()}`);
                value = "";
            }
        } else if (line.startsWith("[")) {
            sections.push(`${sections.length > 0 ? "\n" : ""}${line}`);
        }
    }
    return `${sections.join("\n")}\n`;
}

describe("submit", () => {
    const unitText = readRepoFile("units/website1@.service");
    const submit = steps.submit({ controlNode: "prod-control1", unitText });

    test("submits the template when fleet lacks it", () => {
        const result = run(submit);
        expect([result.status, result.stdout]).toEqual([
            0,
            "prod-control1: submitting website1@.service to fleet\n",
        ]);
        expect(result.calls).toEqual([
            "fleetctl cat website1@.service",
            expect.stringMatching(/^fleetctl submit \/.*\/website1@\.service$/),
        ]);
        expect(
            fs.readFileSync(path.join(result.scratch, "fleet", "website1@.service"), "utf8"),
        ).toBe(unitText);
    });

    test("accepts fleet's copy of the same unit, though fleet dropped its comments and joined its lines", () => {
        const kept = asFleetKeepsIt(unitText);
        expect(kept).not.toContain("#");
        expect(kept).toContain(
            "-p 80:80    -v /var/lib/website1:/srv/website/state:ro    ${WEBSITE1_IMAGE}\n",
        );
        const result = run(submit, {}, { fleet: { "website1@.service": kept } });
        expect([result.status, result.stdout, result.calls]).toEqual([
            0,
            "prod-control1: fleet already has this website1@.service\n",
            ["fleetctl cat website1@.service"],
        ]);
    });

    test("fails, saying how to replace it, when fleet holds another text under the name", () => {
        const other = asFleetKeepsIt(
            unitText.replace("TimeoutStartSec=10min", "TimeoutStartSec=1min"),
        );
        const result = run(submit, {}, { fleet: { "website1@.service": other } });
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
            "prod-control1: fleet holds another website1@.service and keeps a unit's first text;\n" +
                "prod-control1: replace it with: sudo /opt/bin/fleetctl destroy website1@.service, then run pulumi up again\n",
        );
        expect(result.calls).toEqual(["fleetctl cat website1@.service"]);
    });
});

describe("drain, restart, return and destroy", () => {
    const drain = steps.drain({ worker: "prod-web1", registryHost: REGISTRY, imageTag: "v2" });
    const restart = steps.restart({
        controlNode: "prod-control1",
        worker: "prod-web1",
        workerIp: "10.220.2.1",
        imageTag: "v2",
    });
    const unit = "website1@prod-web1.service";

    test("drain leaves a worker alone that already serves the image", () => {
        const result = run(drain, { FAKE_RUNNING: IMAGE, FAKE_HEALTH: "200" });
        expect([result.status, result.stdout]).toEqual([0, "prod-web1: already on v2\n"]);
        expect(fs.existsSync(path.join(result.scratch, "var/lib/website1/draining"))).toBe(false);
    });

    test("drain records the image the unit runs next and marks the worker draining", () => {
        const result = run(drain, { FAKE_RUNNING: "" });
        expect([result.status, result.stdout]).toEqual([
            0,
            "prod-web1: website1 not running; v2 recorded, nothing to drain\n",
        ]);
        expect(fs.readFileSync(path.join(result.scratch, "etc/website1/image.env"), "utf8")).toBe(
            `WEBSITE1_IMAGE=${IMAGE}\n`,
        );
        expect(fs.existsSync(path.join(result.scratch, "var/lib/website1/draining"))).toBe(true);
    });

    test("restart does nothing to a worker that serves the tag and is healthy", () => {
        const result = run(restart, { FAKE_VERSION: "v2", FAKE_HEALTH: "200" });
        expect([result.status, result.stdout, result.calls]).toEqual([
            0,
            "prod-control1: prod-web1 already serves v2; nothing to restart\n",
            [],
        ]);
    });

    test("restart stops and starts a unit fleet has, and only starts one it lacks", () => {
        const known = run(
            restart,
            { FAKE_VERSION: "v1", FAKE_HEALTH: "503" },
            { fleet: { [unit]: "[Service]\n" } },
        );
        expect([known.status, known.calls]).toEqual([
            0,
            [`fleetctl cat ${unit}`, `fleetctl stop ${unit}`, `fleetctl start ${unit}`],
        ]);
        const fresh = run(restart, { FAKE_VERSION: "" });
        expect([fresh.status, fresh.calls]).toEqual([
            0,
            [`fleetctl cat ${unit}`, `fleetctl start ${unit}`],
        ]);
    });

    test("restart fails naming the control node, the unit and fleet's last lines", () => {
        const result = run(restart, { FAKE_VERSION: "", FAKE_START: "fail" });
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
            `prod-control1: fleetctl start ${unit} failed; its last lines:\nError creating units: etcd cluster is unavailable\n`,
        );
    });

    test("return fails after the health timeout, naming the worker, with its unit's log", () => {
        const script = steps.returnToPool({
            worker: "prod-web1",
            imageTag: "v2",
            healthTimeoutSeconds: 1,
        });
        const result = run(script, { FAKE_VERSION: "v1", FAKE_HEALTH: "200" });
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
            "prod-web1: website1@prod-web1.service did not serve v2 on /version within 1s; its last log lines:\n" +
                "nginx: [emerg] host not found in upstream\n",
        );
    });

    test("destroy says what it could not do and never fails", () => {
        const result = run(steps.destroy({ controlNode: "prod-control1", worker: "prod-web3" }));
        expect([result.status, result.stdout]).toEqual([
            0,
            "prod-control1: destroying website1@prod-web3.service in fleet\n" +
                "prod-control1: could not destroy website1@prod-web3.service, left as it is: " +
                "Error destroying units: etcd cluster is unavailable\n",
        ]);
    });
});
