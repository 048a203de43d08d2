// The harness's images, built from Debian packages by images/build.sh and cached by input hash.
import * as path from "path";
import { REPO_ROOT } from "../../components/userdata";
import { log, run, tail } from "./process";

export const HARNESS_DIR = path.join(REPO_ROOT, "harness");

export interface HarnessImages {
    /** A cluster machine: systemd, sshd, sudo, rsync, docker. */
    readonly node: string;
    /** Debian's nginx, standing in for the pinned nginx image. */
    readonly nginx: string;
    /** Debian's docker-registry, standing in for the pinned registry image. */
    readonly registry: string;
    /** rsync, ssh and the docker client, the docker-builder's tool box. */
    readonly toolbox: string;
    /** haproxy, the load balancer. */
    readonly lb: string;
}

const NAMES = ["node", "nginx", "registry", "toolbox", "lb"] as const;

/** Builds each image unless its tag is cached; one after the other, mmdebstrap is I/O bound. */
export async function buildImages(): Promise<HarnessImages> {
    const tags: Record<string, string> = {};
    for (const name of NAMES) {
        const started = Date.now();
        const result = await run(path.join(HARNESS_DIR, "images/build.sh"), [name], {
            timeoutMs: 20 * 60_000,
        });
        if (result.code !== 0)
            throw new Error(
                `host: building image ${name} failed (exit ${result.code}):\n${tail(result.stderr)}`,
            );
        tags[name] = result.stdout.trim().split("\n").pop()!;
        const said = result.stderr.trim().split("\n").pop() ?? "";
        log(
            "host",
            `${said.replace(/^image \S+: /, `image ${name} `)} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
        );
    }
    return tags as unknown as HarnessImages;
}
