import {
    agentAddArgs,
    agentArgs,
    curlArgs,
    curlResult,
    etcdctlApi,
    etcdctlRemoteCommand,
    fleetctlArgs,
    sshArgs,
    stackOutputsArgs,
} from "./commands";

const files = { key: "/tmp/c/operator-key", knownHosts: "/tmp/c/known_hosts" };

test("the stack's outputs are read as JSON, secrets shown", () => {
    expect(stackOutputsArgs("prod")).toEqual([
        "stack",
        "output",
        "--json",
        "--show-secrets",
        "--stack",
        "prod",
    ]);
});

test("ssh checks the pinned host key and offers only the stack's key", () => {
    expect(sshArgs("203.0.113.11", files)).toEqual([
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=/tmp/c/known_hosts",
        "-i",
        "/tmp/c/operator-key",
        "-o",
        "IdentitiesOnly=yes",
        "core@203.0.113.11",
    ]);
    expect(sshArgs("203.0.113.11", files, ["systemctl", "status", "fleet"]).slice(-4)).toEqual([
        "core@203.0.113.11",
        "systemctl",
        "status",
        "fleet",
    ]);
});

test("fleetctl tunnels through the control node with strict host-key checking", () => {
    expect(fleetctlArgs("203.0.113.10", "/tmp/c/known_hosts", ["list-units"])).toEqual([
        "--tunnel",
        "203.0.113.10",
        "--ssh-username",
        "core",
        "--known-hosts-file",
        "/tmp/c/known_hosts",
        "--strict-host-key-checking=true",
        "list-units",
    ]);
});

test("the agent runs in the foreground on our socket and holds the key ten minutes at most", () => {
    expect(agentArgs("/tmp/c/agent.sock")).toEqual(["-D", "-a", "/tmp/c/agent.sock"]);
    expect(agentAddArgs("/tmp/c/operator-key")).toEqual(["-q", "-t", "600", "/tmp/c/operator-key"]);
});

test.each([
    [["member", "list"], 3, ["member", "list"]],
    [["endpoint", "health"], 3, ["endpoint", "health"]],
    [["ls", "/_coreos.com/fleet"], 2, ["ls", "/_coreos.com/fleet"]],
    [["cluster-health"], 2, ["cluster-health"]],
    [["--api=2", "get", "/_coreos.com/fleet/machines"], 2, ["get", "/_coreos.com/fleet/machines"]],
    [["--api=3", "ls"], 3, ["ls"]],
])("etcdctl %j speaks API v%d", (args, api, rest) => {
    expect(etcdctlApi(args)).toEqual({ api, args: rest });
});

test("etcdctl runs in etcd's container on the control node, each argument quoted", () => {
    expect(etcdctlRemoteCommand(["member", "list"])).toBe(
        "docker exec --env ETCDCTL_API=3 etcd-member etcdctl --endpoints=http://127.0.0.1:2379 member list",
    );
    expect(etcdctlRemoteCommand(["set", "/greeting", "hello world; rm -rf /"])).toBe(
        "docker exec --env ETCDCTL_API=2 etcd-member etcdctl --endpoints=http://127.0.0.1:2379 set /greeting 'hello world; rm -rf /'",
    );
});

test("curl prints the body, then the status code on its own line", () => {
    expect(curlArgs("http://203.0.113.11/healthz")).toEqual([
        "--silent",
        "--show-error",
        "--max-time",
        "5",
        "--write-out",
        "\\n%{http_code}",
        "http://203.0.113.11/healthz",
    ]);
    expect(curlResult("v7\n\n200")).toEqual({ body: "v7", status: 200 });
    expect(curlResult("\n503")).toEqual({ body: "", status: 503 });
});
