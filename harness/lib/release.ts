// Drives the release as the prod stack's chain does: each step's text from the program's own
// builders (components/release-commands.ts), sent over ssh as core, in chain order, pulls in
// parallel and workers rolled batch after batch. One log line per step and machine.
import * as release from "../../components/release-commands";
import { readRepoFile, renderRepoFile } from "../../components/userdata";
import { NGINX_IMAGE } from "../../components/versions";
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
    constructor(readonly run: StepRun, readonly code: number) {
        super(`${run.machine}: release step ${run.step} failed (exit ${code}):\n${tail(`${run.stdout}\n${run.stderr}`, 40)}`);
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
    const run: StepRun = { step, machine: machine.name, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
    const said = `${result.stdout}`.trim().split("\n").filter((line) => line !== "").pop() ?? "";
    log(machine.name, `${step} ${result.code === 0 ? "ok" : "FAILED"} in ${run.seconds.toFixed(1)}s${said ? `: ${said}` : ""}`);
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
        sync: release.sync({ builder, registryHost, imageTag, stagingServerIp: cluster.staging1.ip }),
        build: release.build({
            builder,
            registryHost,
            imageTag,
            baseImage: NGINX_IMAGE,
            dockerfile: readRepoFile("images/website1/Dockerfile"),
            nginxConf: readRepoFile("images/website1/nginx.conf"),
        }),
        push: release.push({ builder, registryHost, imageTag }),
        submit: release.submit({ controlNode: cluster.control.name, unitText: renderRepoFile("units/website1@.service", {}) }),
        pull: (worker: Machine) => release.pull({ worker: worker.name, registryHost, registryUser, imageTag }),
        drain: (worker: Machine) => release.drain({ worker: worker.name, registryHost, imageTag }),
        restart: (worker: Machine) =>
            release.restart({ controlNode: cluster.control.name, worker: worker.name, workerIp: worker.ip, imageTag }),
        return: (worker: Machine) => release.returnToPool({ worker: worker.name, imageTag, healthTimeoutSeconds }),
    };
}

/** The whole chain: check, sync, build, push, submit, pulls in parallel, then the rolls. */
export async function runRelease(cluster: Cluster, options: ReleaseOptions): Promise<StepRun[]> {
    const workers = options.workers ?? cluster.workers;
    const batchSize = options.batchSize ?? 1;
    const scripts = releaseScripts(cluster, options.imageTag, options.healthTimeoutSeconds ?? 300);
    const password = `${cluster.keys.registryPassword}\n`;
    const { control } = cluster;
    log("release", `${options.imageTag} to ${workers.map((w) => w.name).join(", ")}`);

    const runs = await runImageSteps(cluster, scripts);
    runs.push(...(await allSettledOrThrow(workers.map((w) => runStep(cluster, "pull", w, scripts.pull(w), password)))));

    for (let first = 0; first < workers.length; first += batchSize) {
        const batch = workers.slice(first, first + batchSize);
        runs.push(...(await allSettledOrThrow(batch.map((w) => runStep(cluster, "drain", w, scripts.drain(w))))));
        runs.push(...(await allSettledOrThrow(batch.map((w) => runStep(cluster, "restart", control, scripts.restart(w))))));
        runs.push(...(await allSettledOrThrow(batch.map((w) => runStep(cluster, "return", w, scripts.return(w))))));
    }
    log("release", `${options.imageTag} done`);
    return runs;
}

/** The steps before any worker: check, sync, build and push on the builder, submit on the control node. */
export async function runImageSteps(cluster: Cluster, scripts: ReturnType<typeof releaseScripts>): Promise<StepRun[]> {
    const { builder, control } = cluster;
    return [
        await runStep(cluster, "check", builder, scripts.check, `${cluster.keys.registryPassword}\n`),
        await runStep(cluster, "sync", builder, scripts.sync),
        await runStep(cluster, "build", builder, scripts.build),
        await runStep(cluster, "push", builder, scripts.push),
        await runStep(cluster, "submit", control, scripts.submit),
    ];
}

/** Waits for every parallel step, as the chain does, then throws the first failure. */
async function allSettledOrThrow<T>(steps: Promise<T>[]): Promise<T[]> {
    const settled = await Promise.allSettled(steps);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
