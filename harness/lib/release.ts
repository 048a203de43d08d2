// Drives the release as the prod stack's chain does: each step's text from the program's own
// builders (components/release-commands.ts), sent over ssh as core, in the order and with the
// parallelism of components/release.ts. One log line per step and machine.
import * as release from "../../components/release-commands";
import { readRepoFile } from "../../components/userdata";
import { WEBSITE1_BASE_IMAGE } from "../../components/versions";
import { REGISTRY_USER } from "../../components/registry";
import { Cluster, Machine } from "./cluster";
import { log, tail } from "./process";

export interface ReleaseOptions {
    readonly imageTag: string;
    /** The workers released, in order; all of the cluster's by default. */
    readonly workers?: readonly Machine[];
    readonly batchSize?: number;
    readonly healthTimeoutSeconds?: number;
}

export interface StepRun {
    readonly step: release.ReleaseStep;
    readonly machine: string;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
}

/** A failed release step: names the machine and the step, and carries the tail of its output. */
export class ReleaseStepError extends Error {
    constructor(
        readonly run: StepRun,
        readonly code: number,
    ) {
        super(
            `${run.machine}: release step ${run.step} failed (exit ${code}):\n${tail(`${run.stdout}\n${run.stderr}`, 40)}`,
        );
        this.name = "ReleaseStepError";
    }
}

/** Runs one step's text on a machine; throws a ReleaseStepError when it fails. */
export async function runStep(
    cluster: Cluster,
    step: release.ReleaseStep,
    machine: Machine,
    script: string,
    input?: string,
): Promise<StepRun> {
    const started = Date.now();
    const result = await cluster.ssh(machine, script, { input });
    const run: StepRun = {
        step,
        machine: machine.name,
        stdout: result.stdout,
        stderr: result.stderr,
        seconds: (Date.now() - started) / 1000,
    };
    const said =
        `${result.stdout}`
            .trim()
            .split("\n")
            .filter((line) => line !== "")
            .pop() ?? "";
    log(
        machine.name,
        `${step} ${result.code === 0 ? "ok" : "FAILED"} in ${run.seconds.toFixed(1)}s${said ? `: ${said}` : ""}`,
    );
    if (result.code !== 0) throw new ReleaseStepError(run, result.code);
    return run;
}

/** Every step's text for one release, as the program builds it with the harness's values. */
export function releaseScripts(cluster: Cluster, imageTag: string, healthTimeoutSeconds: number) {
    const builder = cluster.builder.name;
    const registryHost = cluster.registryHost;
    const registryUser = REGISTRY_USER;
    return {
        check: release.check({ builder, registryHost, registryUser }),
        sync: release.sync({
            builder,
            registryHost,
            imageTag,
            stagingServerIp: cluster.staging1.ip,
        }),
        build: release.build({
            builder,
            registryHost,
            imageTag,
            baseImage: WEBSITE1_BASE_IMAGE,
            dockerfile: readRepoFile("images/website1/Dockerfile"),
            nginxConf: readRepoFile("images/website1/nginx.conf"),
        }),
        push: release.push({ builder, registryHost, imageTag }),
        submit: release.submit({
            controlNode: cluster.control.name,
            unitText: readRepoFile(`units/${release.WEBSITE1_TEMPLATE}`),
        }),
        pull: (worker: Machine) =>
            release.pull({ worker: worker.name, registryHost, registryUser, imageTag }),
        drain: (worker: Machine) => release.drain({ worker: worker.name, registryHost, imageTag }),
        restart: (worker: Machine) =>
            release.restart({
                controlNode: cluster.control.name,
                worker: worker.name,
                workerIp: worker.ip,
                imageTag,
            }),
        return: (worker: Machine) =>
            release.returnToPool({ worker: worker.name, imageTag, healthTimeoutSeconds }),
    };
}

