// Renders a machine's #cloud-config from the templates in cloud-config/ and the units in units/.
// Templates are YAML; `!unit NAME` reads units/NAME, `!file PATH` reads a file of this repo, and
// `{{key}}` is replaced by a value (a whole-string `{{key}}` may take a list).
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Role } from "./config";

/** GCE's limit for one metadata value. */
export const MAX_USER_DATA_BYTES = 256 * 1024;

export type TemplateValues = Readonly<Record<string, string | readonly string[]>>;

export const REPO_ROOT = findRepoRoot(__dirname);

const schema = yaml.DEFAULT_SCHEMA.extend([
    new yaml.Type("!unit", {
        kind: "scalar",
        construct: (name: string) => readRepoFile(path.join("units", name)),
    }),
    new yaml.Type("!file", { kind: "scalar", construct: (file: string) => readRepoFile(file) }),
]);

type Tree = string | number | boolean | null | Tree[] | { [key: string]: Tree };
type CloudConfig = { [key: string]: Tree };

/** The exact user-data of a machine of the given role. Throws when it exceeds GCE's limit. */
export function renderUserData(machine: string, role: Role, values: TemplateValues): string {
    const merged = mergeTemplates(loadTemplate("common"), loadTemplate(role));
    const filled = fill(merged, values, `cloud-config of ${machine}`) as CloudConfig;
    const text = `#cloud-config\n${yaml.dump(filled, { lineWidth: -1, noRefs: true, quotingType: '"' })}`;
    checkUserDataSize(machine, text);
    return text;
}

export function checkUserDataSize(machine: string, userData: string): void {
    const size = Buffer.byteLength(userData, "utf8");
    if (size > MAX_USER_DATA_BYTES) {
        throw new Error(
            `user-data of ${machine} is ${size} bytes; GCE allows at most ${MAX_USER_DATA_BYTES} bytes (256 KiB) in one metadata value`,
        );
    }
}

/** Fills `{{key}}` in a unit or file of this repo, for the render and the tests. */
export function renderRepoFile(file: string, values: TemplateValues): string {
    return fill(readRepoFile(file), values, file) as string;
}

export function readRepoFile(file: string): string {
    return fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
}

function loadTemplate(name: string): CloudConfig {
    const file = path.join("cloud-config", `${name}.yaml`);
    return (yaml.load(readRepoFile(file), { schema, filename: file }) ?? {}) as CloudConfig;
}

/** The role's template adds files and units to the common ones; its other keys win. */
function mergeTemplates(common: CloudConfig, role: CloudConfig): CloudConfig {
    const list = (doc: CloudConfig, key: string) => (doc[key] ?? []) as Tree[];
    const coreos = (doc: CloudConfig) => (doc.coreos ?? {}) as CloudConfig;
    return {
        ...common,
        ...role,
        write_files: [...list(common, "write_files"), ...list(role, "write_files")],
        coreos: {
            ...coreos(common),
            ...coreos(role),
            units: [...list(coreos(common), "units"), ...list(coreos(role), "units")],
        },
    };
}

function fill(tree: Tree, values: TemplateValues, where: string): Tree {
    if (Array.isArray(tree)) return tree.map((item) => fill(item, values, where));
    if (tree !== null && typeof tree === "object") {
        return Object.fromEntries(
            Object.entries(tree).map(([key, item]) => [key, fill(item, values, where)]),
        );
    }
    if (typeof tree !== "string") return tree;

    const whole = /^\{\{(\w+)\}\}$/.exec(tree);
    if (whole) return valueOf(whole[1], values, where) as Tree;
    return tree.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = valueOf(key, values, where);
        if (typeof value !== "string")
            throw new Error(`${where}: {{${key}}} is a list and must stand alone`);
        return value;
    });
}

function valueOf(key: string, values: TemplateValues, where: string): string | readonly string[] {
    const value = values[key];
    if (value === undefined) throw new Error(`${where}: no value for {{${key}}}`);
    return value;
}

function findRepoRoot(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (
            fs.existsSync(path.join(dir, "Pulumi.yaml")) &&
            fs.existsSync(path.join(dir, "cloud-config"))
        )
            return dir;
        if (path.dirname(dir) === dir)
            throw new Error(`cannot find the repository root above ${start}`);
    }
}
