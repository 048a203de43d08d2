// `npm run bench:release`: for 2, 4 and 8 workers behind the load balancer, the wall time of our
// release and of the book's procedure, and the requests that failed during each, through the load
// balancer and on each worker directly. Prints a table and writes build/bench/release.json.
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../components/userdata";
import { runBookRelease } from "./lib/book";
import { Cluster, Machine } from "./lib/cluster";
import { LoadCounts, startLoad } from "./lib/http";
import { versionAt } from "./lib/observe";
import { log, sleep } from "./lib/process";
import { runRelease } from "./lib/release";

const SIZES = [2, 4, 8];
/** Ours as configured by default (batch 1), the book's, and ours restarting half the workers at a time. */
const PROCEDURES = ["ours", "book", "ours-half"] as const;
type Procedure = (typeof PROCEDURES)[number];

interface Figure {
    readonly workers: number;
    readonly procedure: Procedure;
    /** Workers restarted together (releaseBatchSize); all of them for the book's. */
    readonly batchSize: number;
    /** From the first step until the procedure's last command returned. */
    readonly releaseSeconds: number;
    /** From the first step until every worker served the new tag (at most a minute after). */
    readonly servingSeconds: number;
    readonly lb: LoadCounts;
    readonly direct: Record<string, LoadCounts>;
}

function batchSize(procedure: Procedure, workers: number): number {
    return procedure === "ours-half" ? workers / 2 : 1;
}

/** Waits, at most a minute, until every worker serves the tag. */
async function waitServing(workers: readonly Machine[], tag: string): Promise<void> {
    for (let attempt = 0; attempt < 120; attempt++) {
        const versions = await Promise.all(workers.map((w) => versionAt(w.ip)));
        if (versions.every((v) => v === tag)) return;
        await sleep(500);
    }
    throw new Error(`not every worker serves ${tag} a minute after the release`);
}

async function measure(
    cluster: Cluster,
    workers: readonly Machine[],
    procedure: Procedure,
    tag: string,
): Promise<Figure> {
    await cluster.publishStagingSite({ "release-note.txt": `${tag}\n` });
    const targets: Record<string, string> = { lb: `http://${cluster.lb.ip}/` };
    for (const worker of workers) targets[worker.name] = `http://${worker.ip}/`;
    const load = startLoad(targets);
    const started = Date.now();
    if (procedure === "book") await runBookRelease(cluster, tag, workers);
    else
        await runRelease(cluster, {
            imageTag: tag,
            workers,
            batchSize: batchSize(procedure, workers.length),
        });
    const releaseSeconds = (Date.now() - started) / 1000;
    await waitServing(workers, tag);
    const servingSeconds = (Date.now() - started) / 1000;
    // The load balancer puts a restarted worker back after its check passes: keep counting until then.
    await sleep(15_000);
    const counts = await load.stop();
    const { lb, ...direct } = counts;
    const batch = procedure === "book" ? workers.length : batchSize(procedure, workers.length);
    return {
        workers: workers.length,
        procedure,
        batchSize: batch,
        releaseSeconds,
        servingSeconds,
        lb,
        direct,
    };
}

function table(figures: readonly Figure[]): string {
    const rows = figures.map((f) => {
        const directFailed = Object.values(f.direct).reduce((sum, c) => sum + c.failed, 0);
        const directRequests = Object.values(f.direct).reduce((sum, c) => sum + c.requests, 0);
        return [
            String(f.workers),
            f.procedure,
            String(f.batchSize),
            f.releaseSeconds.toFixed(1),
            f.servingSeconds.toFixed(1),
            `${f.lb.failed}/${f.lb.requests}`,
            `${directFailed}/${directRequests}`,
        ];
    });
    const head = [
        "workers",
        "procedure",
        "batch",
        "release s",
        "all serving s",
        "LB failed/sent",
        "direct failed/sent",
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    return [head, ...rows]
        .map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  "))
        .join("\n");
}

async function main(): Promise<void> {
    const runId = process.env.HARNESS_RUN_ID ?? `coreos-cluster-harness-bench-${process.pid}`;
    const cluster = await Cluster.start({ runId, workers: Math.max(...SIZES) });
    const figures: Figure[] = [];
    try {
        await runRelease(cluster, { imageTag: "bench-start" });
        for (const size of SIZES) {
            const workers = cluster.workers.slice(0, size);
            await cluster.setLoadBalancer(workers);
            // Half of 2 workers is the default batch of 1: measured once.
            for (const procedure of PROCEDURES.filter((p) => p !== "ours-half" || size > 2)) {
                const figure = await measure(
                    cluster,
                    workers,
                    procedure,
                    `bench-${size}-${procedure}`,
                );
                log(
                    "bench",
                    `${size} workers, ${procedure}: ${figure.releaseSeconds.toFixed(1)} s, LB ${figure.lb.failed} failed`,
                );
                figures.push(figure);
            }
        }
    } finally {
        await cluster.destroy();
    }
    const out = path.join(REPO_ROOT, "build/bench/release.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({ figures }, null, 2)}\n`);
    process.stdout.write(`\n${table(figures)}\n\nwritten to ${path.relative(REPO_ROOT, out)}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(
        `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
});
