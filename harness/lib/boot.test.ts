// How the harness boots a machine from the program's user-data: what it leaves out and the
// drop-in that replaces a Docker Hub pull, compared exactly. Offline.
import { MachinePlan } from "../../components/config";
import { machineUserData, standInMaterial } from "../../components/machine-config";
import { renderRepoFile } from "../../components/userdata";
import { bootPlan, harnessConfig, withoutHubPulls } from "./boot";

const plan = (name: string, role: MachinePlan["role"]): MachinePlan => ({
    name,
    role,
    internalIp: "172.30.0.12",
    zone: "harness",
    machineType: "container",
    fleetMetadata: `cpeer=${name}`,
});

test("the registry's drop-in keeps every step but the Docker Hub pull", () => {
    const unit = renderRepoFile("units/registry.service", {
        registryHost: "172.30.0.12:5000",
        internalIp: "172.30.0.12",
        registryImage: "registry:2.8.3",
    });
    expect(withoutHubPulls(unit)).toBe(
        [
            "# Harness: Docker Hub is not reachable here; the image was loaded into this docker beforehand.",
            "[Service]",
            "ExecStartPre=",
            "ExecStartPre=/usr/bin/test -s /etc/registry/htpasswd",
            "ExecStartPre=-/usr/bin/docker rm -f registry",
            "",
        ].join("\n"),
    );
});

test("a step continued on the next line stays whole in the drop-in", () => {
    const unit = [
        "[Service]",
        "ExecStartPre=/usr/bin/install -d /a \\",
        "  /b",
        "ExecStartPre=/usr/bin/docker pull nginx:1.27.3",
        "ExecStart=/usr/bin/docker run nginx:1.27.3",
    ].join("\n");
    expect(withoutHubPulls(unit)).toBe(
        [
            "# Harness: Docker Hub is not reachable here; the image was loaded into this docker beforehand.",
            "[Service]",
            "ExecStartPre=",
            "ExecStartPre=/usr/bin/install -d /a /b",
            "",
        ].join("\n"),
    );
});

test("a pull from a registry with a host, or no pull at all, needs no drop-in", () => {
    expect(
        withoutHubPulls(
            "[Service]\nExecStartPre=/usr/bin/docker pull 10.200.4.1:5000/website1:v1\n",
        ),
    ).toBeUndefined();
    expect(
        withoutHubPulls(renderRepoFile("units/docker-builder.service", { builderImageTag: "abc" })),
    ).toBeUndefined();
});

test("the builder boots its registry and docker-builder, without fleet or the GCE disk", () => {
    const userData = machineUserData(
        harnessConfig(),
        plan("builder", "builder"),
        standInMaterial("172.30.0.12:5000"),
    );
    const boot = bootPlan(userData);
    expect(boot.start).toEqual(["registry.service", "docker-builder.service"]);
    expect(boot.units.map((u) => u.name)).toEqual(["registry.service", "docker-builder.service"]);
    expect(boot.files.map((f) => f.path)).toContain("/etc/registry/htpasswd");
});

test("a worker boots with no unit of its own: fleet's double starts website1 there", () => {
    const material = { ...standInMaterial("172.30.0.12:5000"), builder: undefined };
    const boot = bootPlan(machineUserData(harnessConfig(), plan("web1", "worker"), material));
    expect(boot.start).toEqual([]);
    expect(boot.files.map((f) => f.path)).toContain("/etc/docker/certs.d/172.30.0.12:5000/ca.crt");
    expect(boot.authorizedKeys).toHaveLength(2);
});
