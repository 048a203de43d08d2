// Exact text of every release step for given inputs, what no text may hold, and shellcheck on
// each script as the program sends it.
import { readRepoFile } from "./userdata";
import { runTool } from "../render/tools";
import {
    build,
    check,
    destroy,
    drain,
    drainWaitSeconds,
    HEALTH_CHECK,
    pull,
    push,
    RELEASE_STEPS,
    releaseChain,
    restart,
    returnToPool,
    returnWaitSeconds,
    submit,
    sync,
} from "./release-commands";

const BUILDER = "tsc-registry-cbuilder1";
const REGISTRY = "10.200.4.1:5000";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

const unlessPushed = (step: string) => [
    "if answer=$(docker manifest inspect 10.200.4.1:5000/website1:v2 2>&1); then",
    `  echo "tsc-registry-cbuilder1: v2 already in 10.200.4.1:5000; nothing to ${step}"`,
    "  exit 0",
    "fi",
    "case $answer in",
    '  *"no such manifest"*) ;;',
    '  *) fail "could not ask 10.200.4.1:5000 for v2" "$answer" ;;',
    "esac",
];

const runOrFail = (machine: string) => [
    "fail() {",
    `  echo "${machine}: $1; its last lines:" >&2`,
    `  printf '%s\\n' "$2" | tail -n 20 >&2`,
    "  exit 1",
    "}",
    "run_or_fail() {",
    "  message=$1",
    "  shift",
    '  output=$("$@" 2>&1) || fail "$message" "$output"',
    "}",
];

test("check logs in to the registry with the password on stdin, naming the registry on failure", () => {
    expect(check({ builder: BUILDER, registryHost: REGISTRY, registryUser: "release" })).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            ...runOrFail("tsc-registry-cbuilder1"),
            'echo "tsc-registry-cbuilder1: logging in to registry 10.200.4.1:5000 as release"',
            'run_or_fail "registry 10.200.4.1:5000 unreachable or refused the login" \\',
            "  docker login --username release --password-stdin 10.200.4.1:5000",
        ),
    );
});

test("sync skips a pushed tag, else rsyncs the staging site inside docker-builder, host key checked", () => {
    expect(
        sync({
            builder: BUILDER,
            registryHost: REGISTRY,
            imageTag: "v2",
            stagingServerIp: "10.200.3.1",
        }),
    ).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            ...runOrFail("tsc-registry-cbuilder1"),
            ...unlessPushed("sync"),
            "source=core@10.200.3.1:/home/core/share/nginx/html/",
            'echo "tsc-registry-cbuilder1: syncing $source into /data/website1/"',
            "ssh_command='ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o ConnectTimeout=20'",
            'ssh_command="$ssh_command -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/root/.ssh/known_hosts"',
            'run_or_fail "rsync from $source failed" \\',
            '  docker exec docker-builder rsync -a --delete -e "$ssh_command" "$source" /data/website1/',
        ),
    );
});

test("build skips a pushed tag, else builds from the synced site and the files carried in the text", () => {
    expect(
        build({
            builder: BUILDER,
            registryHost: REGISTRY,
            imageTag: "v2",
            baseImage: "nginx:1.27.3",
            dockerfile: "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
            nginxConf: "server { listen 80; }\n",
        }),
    ).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            ...runOrFail("tsc-registry-cbuilder1"),
            ...unlessPushed("build"),
            "image=10.200.4.1:5000/website1:v2",
            'echo "tsc-registry-cbuilder1: building $image on nginx:1.27.3"',
            "context=$(mktemp -d)",
            `trap 'sudo rm -rf "$context"' EXIT`,
            'run_or_fail "copying the synced site /home/core/data/website1 failed" \\',
            '  sudo cp -R /home/core/data/website1 "$context/html"',
            `cat > "$context/Dockerfile" <<'WEBSITE1_DOCKERFILE'`,
            "ARG BASE_IMAGE",
            "FROM ${BASE_IMAGE}",
            "WEBSITE1_DOCKERFILE",
            `cat > "$context/nginx.conf" <<'WEBSITE1_NGINX_CONF'`,
            "server { listen 80; }",
            "WEBSITE1_NGINX_CONF",
            `printf '%s\\n' v2 > "$context/version"`,
            'run_or_fail "docker build of $image failed" \\',
            '  docker build --build-arg BASE_IMAGE=nginx:1.27.3 --tag "$image" "$context"',
        ),
    );
});

