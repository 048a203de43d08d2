// The text of every release step, as pure functions: one plain object in, sh script text out.
// The program (release.ts), the offline render and the local harness call the same functions
// with their own addresses. Each script runs as user core over a non-interactive ssh session and
// needs only sh, sudo (root's work: docker, fleet's socket, /etc), curl, systemd and coreutils.
//
// fleet: always `/opt/bin/fleetctl`, through sudo (its socket is root's), on the control node,
// bounded by `timeout`, with no flags. Subcommands: `cat UNIT`, `submit FILE`, `stop UNIT`,
// `start UNIT` and `destroy UNIT`, where UNIT is website1@.service or website1@<worker>.service.
import { SITE_ROOT } from "./commands";
import { drainWaitSeconds, HEALTH_CHECK, HealthCheckTiming, returnWaitSeconds } from "./health";

export { drainWaitSeconds, HEALTH_CHECK, returnWaitSeconds };
export type { HealthCheckTiming };

/** The release steps in chain order; `destroy` is the delete command of a worker's restart step. */
export const RELEASE_STEPS = [
    "check",
    "sync",
    "build",
    "push",
    "submit",
    "pull",
    "drain",
    "restart",
    "return",
    "destroy",
] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

export const FLEETCTL = "/opt/bin/fleetctl";
export const FLEET_TIMEOUT_SECONDS = 120;
export const WEBSITE1_TEMPLATE = "website1@.service";
/** The file website1@.service reads, so its text never changes between releases. */
export const IMAGE_ENV = "/etc/website1/image.env";
/** While it exists, a worker's /healthz answers 503 (the unit mounts its folder read-only). */
export const DRAIN_FILE = "/var/lib/website1/draining";
/** The staging site on the staging web server, and where the builder keeps its copy. */
export const STAGING_SITE = `${SITE_ROOT}/html/`;
export const BUILDER_SITE = "/home/core/data/website1";

/** One step of the chain: its id, what it does, for which worker, and the steps it waits for. */
export interface ChainLink {
    readonly id: string;
    readonly step: ReleaseStep;
    readonly worker?: string;
    readonly after: readonly string[];
}

/**
 * The release's order, shared by the program and the harness: the builder's steps one after
 * another; then the fleet template and every worker's pull at once; then batch after batch each
 * worker's drain, restart and return. The first batch drains only after every pull succeeded, so
 * a failed pull leaves every worker serving.
 */
export function releaseChain(workers: readonly string[], batchSize: number): ChainLink[] {
    const chain: ChainLink[] = [
        { id: "check", step: "check", after: [] },
        { id: "sync", step: "sync", after: ["check"] },
        { id: "build", step: "build", after: ["sync"] },
        { id: "push", step: "push", after: ["build"] },
        { id: "submit", step: "submit", after: ["push"] },
        ...workers.map((worker): ChainLink => ({
            id: `pull-${worker}`,
            step: "pull",
            worker,
            after: ["push"],
        })),
    ];
    let previousBatch: string[] = [];
    for (let first = 0; first < workers.length; first += batchSize) {
        const batch = workers.slice(first, first + batchSize);
        for (const worker of batch) {
            const pulls = first === 0 ? workers : [worker];
            chain.push(
                {
                    id: `drain-${worker}`,
                    step: "drain",
                    worker,
                    after: [...pulls.map((w) => `pull-${w}`), "submit", ...previousBatch],
                },
                { id: `restart-${worker}`, step: "restart", worker, after: [`drain-${worker}`] },
                { id: `return-${worker}`, step: "return", worker, after: [`restart-${worker}`] },
            );
        }
        previousBatch = batch.map((worker) => `return-${worker}`);
    }
    return chain;
}

/** `<registry>/website1:<tag>`. */
export function websiteImage(registryHost: string, imageTag: string): string {
    return `${registryHost}/website1:${imageTag}`;
}

/** The fleet instance of website1 bound to a worker. */
export function workerUnit(worker: string): string {
    return `website1@${worker}.service`;
}

export interface CheckArgs {
    /** The builder's name, for the log. */
    readonly builder: string;
    /** host:port of the registry. */
    readonly registryHost: string;
    readonly registryUser: string;
}

