// The book's release, as a baseline for the benchmark, in this harness's own words: the same
// build steps, then each worker pulls in turn, then every worker's website1 is stopped and
// started at once through fleet. No drain, no health wait.
import { IMAGE_ENV, websiteImage, workerUnit } from "../../components/release-commands";
import { Cluster, Machine } from "./cluster";
import { log } from "./process";
import { releaseChain, releaseScripts, runChain, runStep, StepRun } from "./release";

export async function runBookRelease(
    cluster: Cluster,
    imageTag: string,
    workers: readonly Machine[],
): Promise<StepRun[]> {
    const scripts = releaseScripts(cluster, imageTag, 300);
    const password = `${cluster.keys.registryPassword}\n`;
    const { control } = cluster;
    log("book", `${imageTag} to ${workers.map((w) => w.name).join(", ")}`);

    const beforeWorkers = new Set(["check", "sync", "build", "push", "submit"]);
    const runs = await runChain(
        cluster,
        releaseChain(cluster, { imageTag, workers }).filter((s) => beforeWorkers.has(s.step)),
    );
    for (const worker of workers) {
        runs.push(await runStep(cluster, "pull", worker, scripts.pull(worker), password));
        // The book's unit ran :latest; here the unit reads the image from this file.
        const image = websiteImage(cluster.registryHost, imageTag);
        const record = `printf 'WEBSITE1_IMAGE=%s\\n' ${image} | sudo tee ${IMAGE_ENV} >/dev/null`;
        await cluster.sshMust(worker, "record the image", record);
    }
    const units = workers.map((w) => workerUnit(w.name)).join(" ");
    const everyUnit = (verb: string) =>
        `for unit in ${units}; do sudo /opt/bin/fleetctl ${verb} "$unit" >/dev/null & done; wait`;
    const restartAll = [
        "set -eu",
        everyUnit("stop"),
        everyUnit("start"),
        `echo "${control.name}: stopped and started ${units}"`,
    ];
    runs.push(await runStep(cluster, "restart", control, restartAll.join("\n")));
    return runs;
}
