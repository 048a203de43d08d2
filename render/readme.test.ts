// The README's configuration table says what Pulumi.yaml declares: every key, with its default.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_KEYS } from "../components/config";
import { REPO_ROOT } from "../components/userdata";

const project = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; description: string; default: unknown }>;
};
const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const table = new Map(
    [...readme.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()] as const),
);

function shown(value: unknown): string {
    if (value === "") return "(empty)";
    if (Array.isArray(value)) return `\`[${value.join(", ")}]\``;
    return `\`${value}\``;
}

test("Pulumi.yaml declares every setting the program reads, each with a type, description and default", () => {
    expect(Object.keys(project.config).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const [key, schema] of Object.entries(project.config)) {
        expect([
            key,
            typeof schema.type,
            typeof schema.description,
            schema.default !== undefined,
        ]).toEqual([key, "string", "string", true]);
    }
});

test.each(Object.entries(project.config))(
    "the README documents %s with its default",
    (key, schema) => {
        expect(table.get(key)).toBe(shown(schema.default));
    },
);