/**
 * Builder: logs in to the registry, the password on stdin; an unreachable registry stops the
 * release here, before any worker is touched.
 */
export function check(args: CheckArgs): string {
    const { builder, registryHost, registryUser } = plain("check", args);
    return script([
        "set -eu",
        DOCKER,
        ...runOrFail(builder),
        `echo "${builder}: logging in to registry ${registryHost} as ${registryUser}"`,
        `run_or_fail "registry ${registryHost} unreachable or refused the login" \\`,
        `  docker login --username ${registryUser} --password-stdin ${registryHost}`,
    ]);
}

export interface SyncArgs {
    readonly builder: string;
    readonly registryHost: string;
    readonly imageTag: string;
    /** Internal address of the staging web server whose site is released. */
    readonly stagingServerIp: string;
}

/** Builder: copies the staging site into /data/website1 of the docker-builder container. */
export function sync(args: SyncArgs): string {
    const { builder, registryHost, imageTag, stagingServerIp } = plain("sync", args);
    const source = `core@${stagingServerIp}:${STAGING_SITE}`;
    return script([
        ...onBuilderUnlessPushed(builder, registryHost, imageTag, "sync"),
        `source=${source}`,
        `echo "${builder}: syncing $source into /data/website1/"`,
        "ssh_command='ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o ConnectTimeout=20'",
        'ssh_command="$ssh_command -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/root/.ssh/known_hosts"',
        'run_or_fail "rsync from $source failed" \\',
        '  docker exec docker-builder rsync -a --delete -e "$ssh_command" "$source" /data/website1/',
    ]);
}

export interface BuildArgs {
    readonly builder: string;
    readonly registryHost: string;
    readonly imageTag: string;
    /** The nginx image the site is built on, pinned by version. */
    readonly baseImage: string;
    /** Text of images/website1/Dockerfile. */
    readonly dockerfile: string;
    /** Text of images/website1/nginx.conf. */
    readonly nginxConf: string;
}

/**
 * Builder: builds `<registry>/website1:<tag>` from the synced site, the tag as /version, and the
 * Dockerfile and nginx.conf carried in this text (so changing them changes no machine's user-data).
 */
export function build(args: BuildArgs): string {
    const { builder, registryHost, imageTag, baseImage } = plain("build", {
        builder: args.builder,
        registryHost: args.registryHost,
        imageTag: args.imageTag,
        baseImage: args.baseImage,
    });
    const image = websiteImage(registryHost, imageTag);
    return script([
        ...onBuilderUnlessPushed(builder, registryHost, imageTag, "build"),
        `image=${image}`,
        `echo "${builder}: building $image on ${baseImage}"`,
        "context=$(mktemp -d)",
        `trap 'sudo rm -rf "$context"' EXIT`,
        `run_or_fail "copying the synced site ${BUILDER_SITE} failed" \\`,
        `  sudo cp -R ${BUILDER_SITE} "$context/html"`,
        ...hereFile('"$context/Dockerfile"', "WEBSITE1_DOCKERFILE", args.dockerfile),
        ...hereFile('"$context/nginx.conf"', "WEBSITE1_NGINX_CONF", args.nginxConf),
        `printf '%s\\n' ${imageTag} > "$context/version"`,
        'run_or_fail "docker build of $image failed" \\',
        `  docker build --build-arg BASE_IMAGE=${baseImage} --tag "$image" "$context"`,
    ]);
}

export interface PushArgs {
    readonly builder: string;
    readonly registryHost: string;
    readonly imageTag: string;
}

/** Builder: pushes the image, unless the registry already has the tag (tags are immutable). */
export function push(args: PushArgs): string {
    const { builder, registryHost, imageTag } = plain("push", args);
    const image = websiteImage(registryHost, imageTag);
    return script([
        ...onBuilderUnlessPushed(builder, registryHost, imageTag, "push"),
        `image=${image}`,
        `echo "${builder}: pushing $image"`,
        'run_or_fail "docker push of $image failed" docker push "$image"',
    ]);
}

export interface SubmitArgs {
    readonly controlNode: string;
    /** Text of units/website1@.service. */
    readonly unitText: string;
}