test("push skips a pushed tag, else pushes it", () => {
    expect(push({ builder: BUILDER, registryHost: REGISTRY, imageTag: "v2" })).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            ...runOrFail("tsc-registry-cbuilder1"),
            ...unlessPushed("push"),
            "image=10.200.4.1:5000/website1:v2",
            'echo "tsc-registry-cbuilder1: pushing $image"',
            'run_or_fail "docker push of $image failed" docker push "$image"',
        ),
    );
});

test("submit compares fleet's copy of the template with this one before submitting it", () => {
    expect(
        submit({
            controlNode: "prod-control1",
            unitText: "[Service]\nExecStart=/usr/bin/docker run \\\n  ${WEBSITE1_IMAGE}\n",
        }),
    ).toBe(
        lines(
            "set -eu",
            'fleetctl() { sudo timeout 120 /opt/bin/fleetctl "$@"; }',
            ...runOrFail("prod-control1"),
            "options() {",
            `  awk 'sub(/\\\\$/, "") { held = held $0 " "; next }`,
            '    { $0 = held $0; held = "" }',
            "    /^[[:space:]]*([#;]|$)/ { next }",
            `    { $1 = $1; print }' "$1"`,
            "}",
            "dir=$(mktemp -d)",
            `trap 'rm -rf "$dir"' EXIT`,
            `cat > "$dir/website1@.service" <<'WEBSITE1_UNIT'`,
            "[Service]",
            "ExecStart=/usr/bin/docker run \\",
            "  ${WEBSITE1_IMAGE}",
            "WEBSITE1_UNIT",
            'if fleetctl cat website1@.service > "$dir/in-fleet" 2>/dev/null; then',
            '  if [ "$(options "$dir/in-fleet")" = "$(options "$dir/website1@.service")" ]; then',
            '    echo "prod-control1: fleet already has this website1@.service"',
            "    exit 0",
            "  fi",
            `  echo "prod-control1: fleet holds another website1@.service and keeps a unit's first text;" >&2`,
            '  echo "prod-control1: replace it with: sudo /opt/bin/fleetctl destroy website1@.service," \\',
            '    "then run pulumi up again" >&2',
            "  exit 1",
            "fi",
            'echo "prod-control1: submitting website1@.service to fleet"',
            'run_or_fail "fleetctl submit of website1@.service failed" fleetctl submit "$dir/website1@.service"',
        ),
    );
});

test("pull skips an image the worker has, else logs in (stdin), pulls and logs out", () => {
    expect(
        pull({
            worker: "prod-web1",
            registryHost: REGISTRY,
            registryUser: "release",
            imageTag: "v2",
        }),
    ).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            ...runOrFail("prod-web1"),
            "image=10.200.4.1:5000/website1:v2",
            'if docker image inspect "$image" >/dev/null 2>&1; then',
            '  echo "prod-web1: already has $image"',
            "  exit 0",
            "fi",
            'echo "prod-web1: pulling $image"',
            "trap 'docker logout 10.200.4.1:5000 >/dev/null 2>&1 || true' EXIT",
            'run_or_fail "registry 10.200.4.1:5000 unreachable or refused the login" \\',
            "  docker login --username release --password-stdin 10.200.4.1:5000",
            'run_or_fail "docker pull of $image failed" docker pull "$image"',
        ),
    );
});

test("drain skips a worker already on the tag, else records the image and drains it", () => {
    expect(drain({ worker: "prod-web1", registryHost: REGISTRY, imageTag: "v2" })).toBe(
        lines(
            "set -eu",
            'docker() { sudo /usr/bin/docker "$@"; }',
            "image=10.200.4.1:5000/website1:v2",
            "running=$(docker ps --filter 'name=^website1$' --format '{{.Image}}')",
            'if [ "$running" = "$image" ] && curl -fsS -o /dev/null --max-time 5 http://127.0.0.1/healthz; then',
            '  echo "prod-web1: already on v2"',
            "  exit 0",
            "fi",
            "sudo mkdir -p /etc/website1 /var/lib/website1",
            "sudo touch /var/lib/website1/draining",
            `printf 'WEBSITE1_IMAGE=%s\\n' "$image" | sudo tee /etc/website1/image.env.new >/dev/null`,
            "sudo mv /etc/website1/image.env.new /etc/website1/image.env",
            'if [ -z "$running" ]; then',
            '  echo "prod-web1: website1 not running; v2 recorded, nothing to drain"',
            "  exit 0",
            "fi",
            'echo "prod-web1: draining for 18s (/healthz answers 503) so the load balancer takes it out"',
            "sleep 18",
        ),
    );
});

