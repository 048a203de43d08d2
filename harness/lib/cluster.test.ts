// The harness's load balancer configuration and address plan, compared exactly. Offline.
import { addressIn, haproxyConfig, Machine } from "./cluster";

const worker = (n: number): Machine => ({
    name: `web${n}`,
    role: "worker",
    ip: `172.30.0.${20 + n}`,
    container: `run-web${n}`,
});

test("haproxy checks /healthz as the program's GCE health check does, without retries", () => {
    expect(haproxyConfig([worker(1), worker(2)])).toBe(
        [
            "defaults",
            "    mode http",
            "    timeout connect 3s",
            "    timeout client 30s",
            "    timeout server 30s",
            "    timeout check 3s",
            "    # GCE's network load balancer sends a request to one worker and never retries it elsewhere.",
            "    retries 0",
            "frontend site",
            "    bind :80",
            "    default_backend workers",
            "backend workers",
            "    balance roundrobin",
            "    option httpchk GET /healthz",
            "    http-check expect status 200",
            "    default-server check inter 5s fall 2 rise 2",
            "    server web1 172.30.0.21:80",
            "    server web2 172.30.0.22:80",
            "",
        ].join("\n"),
    );
});

test("addresses are counted from the start of the network's range", () => {
    expect(addressIn("172.30.4.0/24", 21)).toBe("172.30.4.21");
    expect(addressIn("10.0.0.0/16", 300)).toBe("10.0.1.44");
    expect(() => addressIn("172.30.4.0/24", 255)).toThrow(
        "172.30.4.0/24 has no address number 255",
    );
});