/**
 * Control node: submits the website1@.service template to fleet. fleet keeps the first text of a
 * unit name, so a different copy in fleet fails the step with how to replace it. fleet stores a
 * unit's options, not its file, so the two are compared without comments, blank lines and line
 * continuations, whitespace squeezed.
 */
export function submit(args: SubmitArgs): string {
    const { controlNode } = plain("submit", { controlNode: args.controlNode });
    const file = `"$dir/${WEBSITE1_TEMPLATE}"`;
    return script([
        "set -eu",
        FLEET,
        ...runOrFail(controlNode),
        "options() {",
        '  awk \'sub(/\\\\$/, "") { held = held $0 " "; next }',
        '    { $0 = held $0; held = "" }',
        "    /^[[:space:]]*([#;]|$)/ { next }",
        '    { $1 = $1; print }\' "$1"',
        "}",
        "dir=$(mktemp -d)",
        `trap 'rm -rf "$dir"' EXIT`,
        ...hereFile(file, "WEBSITE1_UNIT", args.unitText),
        `if fleetctl cat ${WEBSITE1_TEMPLATE} > "$dir/in-fleet" 2>/dev/null; then`,
        `  if [ "$(options "$dir/in-fleet")" = "$(options ${file})" ]; then`,
        `    echo "${controlNode}: fleet already has this ${WEBSITE1_TEMPLATE}"`,
        "    exit 0",
        "  fi",
        `  echo "${controlNode}: fleet holds another ${WEBSITE1_TEMPLATE} and keeps a unit's first text;" >&2`,
        `  echo "${controlNode}: replace it with: sudo ${FLEETCTL} destroy ${WEBSITE1_TEMPLATE}," \\`,
        '    "then run pulumi up again" >&2',
        "  exit 1",
        "fi",
        `echo "${controlNode}: submitting ${WEBSITE1_TEMPLATE} to fleet"`,
        `run_or_fail "fleetctl submit of ${WEBSITE1_TEMPLATE} failed" fleetctl submit ${file}`,
    ]);
}

export interface PullArgs {
    readonly worker: string;
    readonly registryHost: string;
    readonly registryUser: string;
    readonly imageTag: string;
}

/** Worker: pulls the image (password on stdin), then logs out so no credential stays behind. */
export function pull(args: PullArgs): string {
    const { worker, registryHost, registryUser, imageTag } = plain("pull", args);
    const image = websiteImage(registryHost, imageTag);
    return script([
        "set -eu",
        DOCKER,
        ...runOrFail(worker),
        `image=${image}`,
        'if docker image inspect "$image" >/dev/null 2>&1; then',
        `  echo "${worker}: already has $image"`,
        "  exit 0",
        "fi",
        `echo "${worker}: pulling $image"`,
        `trap 'docker logout ${registryHost} >/dev/null 2>&1 || true' EXIT`,
        `run_or_fail "registry ${registryHost} unreachable or refused the login" \\`,
        `  docker login --username ${registryUser} --password-stdin ${registryHost}`,
        'run_or_fail "docker pull of $image failed" docker pull "$image"',
    ]);
}

export interface DrainArgs {
    readonly worker: string;
    readonly registryHost: string;
    readonly imageTag: string;
    /** The load balancer's check; the default is the one the program declares. */
    readonly healthCheck?: HealthCheckTiming;
}

/**
 * Worker: unless it already serves the image, makes /healthz answer 503 and records the image
 * its unit runs next; then waits until the load balancer has taken it out. The image is
 * recorded here, out of the pool, and not at pull time: a worker that reboots while another
 * is being released keeps running the image it served.
 */
