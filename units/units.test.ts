// Every unit the machines boot, and every fleet unit, through `systemd-analyze verify`. It exits 0
// on an unknown key, so any line it prints fails the test, except a command that only exists on
// the machine: a Flatcar binary, a file the machine's cloud-config writes, or fleet's, which the
// install unit downloads.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderBoth } from "../render/fixture";
import { runTool } from "../render/tools";
import { DRAIN_FILE } from "../components/release-commands";

const FLATCAR_BINARIES = ["/usr/bin/docker"];
const FLEET_BINARIES = ["/opt/bin/fleetd", "/opt/bin/fleetctl"];

/** Stand-ins for the units Flatcar ships, so dependencies on them resolve. */
const FLATCAR_UNITS: Record<string, string> = {
    "docker.service":
        "[Unit]\nDescription=stand-in for Flatcar's docker.service\n[Service]\nExecStart=/usr/bin/true\n",
    "etcd-member.service":
        "[Unit]\nDescription=stand-in for Flatcar's etcd-member.service\n[Service]\nType=notify\nExecStart=/usr/bin/true\n",
};

interface CloudUnit {
    name: string;
    content?: string;
    drop_ins?: { name: string; content: string }[];
}

/** Problems systemd-analyze finds in the units, one line each. */
function verify(units: CloudUnit[], machineFiles: readonly string[]): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-units-"));
    try {
        for (const [name, content] of Object.entries(FLATCAR_UNITS))
            fs.writeFileSync(path.join(dir, name), content);
        for (const unit of units) {
            if (unit.content) fs.writeFileSync(path.join(dir, unit.name), unit.content);
            for (const dropIn of unit.drop_ins ?? []) {
                fs.mkdirSync(path.join(dir, `${unit.name}.d`), { recursive: true });
                fs.writeFileSync(path.join(dir, `${unit.name}.d`, dropIn.name), dropIn.content);
            }
        }
        const run = runTool(
            "systemd-analyze",
            ["verify", "--man=no", ...units.map((u) => path.join(dir, u.name))],
            {
                env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:`, SYSTEMD_LOG_COLOR: "0" },
            },
        );
        const onMachine = new Set([...FLATCAR_BINARIES, ...FLEET_BINARIES, ...machineFiles]);
        return `${run.stdout}${run.stderr}`
            .split("\n")
            .filter((line) => line.trim() !== "")
            .filter((line) => {
                const missing =
                    /^\S+: Command (\S+) is not executable: No such file or directory$/.exec(line);
                return !(missing && onMachine.has(missing[1]));
            });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const { staging, prod } = renderBoth();
const machines = Object.entries({ ...staging.cloudConfig, ...prod.cloudConfig });

test.each(machines)("the units of %s pass systemd-analyze verify", (_, config) => {
    const files = config.write_files.map((f: { path: string }) => f.path);
    expect(verify(config.coreos.units, files)).toEqual([]);
});

test("the fleet unit website1@.service passes for a worker's instance", () => {
    const content = fs.readFileSync(path.join(prod.dir, "units", "website1@.service"), "utf8");
    expect(verify([{ name: "website1@prod-web1.service", content }], [])).toEqual([]);
});

test("the check fails on an unknown key and on a missing command", () => {
    const unit =
        "[Unit]\nDescription=broken\n[Service]\nExecStartt=/bin/true\nExecStart=/opt/bin/nothing\n";
    const problems = verify([{ name: "broken.service", content: unit }], []);
    expect(problems.join("\n")).toMatch(/Unknown key 'ExecStartt' in section \[Service\]/);
    expect(problems.join("\n")).toMatch(/Command \/opt\/bin\/nothing is not executable/);
});

test("nginx checks the drain file where the worker unit and the staging unit mount it", () => {
    const nginx = fs.readFileSync(
        path.join(__dirname, "..", "images", "website1", "nginx.conf"),
        "utf8",
    );
    const worker = fs.readFileSync(path.join(__dirname, "website1@.service"), "utf8");
    const staging = fs.readFileSync(path.join(__dirname, "website.service"), "utf8");
    expect(nginx).toContain("if (-f /srv/website/state/draining) {");
    expect(worker).toContain(`-v ${path.dirname(DRAIN_FILE)}:/srv/website/state:ro`);
    expect(staging).toContain("-v /home/core/share/nginx:/srv/website:ro");
    expect(staging).toMatch(/install -d [^\n]*\\\n\s+[^\n]*\/home\/core\/share\/nginx\/state\n/);
});
