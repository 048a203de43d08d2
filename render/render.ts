// The offline render: `npm run render [-- --stack staging|prod] [--out DIR] [--set key=value ...]`.
// Runs the program under Pulumi's mocks for each stack and writes what it would deploy.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_KEYS } from "../components/config";
import { REPO_ROOT } from "../components/userdata";
import { stackConfig } from "./stack-config";

const STACKS = ["staging", "prod"] as const;

interface Options {
    stacks: string[];
    out: string;
    overrides: Record<string, string>;
}

function parseArgs(argv: readonly string[]): Options {
    const options: Options = {
        stacks: [...STACKS],
        out: path.join(REPO_ROOT, "build", "render"),
        overrides: {},
    };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        switch (argv[i]) {
            case "--stack":
                if (!STACKS.includes(value as (typeof STACKS)[number]))
                    usage(`--stack takes ${STACKS.join(" or ")}, not ${value}`);
                options.stacks = [value];
                break;
            case "--out":
                if (!value) usage("--out takes a folder");
                options.out = path.resolve(value);
                break;
            case "--set":
                if (!/^[\w:-]+=/.test(value ?? "")) usage(`--set takes key=value, not ${value}`);
                if (!isSettingKey(value.slice(0, value.indexOf("=")))) {
                    usage(
                        `--set ${value}: no setting ${value.slice(0, value.indexOf("="))}; ` +
                            `expected gcp:<key> or one of ${CONFIG_KEYS.join(", ")}`,
                    );
                }
                options.overrides[value.slice(0, value.indexOf("="))] = value.slice(
                    value.indexOf("=") + 1,
                );
                break;
            default:
                usage(`unknown argument ${argv[i]}`);
        }
        i++;
    }
    return options;
}

/** A key of this project (bare or `coreos-cluster:`-prefixed) or of the gcp provider. */
function isSettingKey(key: string): boolean {
    const bare = key.replace(/^coreos-cluster:/, "");
    return key.startsWith("gcp:") || (CONFIG_KEYS as readonly string[]).includes(bare);
}

function usage(problem: string): never {
    console.error(
        `render: ${problem}\nusage: npm run render [-- --stack staging|prod] [--out DIR] [--set key=value ...]`,
    );
    process.exit(2);
}

/** Renders one stack in its own process; returns its outputs. */
function renderStack(
    stack: string,
    out: string,
    overrides: Record<string, string>,
    stagingOutputs: unknown,
): Record<string, unknown> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-render-"));
    try {
        const outputsFile = path.join(scratch, "outputs.json");
        const job = {
            stack,
            config: stackConfig(stack, overrides),
            out,
            stagingOutputs,
            outputsFile,
        };
        const run = spawnSync(process.execPath, [path.join(__dirname, "run-stack.js")], {
            input: JSON.stringify(job),
            stdio: ["pipe", "inherit", "inherit"],
        });
        if (run.status !== 0) {
            console.error(`render: the ${stack} stack did not render`);
            process.exit(1);
        }
        return JSON.parse(fs.readFileSync(outputsFile, "utf8"));
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

function main(): void {
    const options = parseArgs(process.argv.slice(2));
    let stagingOutputs: Record<string, unknown> = {};
    if (!options.stacks.includes("staging")) {
        // prod alone still needs staging's outputs; render staging where nobody looks.
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "coreos-cluster-staging-"));
        stagingOutputs = renderStack("staging", scratch, {}, {});
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    for (const stack of options.stacks) {
        const outputs = renderStack(
            stack,
            path.join(options.out, stack),
            options.overrides,
            stagingOutputs,
        );
        if (stack === "staging") stagingOutputs = outputs;
    }
    console.log(
        `rendered ${options.stacks.join(" and ")} into ${path.relative(process.cwd(), options.out) || "."}`,
    );
}

main();