export function drain(args: DrainArgs): string {
    const { worker, registryHost, imageTag } = plain("drain", args);
    const image = websiteImage(registryHost, imageTag);
    const seconds = drainWaitSeconds(args.healthCheck ?? HEALTH_CHECK);
    return script([
        "set -eu",
        DOCKER,
        `image=${image}`,
        "running=$(docker ps --filter 'name=^website1$' --format '{{.Image}}')",
        `if [ "$running" = "$image" ] && curl -fsS -o /dev/null --max-time 5 ${LOCAL}/healthz; then`,
        `  echo "${worker}: already on ${imageTag}"`,
        "  exit 0",
        "fi",
        `sudo mkdir -p ${dirname(IMAGE_ENV)} ${dirname(DRAIN_FILE)}`,
        `sudo touch ${DRAIN_FILE}`,
        `printf 'WEBSITE1_IMAGE=%s\\n' "$image" | sudo tee ${IMAGE_ENV}.new >/dev/null`,
        `sudo mv ${IMAGE_ENV}.new ${IMAGE_ENV}`,
        'if [ -z "$running" ]; then',
        `  echo "${worker}: website1 not running; ${imageTag} recorded, nothing to drain"`,
        "  exit 0",
        "fi",
        `echo "${worker}: draining for ${seconds}s (/healthz answers 503) so the load balancer takes it out"`,
        `sleep ${seconds}`,
    ]);
}

export interface RestartArgs {
    readonly controlNode: string;
    readonly worker: string;
    /** Internal address of the worker, where the control node reads its /version and /healthz. */
    readonly workerIp: string;
    readonly imageTag: string;
}

/** Control node: restarts the worker's website1 instance through fleet, unless it serves the tag. */
export function restart(args: RestartArgs): string {
    const { controlNode, worker, workerIp, imageTag } = plain("restart", args);
    const unit = workerUnit(worker);
    return script([
        "set -eu",
        FLEET,
        ...runOrFail(controlNode),
        `unit=${unit}`,
        `version=$(curl -fsS --max-time 5 http://${workerIp}/version 2>/dev/null || true)`,
        `if [ "$version" = ${imageTag} ] && curl -fsS -o /dev/null --max-time 5 http://${workerIp}/healthz`,
        "then",
        `  echo "${controlNode}: ${worker} already serves ${imageTag}; nothing to restart"`,
        "  exit 0",
        "fi",
        `echo "${controlNode}: restarting $unit through fleet"`,
        'if fleetctl cat "$unit" >/dev/null 2>&1; then',
        '  run_or_fail "fleetctl stop $unit failed" fleetctl stop "$unit"',
        "fi",
        'run_or_fail "fleetctl start $unit failed" fleetctl start "$unit"',
    ]);
}

export interface ReturnArgs {
    readonly worker: string;
    readonly imageTag: string;
    /** How long the worker may take to serve the tag and answer 200 on /healthz. */
    readonly healthTimeoutSeconds: number;
    readonly healthCheck?: HealthCheckTiming;
}

/**
 * Worker: waits until it serves the tag, ends the drain, waits for /healthz 200 and then for the
 * load balancer to send to it again. On timeout it fails with the unit's last log lines, and the
 * worker stays out of the pool.
 */
export function returnToPool(args: ReturnArgs): string {
    const { worker, imageTag } = plain("return", { worker: args.worker, imageTag: args.imageTag });
    const timeout = wholeSeconds("return", "healthTimeoutSeconds", args.healthTimeoutSeconds);
    const seconds = returnWaitSeconds(args.healthCheck ?? HEALTH_CHECK);
    const unit = workerUnit(worker);
    return script([
        "set -eu",
        `serves_tag() { [ "$(curl -fsS --max-time 5 ${LOCAL}/version 2>/dev/null || true)" = ${imageTag} ]; }`,
        `healthy() { curl -fsS -o /dev/null --max-time 5 ${LOCAL}/healthz; }`,
        `if [ ! -e ${DRAIN_FILE} ] && serves_tag && healthy; then`,
        `  echo "${worker}: serving ${imageTag}; nothing to return"`,
        "  exit 0",
        "fi",
        `echo "${worker}: back to the pool once it serves ${imageTag} (at most ${timeout}s, then ${seconds}s` +
            ' for the load balancer)"',
        `deadline=$(($(date +%s) + ${timeout}))`,
        "give_up() {",
        `  echo "${worker}: ${unit} did not $1 within ${timeout}s; its last log lines:" >&2`,
        `  sudo journalctl --unit ${unit} --no-pager --lines 30 >&2 || true`,
        "  exit 1",
        "}",
        "until serves_tag; do",
        `  [ "$(date +%s)" -lt "$deadline" ] || give_up "serve ${imageTag} on /version"`,
        "  sleep 2",
        "done",
        `sudo rm -f ${DRAIN_FILE}`,
        "until healthy; do",
        '  [ "$(date +%s)" -lt "$deadline" ] || give_up "answer 200 on /healthz"',
        "  sleep 1",
        "done",
        `sleep ${seconds}`,
    ]);
}

