// The text of the commands that wait for a fresh machine and publish the staging site (the
// release's are in release-commands.ts). Pure functions: the program, the offline render and the
// tests use the same text.

export const SITE_ROOT = "/home/core/share/nginx";

/** Quotes a value for sh. */
export function shellQuote(value: string): string {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Waits until a fresh machine has booted and the given units are active; on failure prints the
 * units' last log lines. Runs as the first command on a machine, after SSH answers at all.
 */
export function waitUntilReady(
    machine: string,
    units: readonly string[],
    timeoutSeconds = 600,
): string {
    const list = units.map(shellQuote).join(" ");
    return [
        "set -u",
        `timeout ${timeoutSeconds} systemctl is-system-running --wait >/dev/null || true`,
        `for unit in ${list}; do`,
        `  if ! systemctl is-active --quiet "$unit"; then`,
        `    echo "${machine}: $unit is not active after boot; its last log lines:" >&2`,
        `    journalctl --unit "$unit" --no-pager --lines 20 >&2`,
        "    exit 1",
        "  fi",
        "done",
        `echo "${machine}: ready (${units.join(", ")})"`,
    ].join("\n");
}

/**
 * Puts a copied site live on a staging web server: the upload in incoming-<version> replaces
 * html/ in one rename, so files removed from the site disappear, and /version names it.
 */
export function publishSite(machine: string, version: string): string {
    const incoming = `${SITE_ROOT}/incoming-${version}`;
    return [
        "set -eu",
        `cd ${SITE_ROOT}`,
        `test -d ${shellQuote(incoming)}`,
        "rm -rf html.previous",
        "if [ -d html ]; then mv html html.previous; fi",
        `mv ${shellQuote(incoming)} html`,
        `printf '%s\\n' ${shellQuote(version)} > version.new && mv version.new version`,
        "rm -rf html.previous incoming-*",
        `echo "${machine}: site ${version} published"`,
    ].join("\n");
}