test("restart skips a worker that serves the tag, else stops and starts its instance through fleet", () => {
    expect(
        restart({
            controlNode: "prod-control1",
            worker: "prod-web1",
            workerIp: "10.220.2.1",
            imageTag: "v2",
        }),
    ).toBe(
        lines(
            "set -eu",
            'fleetctl() { sudo timeout 120 /opt/bin/fleetctl "$@"; }',
            ...runOrFail("prod-control1"),
            "unit=website1@prod-web1.service",
            "version=$(curl -fsS --max-time 5 http://10.220.2.1/version 2>/dev/null || true)",
            'if [ "$version" = v2 ] && curl -fsS -o /dev/null --max-time 5 http://10.220.2.1/healthz',
            "then",
            '  echo "prod-control1: prod-web1 already serves v2; nothing to restart"',
            "  exit 0",
            "fi",
            'echo "prod-control1: restarting $unit through fleet"',
            'if fleetctl cat "$unit" >/dev/null 2>&1; then',
            '  run_or_fail "fleetctl stop $unit failed" fleetctl stop "$unit"',
            "fi",
            'run_or_fail "fleetctl start $unit failed" fleetctl start "$unit"',
        ),
    );
});

test("returnToPool waits for the tag and /healthz, bounded, then for the load balancer", () => {
    expect(returnToPool({ worker: "prod-web1", imageTag: "v2", healthTimeoutSeconds: 300 })).toBe(
        lines(
            "set -eu",
            'serves_tag() { [ "$(curl -fsS --max-time 5 http://127.0.0.1/version 2>/dev/null || true)" = v2 ]; }',
            "healthy() { curl -fsS -o /dev/null --max-time 5 http://127.0.0.1/healthz; }",
            "if [ ! -e /var/lib/website1/draining ] && serves_tag && healthy; then",
            '  echo "prod-web1: serving v2; nothing to return"',
            "  exit 0",
            "fi",
            'echo "prod-web1: back to the pool once it serves v2 (at most 300s, then 15s for the load balancer)"',
            "deadline=$(($(date +%s) + 300))",
            "give_up() {",
            '  echo "prod-web1: website1@prod-web1.service did not $1 within 300s; its last log lines:" >&2',
            "  sudo journalctl --unit website1@prod-web1.service --no-pager --lines 30 >&2 || true",
            "  exit 1",
            "}",
            "until serves_tag; do",
            '  [ "$(date +%s)" -lt "$deadline" ] || give_up "serve v2 on /version"',
            "  sleep 2",
            "done",
            "sudo rm -f /var/lib/website1/draining",
            "until healthy; do",
            '  [ "$(date +%s)" -lt "$deadline" ] || give_up "answer 200 on /healthz"',
            "  sleep 1",
            "done",
            "sleep 15",
        ),
    );
});

test("destroy never fails and says what it could not do", () => {
    expect(destroy({ controlNode: "prod-control1", worker: "prod-web3" })).toBe(
        lines(
            "set -u",
            'fleetctl() { sudo timeout 120 /opt/bin/fleetctl "$@"; }',
            "unit=website1@prod-web3.service",
            'echo "prod-control1: destroying $unit in fleet"',
            'if ! output=$(fleetctl destroy "$unit" 2>&1); then',
            `  last=$(printf '%s\\n' "$output" | tail -n 1)`,
            '  echo "prod-control1: could not destroy $unit, left as it is: $last"',
            "fi",
            "exit 0",
        ),
    );
});

/** Every step with the values the program gives it, and this repo's files. */
const everyStep: [string, string][] = [
    ["check", check({ builder: BUILDER, registryHost: REGISTRY, registryUser: "release" })],
    [
        "sync",
        sync({
            builder: BUILDER,
            registryHost: REGISTRY,
            imageTag: "v2",
            stagingServerIp: "10.200.3.1",
        }),
    ],
    [
        "build",
        build({
            builder: BUILDER,
            registryHost: REGISTRY,
            imageTag: "v2",
            baseImage: "nginx:1.27.3",
            dockerfile: readRepoFile("images/website1/Dockerfile"),
            nginxConf: readRepoFile("images/website1/nginx.conf"),
        }),
    ],
    ["push", push({ builder: BUILDER, registryHost: REGISTRY, imageTag: "v2" })],
    [
        "submit",
        submit({ controlNode: "prod-control1", unitText: readRepoFile("units/website1@.service") }),
    ],
    [
        "pull",
        pull({
            worker: "prod-web1",
            registryHost: REGISTRY,
            registryUser: "release",
            imageTag: "v2",
        }),
    ],
    ["drain", drain({ worker: "prod-web1", registryHost: REGISTRY, imageTag: "v2" })],
    [
        "restart",
        restart({
            controlNode: "prod-control1",
            worker: "prod-web1",
            workerIp: "10.220.2.1",
            imageTag: "v2",
        }),
    ],
    ["return", returnToPool({ worker: "prod-web1", imageTag: "v2", healthTimeoutSeconds: 300 })],
    ["destroy", destroy({ controlNode: "prod-control1", worker: "prod-web3" })],
];