export interface DestroyArgs {
    readonly controlNode: string;
    readonly worker: string;
}

/**
 * Control node: destroys a worker's website1 instance in fleet, when the worker is removed or
 * replaced, or before a release starts the instance again (so it takes the template's current
 * text). Never fails and never waits long: the worker may be gone already.
 */
export function destroy(args: DestroyArgs): string {
    const { controlNode, worker } = plain("destroy", args);
    const unit = workerUnit(worker);
    return script([
        "set -u",
        FLEET,
        `unit=${unit}`,
        `echo "${controlNode}: destroying $unit in fleet"`,
        'if ! output=$(fleetctl destroy "$unit" 2>&1); then',
        `  last=$(printf '%s\\n' "$output" | tail -n 1)`,
        `  echo "${controlNode}: could not destroy $unit, left as it is: $last"`,
        "fi",
        "exit 0",
    ]);
}

const LOCAL = "http://127.0.0.1";
const DOCKER = 'docker() { sudo /usr/bin/docker "$@"; }';
const FLEET = `fleetctl() { sudo timeout ${FLEET_TIMEOUT_SECONDS} ${FLEETCTL} "$@"; }`;

/**
 * `fail MESSAGE OUTPUT` names the machine and shows the output's tail; `run_or_fail MESSAGE
 * COMMAND...` runs a command quietly and fails so when it does.
 */
function runOrFail(machine: string): string[] {
    return [
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
}

/**
 * How sync, build and push begin. Tags are immutable: once pushed, there is nothing to do. Only
 * an answer that the tag is missing lets the step go on; any other failure stops it, so a tag
 * is never built again over itself because the registry could not be asked.
 */
function onBuilderUnlessPushed(
    builder: string,
    registryHost: string,
    imageTag: string,
    step: string,
): string[] {
    return [
        "set -eu",
        DOCKER,
        ...runOrFail(builder),
        `if answer=$(docker manifest inspect ${websiteImage(registryHost, imageTag)} 2>&1); then`,
        `  echo "${builder}: ${imageTag} already in ${registryHost}; nothing to ${step}"`,
        "  exit 0",
        "fi",
        "case $answer in",
        '  *"no such manifest"*) ;;',
        `  *) fail "could not ask ${registryHost} for ${imageTag}" "$answer" ;;`,
        "esac",
    ];
}

/** Writes a file of this repo through a quoted here-document, so nothing in it is expanded. */
function hereFile(target: string, marker: string, text: string): string[] {
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    if (body.split("\n").includes(marker))
        throw new Error(`the text written to ${target} holds a line ${marker}`);
    return [`cat > ${target} <<'${marker}'`, body, marker];
}

function script(lines: readonly string[]): string {
    return `${lines.join("\n")}\n`;
}

function dirname(file: string): string {
    return file.slice(0, file.lastIndexOf("/"));
}

/**
 * The values a step puts into its text, each checked to be one word that needs no quoting in
 * sh: a machine name, an address, a user or a tag.
 */
function plain<T extends object>(step: string, values: T): T {
    for (const [key, value] of Object.entries(values)) {
        if (typeof value === "string" && !/^[A-Za-z0-9_.:@/-]+$/.test(value)) {
            const form = "expected letters, digits and _ . : @ / -";
            throw new Error(
                `release step ${step}: ${key} ${JSON.stringify(value)} is not a plain word; ${form}`,
            );
        }
    }
    return values;
}

function wholeSeconds(step: string, key: string, value: number): number {
    if (!Number.isInteger(value) || value < 1) {
        throw new Error(
            `release step ${step}: ${key} ${value} is not a whole number of seconds above 0`,
        );
    }
    return value;
}
