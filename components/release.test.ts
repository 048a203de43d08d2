// The release as the prod stack declares it, read from the offline render (the program under
// Pulumi's mocks, dependsOn recorded by a stack transformation): chain order, triggers, what a
// change of configuration re-runs, and the scripts the render writes.
import * as fs from "fs";
import * as path from "path";
import { listFiles, PlannedResource, renderBoth } from "../render/fixture";
import { runTool } from "../render/tools";

const RELEASE = "prod-release";
const COMMAND = "command:remote:Command";

type Plan = { resources: PlannedResource[] };

/** The release's commands by step id (`check`, `pull-prod-web1`, ...), in declaration order. */
function releaseSteps(plan: Plan): Map<string, PlannedResource> {
    return new Map(
        plan.resources
            .filter((r) => r.type === COMMAND && r.parent === RELEASE)
            .map((r) => [r.name.slice(RELEASE.length + 1), r] as const),
    );
}

/** A step's dependencies, release steps by id and anything else by name. */
function after(steps: Map<string, PlannedResource>, id: string): string[] {
    return steps
        .get(id)!
        .dependsOn.map((name) =>
            name.startsWith(`${RELEASE}-`) ? name.slice(RELEASE.length + 1) : name,
        );
}

const base = renderBoth();
const steps = releaseSteps(base.prod.plan);
const WORKERS = ["prod-web1", "prod-web2"];

describe("the chain", () => {
    test("is declared in chain order, each step a child of the release", () => {
        expect([...steps.keys()]).toEqual([
            "check",
            "sync",
            "build",
            "push",
            "submit",
            "pull-prod-web1",
            "pull-prod-web2",
            "drain-prod-web1",
            "restart-prod-web1",
            "return-prod-web1",
            "drain-prod-web2",
            "restart-prod-web2",
            "return-prod-web2",
        ]);
        const release = base.prod.plan.resources.find((r) => r.name === RELEASE)!;
        expect([release.type, release.parent]).toEqual(["coreos-cluster:index:Release", "prod"]);
    });

    test("each step waits for the one before it; the builder's steps come first", () => {
        expect(after(steps, "check")).toEqual([]);
        expect(after(steps, "sync")).toEqual(["check"]);
        expect(after(steps, "build")).toEqual(["sync"]);
        expect(after(steps, "push")).toEqual(["build"]);
        expect(after(steps, "submit")).toEqual(["push", "prod-control1-ready"]);
    });

    test("pulls run in parallel: each depends on push and on its own worker and network only", () => {
        for (const worker of WORKERS) {
            expect(after(steps, `pull-${worker}`)).toEqual([
                "push",
                `${worker}-ready`,
                "prod-to-staging",
                "staging-to-prod",
                "prod-site",
            ]);
        }
    });

    test("rolls run worker after worker: drain, restart, return, then the next worker's drain", () => {
        // The first worker drains only once every pull succeeded.
        expect(after(steps, "drain-prod-web1")).toEqual([
            "pull-prod-web1",
            "pull-prod-web2",
            "submit",
        ]);
        expect(after(steps, "restart-prod-web1")).toEqual(["drain-prod-web1"]);
        expect(after(steps, "return-prod-web1")).toEqual(["restart-prod-web1"]);
        expect(after(steps, "drain-prod-web2")).toEqual([
            "pull-prod-web2",
            "submit",
            "return-prod-web1",
        ]);
        expect(after(steps, "restart-prod-web2")).toEqual(["drain-prod-web2"]);
        expect(after(steps, "return-prod-web2")).toEqual(["restart-prod-web2"]);
    });

    test("with releaseBatchSize 2 of 4 workers, the second batch waits for the whole first one", () => {
        const four = releaseSteps(
            renderBoth(["--set", "workerCount=4", "--set", "releaseBatchSize=2"]).prod.plan,
        );
        const pulls = ["pull-prod-web1", "pull-prod-web2", "pull-prod-web3", "pull-prod-web4"];
        expect(after(four, "drain-prod-web1")).toEqual([...pulls, "submit"]);
        expect(after(four, "drain-prod-web2")).toEqual([...pulls, "submit"]);
        expect(after(four, "drain-prod-web3")).toEqual([
            "pull-prod-web3",
            "submit",
            "return-prod-web1",
            "return-prod-web2",
        ]);
        expect(after(four, "drain-prod-web4")).toEqual([
            "pull-prod-web4",
            "submit",
            "return-prod-web1",
            "return-prod-web2",
        ]);
    });
});

