import * as command from "@pulumi/command";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { publishSite, SITE_ROOT, waitUntilReady } from "./commands";
import { SshTarget, connectionTo } from "./ssh";

export interface StagingSiteArgs {
    /** The folder of the site in this repo. */
    readonly siteDir: string;
    /** The staging web server that serves it. */
    readonly server: SshTarget;
}

/** `site-` and the first 12 hex digits of a SHA-256 over the folder's file names and contents. */
export function siteVersion(siteDir: string): string {
    const hash = crypto.createHash("sha256");
    for (const file of listFiles(siteDir)) {
        hash.update(`${file}\0`);
        hash.update(fs.readFileSync(path.join(siteDir, file)));
        hash.update("\0");
    }
    return `site-${hash.digest("hex").slice(0, 12)}`;
}

function listFiles(dir: string, prefix = ""): string[] {
    return fs
        .readdirSync(path.join(dir, prefix), { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .flatMap((entry) => {
            const relative = path.posix.join(prefix, entry.name);
            return entry.isDirectory() ? listFiles(dir, relative) : [relative];
        });
}

/**
 * The staging code on the staging web server: copied whenever the site's content changes (or the
 * server is replaced), then put live in one rename.
 */
export class StagingSite extends pulumi.ComponentResource {
    readonly version: string;

    constructor(name: string, args: StagingSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:StagingSite", name, {}, opts);

        const { server } = args;
        this.version = siteVersion(args.siteDir);
        const connection = connectionTo(server);
        const triggers = [this.version, server.instance.instanceId];

        const ready = new command.remote.Command(
            `${name}-ready`,
            {
                connection,
                create: waitUntilReady(server.name, ["website.service"]),
                triggers: [server.instance.instanceId],
            },
            { parent: this },
        );
        const copy = new command.remote.CopyToRemote(
            `${name}-copy`,
            {
                connection,
                source: new pulumi.asset.FileArchive(args.siteDir),
                remotePath: `${SITE_ROOT}/incoming-${this.version}`,
                triggers,
            },
            { parent: this, dependsOn: [ready] },
        );
        new command.remote.Command(
            `${name}-publish`,
            { connection, create: publishSite(server.name, this.version), triggers },
            { parent: this, dependsOn: [copy] },
        );

        this.registerOutputs({ version: this.version });
    }
}
