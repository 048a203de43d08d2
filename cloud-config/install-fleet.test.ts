// install-fleet, run for real against a stand-in of fleet's tarball: a checksum mismatch fails
// loudly and installs nothing; a match installs; no checksum warns.
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../components/userdata";

const script = path.join(REPO_ROOT, "cloud-config", "files", "install-fleet.sh");
let work: string;
let tarball: string;

beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-fleet-"));
    const release = path.join(work, "fleet-v1.0.0-linux-amd64");
    fs.mkdirSync(release);
    for (const binary of ["fleetd", "fleetctl"])
        fs.writeFileSync(path.join(release, binary), "#!/bin/sh\necho stand-in\n", { mode: 0o755 });
    tarball = path.join(work, "fleet.tar.gz");
    execFileSync("tar", ["-czf", tarball, "-C", work, "fleet-v1.0.0-linux-amd64"]);
    // curl stand-in: serves the tarball to --output and records the URL asked for.
    fs.mkdirSync(path.join(work, "shims"));
    fs.writeFileSync(
        path.join(work, "shims", "curl"),
        `#!/bin/bash\nwhile [[ $# -gt 0 ]]; do case $1 in --output) out=$2; shift 2;; --retry|--retry-delay) shift 2;; -*) shift;; *) echo "$1" > "${work}/url"; shift;; esac; done\ncp "${tarball}" "$out"\n`,
        { mode: 0o755 },
    );
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function install(sha256?: string) {
    const binDir = fs.mkdtempSync(path.join(work, "bin-"));
    const run = spawnSync("bash", [script, "v1.0.0"], {
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${path.join(work, "shims")}:${process.env.PATH}`,
            FLEET_BIN_DIR: binDir,
            FLEET_SHA256: sha256 ?? "",
        },
    });
    return {
        ...run,
        installed: fs
            .readdirSync(binDir)
            .filter((f) => !f.startsWith("."))
            .sort(),
    };
}

test("a checksum mismatch fails with both sums and installs nothing", () => {
    const run = install("0".repeat(64));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
        /^fleet v1\.0\.0: SHA-256 mismatch: expected 0{64}, got [0-9a-f]{64}$/m,
    );
    expect(run.installed).toEqual([]);
});

test("a matching checksum installs fleetd and fleetctl from the release's URL", () => {
    const sha256 = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
    const run = install(sha256);
    expect(run.status).toBe(0);
    expect(run.installed).toEqual(["fleetctl", "fleetd"]);
    expect(fs.readFileSync(path.join(work, "url"), "utf8").trim()).toBe(
        "https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz",
    );
});

test("without a checksum it installs and says it trusted HTTPS alone", () => {
    const run = install();
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("fleet v1.0.0: no fleetSha256 configured; trusting HTTPS alone");
    expect(run.installed).toEqual(["fleetctl", "fleetd"]);
});
