// Faults the end-to-end tests inject, and their fixes. Harness text, not release steps.
import { websiteImage } from "../../components/release-commands";
import { Cluster, Machine } from "./cluster";
import { log, must, sleep } from "./process";

/**
 * Pushes `<registry>/website1:<tag>` built on a good tag, whose /healthz answers 500 while
 * /version answers the tag: a new image that starts but never becomes healthy.
 */
export async function pushUnhealthyImage(
    cluster: Cluster,
    goodTag: string,
    tag: string,
): Promise<void> {
    log(cluster.builder.name, `fault: pushing ${tag}, whose /healthz answers 500`);
    const image = websiteImage(cluster.registryHost, tag);
    const script = [
        "set -eu",
        "context=$(mktemp -d)",
        `printf '%s\\n' ${tag} > "$context/version"`,
        `cat > "$context/nginx.conf" <<'CONF'`,
        "server {",
        "    listen 80;",
        "    root /srv/website/html;",
        '    location = /healthz { return 500 "broken\\n"; }',
        "    location = /version { default_type text/plain; alias /srv/website/version; }",
        "}",
        "CONF",
        `cat > "$context/Dockerfile" <<'DOCKERFILE'`,
        `FROM ${websiteImage(cluster.registryHost, goodTag)}`,
        "COPY nginx.conf /etc/nginx/conf.d/default.conf",
        "COPY version /srv/website/version",
        "DOCKERFILE",
        `sudo docker login --username release --password-stdin ${cluster.registryHost} >/dev/null`,
        `sudo docker build --quiet --tag ${image} "$context" >/dev/null`,
        `sudo docker push ${image} >/dev/null`,
        'rm -rf "$context"',
    ].join("\n");
    await cluster.sshMust(
        cluster.builder,
        `pushing ${tag}`,
        script,
        `${cluster.keys.registryPassword}\n`,
    );
}

export async function stopRegistry(cluster: Cluster): Promise<void> {
    log(cluster.builder.name, "fault: stopping registry.service");
    await cluster.sshMust(
        cluster.builder,
        "stopping the registry",
        "sudo systemctl stop registry.service",
    );
}

export async function startRegistry(cluster: Cluster): Promise<void> {
    log(cluster.builder.name, "fix: starting registry.service");
    await cluster.sshMust(
        cluster.builder,
        "starting the registry",
        [
            "set -eu",
            "sudo systemctl start registry.service",
            `ca=/etc/docker/certs.d/${cluster.registryHost}/ca.crt`,
            "for _ in $(seq 30); do",
            "  # 401: the registry answers and asks for the login.",
            `  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" https://${cluster.registryHost}/v2/ || true)`,
            '  if [ "$code" = 401 ]; then exit 0; fi',
            "  sleep 1",
            "done",
            "echo 'the registry did not answer within 30 s' >&2",
            "exit 1",
        ].join("\n"),
    );
}

/** Takes a worker off the network: nothing reaches it, neither ssh nor the load balancer. */
export async function disconnect(cluster: Cluster, worker: Machine): Promise<void> {
    log(worker.name, "fault: disconnected from the network");
    await must(`${worker.name}: docker network disconnect`, "docker", [
        "network",
        "disconnect",
        cluster.network,
        worker.container,
    ]);
}

export async function reconnect(cluster: Cluster, worker: Machine): Promise<void> {
    log(worker.name, "fix: connected to the network again");
    await must(`${worker.name}: docker network connect`, "docker", [
        "network",
        "connect",
        "--ip",
        worker.ip,
        "--alias",
        worker.name,
        cluster.network,
        worker.container,
    ]);
    await sleep(1000);
}
