import * as fs from "fs";
import * as path from "path";
import { publishSite, shellQuote, waitUntilReady } from "./commands";
import { REPO_ROOT } from "./userdata";
import { runTool } from "../render/tools";

function shellcheck(script: string, shell = "sh"): string {
    const run = runTool("shellcheck", ["--shell", shell, "--format", "gcc", "-"], {
        input: script,
    });
    return `${run.stdout}${run.stderr}`.trim();
}

test("waitUntilReady waits for boot, then names each inactive unit with its log", () => {
    expect(waitUntilReady("prod-web1", ["fleet.service", "docker.socket"], 300)).toBe(
        [
            "set -u",
            "timeout 300 systemctl is-system-running --wait >/dev/null || true",
            "for unit in fleet.service docker.socket; do",
            '  if ! systemctl is-active --quiet "$unit"; then',
            '    echo "prod-web1: $unit is not active after boot; its last log lines:" >&2',
            '    journalctl --unit "$unit" --no-pager --lines 20 >&2',
            "    exit 1",
            "  fi",
            "done",
            'echo "prod-web1: ready (fleet.service, docker.socket)"',
        ].join("\n"),
    );
});

test("publishSite swaps the upload in whole and records its version", () => {
    expect(publishSite("tsc-staging1", "site-0123456789ab")).toBe(
        [
            "set -eu",
            "cd /home/core/share/nginx",
            "test -d /home/core/share/nginx/incoming-site-0123456789ab",
            "rm -rf html.previous",
            "if [ -d html ]; then mv html html.previous; fi",
            "mv /home/core/share/nginx/incoming-site-0123456789ab html",
            "printf '%s\\n' site-0123456789ab > version.new && mv version.new version",
            "rm -rf html.previous incoming-*",
            'echo "tsc-staging1: site site-0123456789ab published"',
        ].join("\n"),
    );
});

test("shellQuote leaves plain words alone and quotes the rest for sh", () => {
    expect(shellQuote("10.200.4.1:5000/website1:v2")).toBe("10.200.4.1:5000/website1:v2");
    expect(shellQuote("it's a $HOME")).toBe(`'it'"'"'s a $HOME'`);
});

test.each([
    ["waitUntilReady", waitUntilReady("tsc-control1", ["etcd-member.service", "fleet.service"])],
    ["publishSite", publishSite("tsc-staging1", "site-0123456789ab")],
])("%s is shellcheck clean", (_, script) => {
    expect(shellcheck(script)).toBe("");
});

const scripts = fs
    .readdirSync(path.join(REPO_ROOT, "cloud-config", "files"))
    .filter((f) => f.endsWith(".sh"));

test.each(scripts)("cloud-config/files/%s is shellcheck clean", (file) => {
    expect(
        shellcheck(
            fs.readFileSync(path.join(REPO_ROOT, "cloud-config", "files", file), "utf8"),
            "bash",
        ),
    ).toBe("");
});

test("shellcheck does find problems", () => {
    expect(shellcheck("rm -rf $dir/")).toMatch(/SC2086/);
});
