// How the load balancer checks a worker, and how long the release waits for it to notice a change.
// Pure values: the program, the release's command text and the local harness share them.

export interface HealthCheckTiming {
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
}

/** How GCE checks a worker; a worker that answers 503 on /healthz leaves the pool within ~10 s. */
export const HEALTH_CHECK = {
    path: "/healthz",
    port: 80,
    intervalSeconds: 5,
    timeoutSeconds: 3,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
} as const;

/** Slack on top of the check's own timing, for a check that was just in flight. */
const MARGIN_SECONDS = 5;

/** How long a draining worker waits before the load balancer surely sends it nothing. */
export function drainWaitSeconds(check: HealthCheckTiming): number {
    return check.unhealthyThreshold * check.intervalSeconds + check.timeoutSeconds + MARGIN_SECONDS;
}

/** How long a worker that answers 200 again waits before the load balancer surely sends to it. */
export function returnWaitSeconds(check: HealthCheckTiming): number {
    return check.healthyThreshold * check.intervalSeconds + MARGIN_SECONDS;
}