/** One step of the chain and the steps it waits for, as `dependsOn` in components/release.ts. */
export interface ChainStep {
    readonly id: string;
    readonly step: release.ReleaseStep;
    readonly machine: Machine;
    readonly script: string;
    /** The registry password, for the steps that log in. */
    readonly stdin?: string;
    readonly after: readonly string[];
}

/**
 * The program's chain (`releaseChain` of components/release-commands.ts, which
 * components/release.ts declares), each step with the harness machine it runs on and its text.
 */
export function releaseChain(cluster: Cluster, options: ReleaseOptions): ChainStep[] {
    const workers = options.workers ?? cluster.workers;
    const scripts = releaseScripts(cluster, options.imageTag, options.healthTimeoutSeconds ?? 300);
    const password = `${cluster.keys.registryPassword}\n`;
    const { builder, control } = cluster;

    const names = workers.map((w) => w.name);
    return release.releaseChain(names, options.batchSize ?? 1).map((link): ChainStep => {
        const worker = workers.find((w) => w.name === link.worker);
        const on = (machine: Machine | undefined, script: (m: Machine) => string) => {
            if (!machine) throw new Error(`release step ${link.id} names no harness worker`);
            return script(machine);
        };
        const base = { id: link.id, step: link.step, after: link.after };
        switch (link.step) {
            case "check":
                return { ...base, machine: builder, script: scripts.check, stdin: password };
            case "sync":
            case "build":
            case "push":
                return { ...base, machine: builder, script: scripts[link.step] };
            case "submit":
                return { ...base, machine: control, script: scripts.submit };
            case "pull":
                return {
                    ...base,
                    machine: worker!,
                    script: on(worker, scripts.pull),
                    stdin: password,
                };
            case "drain":
                return { ...base, machine: worker!, script: on(worker, scripts.drain) };
            case "restart":
                return { ...base, machine: control, script: on(worker, scripts.restart) };
            case "return":
                return { ...base, machine: worker!, script: on(worker, scripts.return) };
            default:
                throw new Error(`release step ${link.id} is not part of the chain`);
        }
    });
}

/** Runs the release's chain; see runChain. */
export async function runRelease(cluster: Cluster, options: ReleaseOptions): Promise<StepRun[]> {
    const workers = options.workers ?? cluster.workers;
    log("release", `${options.imageTag} to ${workers.map((w) => w.name).join(", ")}`);
    const runs = await runChain(cluster, releaseChain(cluster, options));
    log("release", `${options.imageTag} done`);
    return runs;
}

/**
 * Runs a chain as Pulumi's engine runs resources: a step starts once every step it waits for has
 * succeeded; after a failure no step starts, the running ones finish, and the first failure is
 * thrown. The runs come back in the order they ended.
 */
export function runChain(cluster: Cluster, chain: readonly ChainStep[]): Promise<StepRun[]> {
    const ended: StepRun[] = [];
    const succeeded = new Set<string>();
    const running = new Set<string>();
    let failure: unknown;
    return new Promise((resolve, reject) => {
        const launch = () => {
            const ready = failure
                ? []
                : chain.filter(
                      (s) =>
                          !succeeded.has(s.id) &&
                          !running.has(s.id) &&
                          s.after.every((id) => succeeded.has(id)),
                  );
            for (const s of ready) {
                running.add(s.id);
                runStep(cluster, s.step, s.machine, s.script, s.stdin)
                    .then(
                        (run) => {
                            ended.push(run);
                            succeeded.add(s.id);
                        },
                        (err: unknown) => {
                            failure ??= err;
                        },
                    )
                    .finally(() => {
                        running.delete(s.id);
                        launch();
                    });
            }
            if (running.size > 0) return;
            if (failure) reject(failure);
            else if (succeeded.size === chain.length) resolve(ended);
            else
                reject(
                    new Error(
                        `release chain stuck: ${chain
                            .filter((s) => !succeeded.has(s.id))
                            .map((s) => s.id)
                            .join(", ")}`,
                    ),
                );
        };
        launch();
    });
}
