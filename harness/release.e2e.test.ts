// The release run for real: the program's release step text over ssh against systemd machines
// with their own docker, a TLS registry with htpasswd, nginx workers behind haproxy, and the
// fleetctl double on the control node. Needs root and a Docker engine (harness/run.sh).
import { Cluster, sweep } from "./lib/cluster";
import {
    pushUnhealthyImage,
    disconnect,
    reconnect,
    startRegistry,
    stopRegistry,
} from "./lib/faults";
import { get, startLoad } from "./lib/http";
import {
    builderImageIds,
    recordedImage,
    versionAt,
    versionsThroughLb,
    website1Containers,
} from "./lib/observe";
import { ReleaseStepError, runRelease, StepRun } from "./lib/release";

const WORKERS = 2;
const HEALTH_TIMEOUT_SECONDS = 40;

const RUN_ID = process.env.HARNESS_RUN_ID ?? `coreos-cluster-harness-${process.pid}`;
let cluster: Cluster;

beforeAll(async () => {
    cluster = await Cluster.start({ runId: RUN_ID, workers: WORKERS });
}, 30 * 60_000);

afterAll(async () => {
    if (cluster) await cluster.destroy();
    else await sweep(RUN_ID);
});

const release = (imageTag: string) =>
    runRelease(cluster, { imageTag, healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS });

/** The release's failure, which the test expects. */
async function failedRelease(imageTag: string): Promise<ReleaseStepError> {
    const error = await release(imageTag).then(
        () => undefined,
        (err: unknown) => err,
    );
    if (!(error instanceof ReleaseStepError))
        throw new Error(
            `the release of ${imageTag} should have failed in a step; got ${String(error)}`,
        );
    process.stdout.write(`[harness] release: ${imageTag} failed as expected: ${error.message}\n`);
    return error;
}

async function expectServing(tag: string): Promise<void> {
    for (const worker of cluster.workers)
        expect([worker.name, await versionAt(worker.ip)]).toEqual([worker.name, tag]);
    expect(await versionsThroughLb(cluster)).toEqual([tag]);
}

const said = (runs: StepRun[], step: string) =>
    runs.filter((r) => r.step === step).map((r) => r.stdout.trim());

test("a first release starts website1 on every worker from the program's unit", async () => {
    await release("v1");

    await expectServing("v1");
    const page = await get(`http://${cluster.lb.ip}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Hello from website1");
    for (const worker of cluster.workers) {
        expect(await recordedImage(worker)).toBe(
            `WEBSITE1_IMAGE=${cluster.registryHost}/website1:v1`,
        );
    }
});

test("a new tag rolls every worker to it with no failed request through the load balancer", async () => {
    await cluster.publishStagingSite({ "release-note.txt": "v2\n" });
    const before = await website1Containers(cluster.workers);
    const load = startLoad({ lb: `http://${cluster.lb.ip}/` });

    await release("v2");

    const counts = await load.stop();
    process.stdout.write(
        `[harness] lb: ${counts.lb.requests} requests during the release, ${counts.lb.failed} failed\n`,
    );
    expect(counts.lb.requests).toBeGreaterThan(100);
    expect(counts.lb).toMatchObject({ failed: 0 });
    await expectServing("v2");
    expect((await get(`http://${cluster.lb.ip}/release-note.txt`)).body).toBe("v2\n");
    const after = await website1Containers(cluster.workers);
    for (const worker of cluster.workers) expect(after[worker.name]).not.toBe(before[worker.name]);
});

test("running the chain again with the same tag restarts no container", async () => {
    const before = await website1Containers(cluster.workers);

    const runs = await release("v2");

    expect(await website1Containers(cluster.workers)).toEqual(before);
    expect(said(runs, "build")).toEqual([
        `builder: v2 already in ${cluster.registryHost}; nothing to build`,
    ]);
    expect(said(runs, "drain")).toEqual(cluster.workers.map((w) => `${w.name}: already on v2`));
    await expectServing("v2");
});

test("a rollback to the previous tag serves it again without a build", async () => {
    const images = await builderImageIds(cluster);

    const runs = await release("v1");

    expect(said(runs, "build")).toEqual([
        `builder: v1 already in ${cluster.registryHost}; nothing to build`,
    ]);
    expect(await builderImageIds(cluster)).toEqual(images);
    await expectServing("v1");
    expect((await get(`http://${cluster.lb.ip}/release-note.txt`)).status).toBe(404);
});

test("fault: an image whose /healthz fails stops the release at the first worker, the others serving", async () => {
    const [first, ...others] = cluster.workers;
    await pushUnhealthyImage(cluster, "v1", "v2-unhealthy");
    const before = await website1Containers(others);

    const error = await failedRelease("v2-unhealthy");

    expect(error.run).toMatchObject({ step: "return", machine: first.name });
    expect(error.message).toContain(
        `${first.name}: website1@${first.name}.service did not answer 200 on /healthz`,
    );
    expect(error.message).toMatch(/its last log lines:\n(.*\n)*.*GET \/healthz HTTP\/1\.1" 500/);
    expect(await website1Containers(others)).toEqual(before);
    for (const worker of others) expect(await versionAt(worker.ip)).toBe("v1");
    expect(await versionsThroughLb(cluster)).toEqual(["v1"]);

    await cluster.publishStagingSite({ "release-note.txt": "v3\n" });
    await release("v3");
    await expectServing("v3");
});

test("fault: with the registry stopped the release fails before any worker is touched", async () => {
    const containers = await website1Containers(cluster.workers);
    const recorded = await Promise.all(cluster.workers.map(recordedImage));
    await stopRegistry(cluster);

    const error = await failedRelease("v4");

    expect(error.run).toMatchObject({ step: "check", machine: "builder" });
    expect(error.message).toContain(
        `builder: registry ${cluster.registryHost} unreachable or refused the login`,
    );
    expect(await website1Containers(cluster.workers)).toEqual(containers);
    expect(await Promise.all(cluster.workers.map(recordedImage))).toEqual(recorded);
    await expectServing("v3");

    await startRegistry(cluster);
    await release("v4");
    await expectServing("v4");
});

test("fault: an unreachable worker fails the release naming it, the others untouched", async () => {
    // The first worker: when a later one fails its pull while an earlier one drains, the chain
    // leaves that one drained (out of the pool) until the next release; a drain after every
    // pull would lift it.
    const lost = cluster.workers[0];
    const others = cluster.workers.filter((w) => w !== lost);
    const before = await website1Containers(others);
    await disconnect(cluster, lost);

    const error = await failedRelease("v5");

    expect(error.run).toMatchObject({ step: "pull", machine: lost.name });
    expect(error.message).toMatch(new RegExp(`^${lost.name}: release step pull failed`));
    expect(error.message).toContain(`${lost.ip} port 22`);
    expect(await website1Containers(others)).toEqual(before);
    for (const worker of others) expect(await versionAt(worker.ip)).toBe("v4");

    await reconnect(cluster, lost);
    await release("v5");
    await expectServing("v5");
});
