// A stack's configuration as the Pulumi CLI would hand it to the program: Pulumi.yaml's defaults,
// then Pulumi.<stack>.yaml, then any overrides.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT } from "../components/config";
import { REPO_ROOT } from "../components/userdata";

interface ProjectFile {
    config?: Record<string, { default?: unknown }>;
}

interface StackFile {
    config?: Record<string, unknown>;
}

/** Configuration keyed `namespace:key`, every value a string (JSON for lists and numbers). */
export type StackConfig = Record<string, string>;

export function stackConfig(
    stack: string,
    overrides: Readonly<Record<string, string>> = {},
): StackConfig {
    const project = yaml.load(
        fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"),
    ) as ProjectFile;
    const stackFile = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile))
        throw new Error(`no stack ${stack}: ${path.basename(stackFile)} does not exist`);
    const stackValues =
        (yaml.load(fs.readFileSync(stackFile, "utf8")) as StackFile | null)?.config ?? {};

    const config: StackConfig = {};
    for (const [key, schema] of Object.entries(project.config ?? {})) {
        if (schema.default !== undefined)
            config[`${PROJECT}:${key}`] = asConfigString(schema.default);
    }
    for (const [key, value] of Object.entries(stackValues)) config[key] = asConfigString(value);
    for (const [key, value] of Object.entries(overrides)) {
        config[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
    }
    return config;
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}
