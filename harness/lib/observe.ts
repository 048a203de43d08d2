// What the checks read from the outside: versions served, the running containers, images.
import { IMAGE_ENV } from "../../components/release-commands";
import { Cluster, Machine } from "./cluster";
import { get } from "./http";
import { must } from "./process";

/** /version of a URL's host, or the failure as text. */
export async function versionAt(host: string): Promise<string> {
    const answer = await get(`http://${host}/version`);
    return answer.status === 200
        ? answer.body.trim()
        : `HTTP ${answer.status}: ${answer.body.trim()}`;
}

/** The versions the load balancer answers over a number of requests, deduplicated. */
export async function versionsThroughLb(cluster: Cluster, requests = 12): Promise<string[]> {
    const seen = new Set<string>();
    for (let i = 0; i < requests; i++) seen.add(await versionAt(cluster.lb.ip));
    return [...seen].sort();
}

/** Id and start time of the worker's website1 container, or "none". */
export async function website1Container(worker: Machine): Promise<string> {
    const out = await must(`${worker.name}: docker ps`, "docker", [
        "exec",
        worker.container,
        "docker",
        "ps",
        "--no-trunc",
        "--filter",
        "name=^website1$",
        "--format",
        "{{.ID}} {{.Image}}",
    ]);
    const line = out.trim();
    if (line === "") return "none";
    const started = await must(`${worker.name}: docker inspect`, "docker", [
        "exec",
        worker.container,
        "docker",
        "inspect",
        "--format",
        "{{.State.StartedAt}}",
        line.split(" ")[0],
    ]);
    return `${line} ${started.trim()}`;
}

export async function website1Containers(
    workers: readonly Machine[],
): Promise<Record<string, string>> {
    const entries = await Promise.all(
        workers.map(async (w) => [w.name, await website1Container(w)] as const),
    );
    return Object.fromEntries(entries);
}

/** The image a worker's unit runs next, as the release recorded it. */
export async function recordedImage(worker: Machine): Promise<string> {
    const out = await must(`${worker.name}: reading ${IMAGE_ENV}`, "docker", [
        "exec",
        worker.container,
        "cat",
        IMAGE_ENV,
    ]);
    return out.trim();
}

/** Every image id in the builder's docker. */
export async function builderImageIds(cluster: Cluster): Promise<string[]> {
    const out = await must("builder: docker images", "docker", [
        "exec",
        cluster.builder.container,
        "docker",
        "images",
        "--all",
        "--quiet",
        "--no-trunc",
    ]);
    return [...new Set(out.trim().split("\n"))].sort();
}
