// The project's own offline render (`npm run render` at the repository root) breaks no policy.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { POLICIES } from "./policies";
import { COPY_TO_REMOTE, FIREWALL, INSTANCE, REMOTE_COMMAND } from "./rules";
import { violations } from "./testing";

const REPO_ROOT = path.resolve(__dirname, "..");
const RENDER = path.join(REPO_ROOT, "build", "render");
const STACKS = ["staging", "prod"];

interface PlannedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

beforeAll(() => {
    if (STACKS.every((stack) => fs.existsSync(path.join(RENDER, stack, "plan.json")))) return;
    const run = spawnSync("npm", ["run", "render"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (run.status !== 0) {
        throw new Error(
            `npm run render failed in ${REPO_ROOT} (run \`npm ci\` there first):\n${run.stderr.slice(-2000)}`,
        );
    }
});

/** The plan's resources, each instance with its exact user-data (plan.json shows [secret]). */
function resources(stack: string): PlannedResource[] {
    const plan = JSON.parse(fs.readFileSync(path.join(RENDER, stack, "plan.json"), "utf8"));
    return plan.resources.map((resource: PlannedResource) => {
        if (resource.type !== INSTANCE) return resource;
        const userData = fs.readFileSync(
            path.join(RENDER, stack, "machines", `${resource.name}.yaml`),
            "utf8",
        );
        return {
            ...resource,
            inputs: {
                ...resource.inputs,
                metadata: { ...resource.inputs.metadata, "user-data": userData },
            },
        };
    });
}

describe.each(STACKS)("the %s render", (stack) => {
    test("holds what the policies read: firewall rules, instances with user-data, remote commands", () => {
        const types = resources(stack).map((r) => r.type);
        for (const type of [FIREWALL, INSTANCE, REMOTE_COMMAND])
            expect([type, types.includes(type)]).toEqual([type, true]);
        if (stack === "staging") expect(types).toContain(COPY_TO_REMOTE);
        for (const r of resources(stack).filter((r) => r.type === INSTANCE)) {
            expect(r.inputs.metadata["user-data"]).toMatch(/^#cloud-config\n/);
        }
    });

    test("breaks no policy", () => {
        const found = resources(stack).flatMap((r) =>
            POLICIES.flatMap((policy) => violations(policy, r.type, r.name, r.inputs)),
        );
        expect(found).toEqual([]);
    });
});