describe("where each step runs", () => {
    const host = (id: string) => steps.get(id)!.inputs.connection.host;

    test("check, sync, build and push on the builder, submit and restarts on the control node", () => {
        for (const id of ["check", "sync", "build", "push"]) {
            expect([id, host(id)]).toEqual([
                id,
                "<deploy-time external IP of tsc-registry-cbuilder1>",
            ]);
            expect(steps.get(id)!.inputs.connection.hostKey).toBe(
                "ssh-ed25519 <deploy-time_public_key_of_tsc-registry-cbuilder1-host-key>",
            );
        }
        for (const id of ["submit", "restart-prod-web1", "restart-prod-web2"]) {
            expect([id, host(id)]).toEqual([id, "<deploy-time external IP of prod-control1>"]);
        }
        for (const worker of WORKERS) {
            for (const step of ["pull", "drain", "return"]) {
                expect([step, host(`${step}-${worker}`)]).toEqual([
                    step,
                    `<deploy-time external IP of ${worker}>`,
                ]);
            }
        }
    });

    test("no delete command connects to a worker: each worker's unit is destroyed from the control node", () => {
        const deleting = [...steps.entries()].filter(([, r]) => r.inputs.delete !== undefined);
        expect(deleting.map(([id]) => id)).toEqual(["restart-prod-web1", "restart-prod-web2"]);
        for (const [id, resource] of deleting) {
            expect(resource.inputs.connection.host).toBe(
                "<deploy-time external IP of prod-control1>",
            );
            expect(resource.inputs.delete).toContain(
                `unit=website1@${id.slice("restart-".length)}.service\n`,
            );
            expect((resource as PlannedResource & { options: object }).options).toMatchObject({
                deleteBeforeReplace: true,
            });
        }
    });

    test("the registry's password goes only on stdin, to the steps that log in", () => {
        const withStdin = [...steps.entries()]
            .filter(([, r]) => r.inputs.stdin !== undefined)
            .map(([id]) => id);
        expect(withStdin).toEqual(["check", "pull-prod-web1", "pull-prod-web2"]);
        for (const id of withStdin) expect(steps.get(id)!.inputs.stdin).toBe("[secret]");
        for (const resource of steps.values()) {
            const text = `${resource.inputs.create}${resource.inputs.delete ?? ""}`;
            expect(text).not.toMatch(/deploy-time (password|private key)/);
        }
    });
});

describe("triggers", () => {
    test("each step's triggers are the tag and the machines it runs on, nothing else", () => {
        const instance = (machine: string) => `<deploy-time instance id of ${machine}>`;
        for (const id of ["check", "sync", "build", "push"]) {
            expect([id, steps.get(id)!.inputs.triggers]).toEqual([
                id,
                ["v1", instance("tsc-registry-cbuilder1")],
            ]);
        }
        expect(steps.get("submit")!.inputs.triggers).toEqual(["v1", instance("prod-control1")]);
        for (const worker of WORKERS) {
            for (const step of ["pull", "drain", "return"]) {
                expect([step, steps.get(`${step}-${worker}`)!.inputs.triggers]).toEqual([
                    step,
                    ["v1", instance(worker)],
                ]);
            }
            expect(steps.get(`restart-${worker}`)!.inputs.triggers).toEqual([
                "v1",
                instance("prod-control1"),
                instance(worker),
            ]);
        }
    });

    test("a change of an unrelated setting gives every step equal inputs and dependencies", () => {
        const firewall = [
            "--set",
            'sshSourceRanges=["203.0.113.0/24"]',
            "--set",
            'registryClientRanges=["10.221.0.0/16"]',
        ];
        const narrowed = releaseSteps(renderBoth(firewall).prod.plan);
        expect([...narrowed.keys()]).toEqual([...steps.keys()]);
        for (const [id, resource] of steps) {
            expect([id, narrowed.get(id)!.inputs, narrowed.get(id)!.dependsOn]).toEqual([
                id,
                resource.inputs,
                resource.dependsOn,
            ]);
        }
    });

    test("a new imageTag changes the tag in every step's triggers and no machine's user-data", () => {
        const rendered = renderBoth(["--set", "imageTag=v2"]);
        const v2 = releaseSteps(rendered.prod.plan);
        expect(rendered.prod.userData).toEqual(base.prod.userData);
        expect([...v2.keys()]).toEqual([...steps.keys()]);
        for (const [id, resource] of steps) {
            const triggers = v2.get(id)!.inputs.triggers;
            expect([id, triggers[0]]).toEqual([id, "v2"]);
            expect([id, triggers.slice(1)]).toEqual([id, resource.inputs.triggers.slice(1)]);
        }
    });
});