test("every release step has a command builder", () => {
    expect(everyStep.map(([step]) => step)).toEqual([...RELEASE_STEPS]);
});

test.each(everyStep)("%s is shellcheck clean", (_, script) => {
    const run = runTool("shellcheck", ["--shell", "sh", "--format", "gcc", "-"], {
        input: `#!/bin/sh\n${script}`,
    });
    expect(`${run.stdout}${run.stderr}`.trim()).toBe("");
});

test.each(everyStep)("%s holds no password, private key or unchecked host", (_, script) => {
    expect(script).not.toMatch(
        /PRIVATE KEY|password[= ]|--password(?!-stdin)|docker login[^\n]*\s-p\s/i,
    );
    expect(script).not.toMatch(
        /StrictHostKeyChecking[= ]+no|UserKnownHostsFile=\/dev\/null|:latest\b/,
    );
    for (const login of script.match(/docker login[^\n]*/g) ?? [])
        expect(login).toContain("--password-stdin");
});

test.each(everyStep)("%s names its machine on every line it prints", (_, script) => {
    for (const echo of script.match(/^\s*echo "[^"]*/gm) ?? []) {
        expect(echo).toMatch(/echo "(tsc-registry-cbuilder1|prod-control1|prod-web1): /);
    }
});

test("a value that would need quoting in sh is refused, naming the step and the key", () => {
    expect(() =>
        pull({
            worker: "prod-web1",
            registryHost: REGISTRY,
            registryUser: "x; rm -rf /",
            imageTag: "v2",
        }),
    ).toThrow(
        'release step pull: registryUser "x; rm -rf /" is not a plain word; expected letters, digits and _ . : @ / -',
    );
    expect(() =>
        returnToPool({ worker: "prod-web1", imageTag: "v2", healthTimeoutSeconds: 0 }),
    ).toThrow(
        "release step return: healthTimeoutSeconds 0 is not a whole number of seconds above 0",
    );
});

test("a file whose text holds the here-document's end marker is refused", () => {
    expect(() =>
        submit({ controlNode: "prod-control1", unitText: "[Unit]\nWEBSITE1_UNIT\n" }),
    ).toThrow(/holds a line WEBSITE1_UNIT/);
});

test("drain and return wait as long as the load balancer's check needs, plus a margin", () => {
    expect(drainWaitSeconds(HEALTH_CHECK)).toBe(2 * 5 + 3 + 5);
    expect(returnWaitSeconds(HEALTH_CHECK)).toBe(2 * 5 + 5);
    const quick = {
        intervalSeconds: 1,
        timeoutSeconds: 1,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
    };
    expect(
        drain({ worker: "w1", registryHost: REGISTRY, imageTag: "v2", healthCheck: quick }),
    ).toContain("\nsleep 9\n");
    expect(
        returnToPool({
            worker: "w1",
            imageTag: "v2",
            healthTimeoutSeconds: 30,
            healthCheck: quick,
        }),
    ).toMatch(/\nsleep 7\n$/);
});

test("releaseChain: the builder's steps in line, pulls at once, batches after every pull", () => {
    const order = releaseChain(["w1", "w2", "w3"], 2).map((link) => [link.id, link.after]);
    expect(order).toEqual([
        ["check", []],
        ["sync", ["check"]],
        ["build", ["sync"]],
        ["push", ["build"]],
        ["submit", ["push"]],
        ["pull-w1", ["push"]],
        ["pull-w2", ["push"]],
        ["pull-w3", ["push"]],
        ["drain-w1", ["pull-w1", "pull-w2", "pull-w3", "submit"]],
        ["restart-w1", ["drain-w1"]],
        ["return-w1", ["restart-w1"]],
        ["drain-w2", ["pull-w1", "pull-w2", "pull-w3", "submit"]],
        ["restart-w2", ["drain-w2"]],
        ["return-w2", ["restart-w2"]],
        ["drain-w3", ["pull-w3", "submit", "return-w1", "return-w2"]],
        ["restart-w3", ["drain-w3"]],
        ["return-w3", ["restart-w3"]],
    ]);
});
