// Runs the program for one stack under Pulumi's mocks and writes what it would deploy.
// Run by render.ts, one process per stack: Pulumi's runtime holds one stack per process.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, PROJECT, CONFIG_KEYS } from "../components/config";
import { REPO_ROOT, readRepoFile } from "../components/userdata";
import { cloudMocks, isSecretValue, maskSecrets, unwrapSecrets } from "./mocks";
import { StackConfig } from "./stack-config";

export interface StackJob {
    readonly stack: string;
    readonly config: StackConfig;
    /** Folder for this stack's files; emptied first. */
    readonly out: string;
    /** Outputs of the staging render, which prod's StackReference reads. */
    readonly stagingOutputs: Record<string, unknown>;
}

interface Registration {
    type: string;
    name: string;
    parent?: string;
    dependsOn: string[];
    /** The options that decide how a change is applied, where set. */
    options: Record<string, unknown>;
    inputs?: Record<string, unknown>;
}

const RELEASE_TYPE = "coreos-cluster:index:Release";
const REMOTE_COMMAND = "command:remote:Command";

/** Fleet units a stack submits, from units/. */
export const FLEET_UNITS: Record<string, readonly string[]> = {
    staging: [],
    prod: ["website1@.service"],
};

export async function runStack(job: StackJob): Promise<Record<string, unknown>> {
    const registrations: Registration[] = [];
    const inputsSeen = new Map<string, Record<string, unknown>>();
    const key = (type: string, name: string) => `${type}::${name}`;

    pulumi.runtime.setMocks(
        cloudMocks(job.stagingOutputs, (type, name, inputs) =>
            inputsSeen.set(key(type, name), inputs),
        ),
        PROJECT,
        job.stack,
        false,
    );
    pulumi.runtime.setAllConfig(job.config);

    const program: { exported: Record<string, unknown> } = { exported: {} };
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            registrations.push({
                type: args.type,
                name: args.name,
                parent: nameOf(args.opts.parent),
                dependsOn: dependsOnNames(args.opts.dependsOn),
                options: changeOptions(args.opts as pulumi.CustomResourceOptions),
            });
            return undefined;
        });
        // Loaded here, not imported, so the program declares its resources inside this stack.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program.exported = require(path.join(__dirname, "..", "index.js"));
        return program.exported;
    });
    await waitFor(() => registrations.every((r) => inputsSeen.has(key(r.type, r.name))));

    const outputs: Record<string, unknown> = {};
    const maskedOutputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(program.exported)) {
        const output = pulumi.output(value as pulumi.Input<unknown>) as pulumi.Output<unknown>;
        const plain = await new Promise<unknown>((resolve) => output.apply(resolve));
        outputs[name] = plain;
        maskedOutputs[name] = (await pulumi.isSecret(output)) ? "[secret]" : plain;
    }

    writeFiles(
        job,
        registrations.map((r) => ({ ...r, inputs: inputsSeen.get(key(r.type, r.name)) })),
        maskedOutputs,
    );
    printMachines(job);
    return outputs;
}

function writeFiles(
    job: StackJob,
    resources: Registration[],
    outputs: Record<string, unknown>,
): void {
    fs.rmSync(job.out, { recursive: true, force: true });
    for (const folder of ["machines", "units"])
        fs.mkdirSync(path.join(job.out, folder), { recursive: true });

    for (const resource of resources) {
        if (resource.type !== "gcp:compute/instance:Instance") continue;
        const metadata = unwrapSecrets(resource.inputs?.metadata) as Record<string, string>;
        fs.writeFileSync(
            path.join(job.out, "machines", `${resource.name}.yaml`),
            metadata["user-data"],
        );
    }
    for (const unit of FLEET_UNITS[job.config[`${PROJECT}:cluster`]] ?? []) {
        fs.writeFileSync(path.join(job.out, "units", unit), readRepoFile(path.join("units", unit)));
    }
    writeReleaseScripts(path.join(job.out, "release"), resources);

    const plan = {
        resources: resources.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            dependsOn: r.dependsOn,
            ...(Object.keys(r.options).length > 0 && { options: r.options }),
            inputs: maskSecrets(r.inputs ?? {}),
        })),
        outputs,
    };
    fs.writeFileSync(path.join(job.out, "plan.json"), `${stableJson(plan)}\n`);
}