describe("a worker added later", () => {
    const three = releaseSteps(renderBoth(["--set", "workerCount=3"]).prod.plan);

    test("gets only its own pull and roll steps, after the last worker's", () => {
        expect([...three.keys()].filter((id) => !steps.has(id))).toEqual([
            "pull-prod-web3",
            "drain-prod-web3",
            "restart-prod-web3",
            "return-prod-web3",
        ]);
        expect(after(three, "pull-prod-web3")).toEqual([
            "push",
            "prod-web3-ready",
            "prod-to-staging",
            "staging-to-prod",
            "prod-site",
        ]);
        expect(after(three, "drain-prod-web3")).toEqual([
            "pull-prod-web3",
            "submit",
            "return-prod-web2",
        ]);
    });

    test("changes no input of a step that exists already; the first drain also waits for its pull", () => {
        for (const [id, resource] of steps) {
            expect([id, three.get(id)!.inputs]).toEqual([id, resource.inputs]);
            // dependsOn is no input: a longer list re-runs nothing.
            const added = id === "drain-prod-web1" ? ["prod-release-pull-prod-web3"] : [];
            const before = resource.dependsOn;
            expect([id, three.get(id)!.dependsOn]).toEqual([
                id,
                [...before.slice(0, -1), ...added, ...before.slice(-1)],
            ]);
        }
    });
});

describe("the rendered release", () => {
    const dir = path.join(base.prod.dir, "release");
    const files = listFiles(dir);
    const texts = [...steps.values()].map((r) => r.inputs.create as string);
    const deletes = [...steps.values()].flatMap((r) =>
        r.inputs.delete ? [r.inputs.delete as string] : [],
    );

    test("is each command exactly as sent, with a shebang, numbered in chain order", () => {
        expect(files).toEqual([
            ...[...steps.keys()].map((id, i) => `${String(i + 1).padStart(2, "0")}-${id}.sh`),
            "14-destroy-prod-web1.sh",
            "15-destroy-prod-web2.sh",
        ]);
        expect(files.map((file) => fs.readFileSync(path.join(dir, file), "utf8"))).toEqual(
            [...texts, ...deletes].map((text) => `#!/bin/sh\n${text}`),
        );
    });

    test("reaches the registry, the staging server and the builder that staging's outputs name", () => {
        const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
        expect(read("01-check.sh")).toContain(
            "docker login --username release --password-stdin 10.200.4.1:5000\n",
        );
        expect(read("02-sync.sh")).toContain(
            "source=core@10.200.3.1:/home/core/share/nginx/html/\n",
        );
        expect(read("03-build.sh")).toContain(
            'echo "tsc-registry-cbuilder1: building $image on nginx:1.27.3"\n',
        );
        expect(read("03-build.sh")).toContain(
            fs.readFileSync(path.join(__dirname, "..", "images", "website1", "Dockerfile"), "utf8"),
        );
        expect(read("05-submit.sh")).toContain(
            fs.readFileSync(path.join(__dirname, "..", "units", "website1@.service"), "utf8"),
        );
        expect(read("09-restart-prod-web1.sh")).toContain(
            "curl -fsS --max-time 5 http://10.220.2.1/version",
        );
        expect(read("10-return-prod-web1.sh")).toContain("deadline=$(($(date +%s) + 300))\n");
    });

    test.each(files)("%s is shellcheck clean", (file) => {
        const run = runTool("shellcheck", ["--format", "gcc", path.join(dir, file)]);
        expect(`${run.stdout}${run.stderr}`.trim()).toBe("");
    });
});
