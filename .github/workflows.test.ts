// The CI workflows name stacks, npm scripts and permissions that exist and fit; parsed, not grepped.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../components/userdata";

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    "working-directory"?: string;
}
interface Job {
    needs?: string | string[];
    environment?: string;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    strategy?: { matrix: { stack: string[] } };
    steps: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
    return yaml.load(
        fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", name), "utf8"),
    ) as Workflow;
}

const preview = workflow("preview.yml");
const deploy = workflow("deploy.yml");
const both = { "preview.yml": preview, "deploy.yml": deploy };

function pulumiSteps(job: Job): Step[] {
    return job.steps.filter((step) => step.uses?.startsWith("pulumi/actions@"));
}

/** The stack a pulumi step runs on, with `${{ matrix.stack }}` expanded over the job's matrix. */
function stacksOf(job: Job): string[] {
    return pulumiSteps(job).flatMap((step) => {
        const name = String(step.with?.["stack-name"]);
        return name === "${{ matrix.stack }}" ? job.strategy!.matrix.stack : [name];
    });
}

describe.each(Object.entries(both))("%s", (_file, flow) => {
    const jobs = Object.values(flow.jobs);

    test("every stack it names has its Pulumi.<stack>.yaml", () => {
        const stacks = jobs.flatMap(stacksOf);
        expect(stacks.length).toBeGreaterThan(0);
        for (const stack of stacks)
            expect(fs.existsSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`))).toBe(true);
    });

    test("every npm command it runs exists, in the folder it runs in", () => {
        const runs = jobs.flatMap((job) => job.steps.filter((step) => step.run));
        expect(runs.length).toBeGreaterThan(0);
        for (const step of runs) {
            const folder = path.join(REPO_ROOT, step["working-directory"] ?? ".");
            const manifest = JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8"));
            expect(fs.existsSync(path.join(folder, "package-lock.json"))).toBe(true);
            for (const [, script] of step.run!.matchAll(/\bnpm run ([\w:-]+)/g)) {
                expect([script, manifest.scripts[script] !== undefined]).toEqual([script, true]);
            }
            expect(step.run).toMatch(/^npm (ci --ignore-scripts|run [\w:-]+)$/);
        }
    });

    test("its permissions are the least it needs, and only at the top", () => {
        const least: Record<string, string> = { contents: "read", "id-token": "write" };
        if (flow.on.pull_request !== undefined) least["pull-requests"] = "write";
        expect(flow.permissions).toEqual(least);
        for (const job of jobs) expect(job.permissions).toBeUndefined();
    });

    test("actions are pinned by major version, GCP is reached through workload identity", () => {
        for (const step of jobs.flatMap((job) => job.steps)) {
            if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
        }
        for (const job of jobs) {
            const auth = job.steps.find((step) =>
                step.uses?.startsWith("google-github-actions/auth@"),
            );
            expect(Object.keys(auth?.with ?? {}).sort()).toEqual([
                "service_account",
                "workload_identity_provider",
            ]);
            expect(auth!.with!.workload_identity_provider).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
            expect(auth!.with!.service_account).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
        }
    });

    test("state is in a cloud-storage bucket, and the passphrase comes from secrets", () => {
        for (const step of jobs.flatMap(pulumiSteps)) {
            expect(step.with?.["cloud-url"]).toMatch(/^gs:\/\/\$\{\{ vars\.\w+ \}\}$/);
            expect(step.env).toEqual({
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
            });
            expect(step.with?.policyPacks).toBe("policy");
        }
    });
});

test("the preview runs on pull requests for staging and prod and comments on the pull request", () => {
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    const steps = Object.values(preview.jobs).flatMap(pulumiSteps);
    expect(steps.map((step) => [step.with?.command, step.with?.["comment-on-pr"]])).toEqual([
        ["preview", true],
    ]);
    expect(Object.values(preview.jobs).flatMap(stacksOf)).toEqual(["staging", "prod"]);
});

test("the deploy runs pulumi up on main, staging before prod, each behind its environment", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    const byStack = Object.entries(deploy.jobs).map(([id, job]) => ({
        id,
        job,
        stack: stacksOf(job),
    }));
    expect(byStack.map((j) => j.stack)).toEqual([["staging"], ["prod"]]);

    const [staging, prod] = byStack;
    expect(prod.job.needs).toBe(staging.id);
    expect(staging.job.needs).toBeUndefined();
    for (const { job, stack } of byStack) {
        expect(pulumiSteps(job).map((step) => step.with?.command)).toEqual(["up"]);
        expect(job.environment).toBe(stack[0]);
        expect(job.concurrency).toEqual({
            group: `deploy-${stack[0]}`,
            "cancel-in-progress": false,
        });
    }
});