/**
 * Each release command exactly as sent, with a shebang: `NN-<step>[-<machine>].sh` in chain order
 * (declaration order), then the delete commands, as `destroy-<machine>`.
 */
function writeReleaseScripts(dir: string, resources: readonly Registration[]): void {
    const releases = resources.filter((r) => r.type === RELEASE_TYPE).map((r) => r.name);
    const commands = resources.filter(
        (r) => r.type === REMOTE_COMMAND && releases.includes(r.parent ?? ""),
    );
    const scripts: [string, string][] = [];
    const step = (r: Registration) => r.name.slice(r.parent!.length + 1);
    for (const r of commands) scripts.push([step(r), unwrapSecrets(r.inputs!.create) as string]);
    for (const r of commands.filter((c) => c.inputs!.delete !== undefined)) {
        scripts.push([
            step(r).replace(/^[a-z]+/, "destroy"),
            unwrapSecrets(r.inputs!.delete) as string,
        ]);
    }
    if (scripts.length === 0) return;

    fs.mkdirSync(dir, { recursive: true });
    const width = Math.max(2, String(scripts.length).length);
    scripts.forEach(([step, text], i) => {
        const file = `${String(i + 1).padStart(width, "0")}-${step}.sh`;
        fs.writeFileSync(path.join(dir, file), `#!/bin/sh\n${text}`, { mode: 0o755 });
    });
}

function printMachines(job: StackJob): void {
    const raw = Object.fromEntries(CONFIG_KEYS.map((k) => [k, job.config[`${PROJECT}:${k}`]]));
    for (const m of parseConfig(raw).machines) {
        console.log(
            `${job.stack}  ${m.name.padEnd(24)} ${m.role.padEnd(8)} ${(m.internalIp ?? "ephemeral").padEnd(12)} ${m.machineType}`,
        );
    }
}

function changeOptions(opts: pulumi.CustomResourceOptions): Record<string, unknown> {
    const options: Record<string, unknown> = {};
    if (opts.protect) options.protect = true;
    if (opts.deleteBeforeReplace) options.deleteBeforeReplace = true;
    if (opts.replaceOnChanges?.length) options.replaceOnChanges = opts.replaceOnChanges;
    return options;
}

function nameOf(resource: pulumi.Resource | undefined): string | undefined {
    return (resource as { __name?: string } | undefined)?.__name;
}

function dependsOnNames(dependsOn: unknown): string[] {
    const list = Array.isArray(dependsOn) ? dependsOn : dependsOn ? [dependsOn] : [];
    return list.map((r) => nameOf(r as pulumi.Resource) ?? "<unknown>");
}

/** JSON with sorted keys and the repository's path replaced, so renders diff cleanly anywhere. */
export function stableJson(value: unknown): string {
    const sort = (v: unknown): unknown => {
        if (isSecretValue(v)) return "[secret]";
        if (Array.isArray(v)) return v.map(sort);
        if (typeof v === "object" && v !== null) {
            return Object.fromEntries(
                Object.keys(v)
                    .sort()
                    .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
            );
        }
        return typeof v === "string" ? v.split(REPO_ROOT).join("<repo>") : v;
    };
    return JSON.stringify(sort(value), null, 2);
}

async function waitFor(done: () => boolean): Promise<void> {
    for (let turn = 0; turn < 1000 && !done(); turn++) await new Promise((r) => setImmediate(r));
    if (!done()) throw new Error("the program declared resources that never registered");
}

if (require.main === module) {
    const job = JSON.parse(fs.readFileSync(0, "utf8")) as StackJob & { outputsFile: string };
    runStack(job).then(
        (outputs) => fs.writeFileSync(job.outputsFile, JSON.stringify(outputs)),
        (err: unknown) => {
            console.error(err instanceof Error ? err.message : String(err));
            process.exit(1);
        },
    );
}
