// Test helper: runs the offline render (the compiled program, as `npm run render` does) into a
// fresh folder and reads what it wrote.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../components/userdata";

export interface PlannedResource {
    type: string;
    name: string;
    parent: string | null;
    dependsOn: string[];
    inputs: Record<string, any>;
}

export interface RenderedStack {
    dir: string;
    plan: { resources: PlannedResource[]; outputs: Record<string, any> };
    /** Raw user-data by machine. */
    userData: Record<string, string>;
    /** Parsed user-data by machine. */
    cloudConfig: Record<string, any>;
    stdout: string;
}

/** Runs the render; the result says how it ended. */
export function tryRender(args: string[] = []): {
    out: string;
    status: number | null;
    stdout: string;
    stderr: string;
} {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-test-"));
    const run = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, "build/js/render/render.js"), "--out", out, ...args],
        {
            encoding: "utf8",
        },
    );
    return { out, status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function render(args: string[] = []): { out: string; stdout: string } {
    const run = tryRender(args);
    if (run.status !== 0)
        throw new Error(`render failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    return run;
}

export function readStack(out: string, stack: string, stdout = ""): RenderedStack {
    const dir = path.join(out, stack);
    const machinesDir = path.join(dir, "machines");
    const userData = Object.fromEntries(
        fs
            .readdirSync(machinesDir)
            .map((file) => [
                file.replace(/\.yaml$/, ""),
                fs.readFileSync(path.join(machinesDir, file), "utf8"),
            ]),
    );
    return {
        dir,
        plan: JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")),
        userData,
        cloudConfig: Object.fromEntries(
            Object.entries(userData).map(([m, text]) => [m, yaml.load(text)]),
        ),
        stdout,
    };
}

/** Renders both stacks once per test file. */
export function renderBoth(args: string[] = []): {
    staging: RenderedStack;
    prod: RenderedStack;
    out: string;
} {
    const { out, stdout } = render(args);
    return {
        staging: readStack(out, "staging", stdout),
        prod: readStack(out, "prod", stdout),
        out,
    };
}

export function listFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
        .sort();
}
