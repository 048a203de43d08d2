// Plain HTTP to the harness's own addresses: single requests, and a bounded load loop.
import * as http from "http";

export interface Answer {
    readonly status: number;
    readonly body: string;
}

/** GET with a timeout; a network error or timeout gives status 0 and the error as body. */
export function get(url: string, timeoutMs = 3000): Promise<Answer> {
    return new Promise((resolve) => {
        const request = http.get(url, { timeout: timeoutMs, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () =>
                resolve({
                    status: response.statusCode ?? 0,
                    body: Buffer.concat(chunks).toString("utf8"),
                }),
            );
            response.on("error", (err) => resolve({ status: 0, body: err.message }));
        });
        request.on("timeout", () => request.destroy(new Error("timed out")));
        request.on("error", (err) => resolve({ status: 0, body: err.message }));
    });
}

export interface LoadCounts {
    requests: number;
    failed: number;
    /** A few failures, for the report. */
    samples: string[];
}

export interface LoadLoop {
    /** Stops the loop and gives the counts per target. */
    stop(): Promise<Record<string, LoadCounts>>;
}

export interface LoadLimits {
    /** Requests per target at most. */
    readonly maxRequests: number;
    /** How long the loop may run at most. */
    readonly maxMs: number;
    /** Pause between two requests to one target. */
    readonly pauseMs: number;
}

export const DEFAULT_LOAD: LoadLimits = { maxRequests: 100_000, maxMs: 20 * 60_000, pauseMs: 20 };

/**
 * Sends GET / to each target, one request at a time per target, until stopped, or at most
 * maxRequests per target or maxMs in all, whichever comes first. A failure is anything but 200.
 */
export function startLoad(
    targets: Readonly<Record<string, string>>,
    limits: LoadLimits = DEFAULT_LOAD,
): LoadLoop {
    const deadline = Date.now() + limits.maxMs;
    let stopped = false;
    const counts: Record<string, LoadCounts> = {};
    const loops = Object.entries(targets).map(async ([name, url]) => {
        const count: LoadCounts = (counts[name] = { requests: 0, failed: 0, samples: [] });
        while (!stopped && Date.now() < deadline && count.requests < limits.maxRequests) {
            const answer = await get(url, 2000);
            count.requests++;
            if (answer.status !== 200) {
                count.failed++;
                if (count.samples.length < 5)
                    count.samples.push(`${answer.status} ${answer.body.trim().slice(0, 80)}`);
            }
            await new Promise((resolve) => setTimeout(resolve, limits.pauseMs));
        }
    });
    return {
        async stop() {
            stopped = true;
            await Promise.all(loops);
            return counts;
        },
    };
}
