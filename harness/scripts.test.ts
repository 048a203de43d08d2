// The harness's shell scripts pass shellcheck. Offline.
import * as fs from "fs";
import * as path from "path";
import { runTool } from "../render/tools";

const scripts = [
    ...["engine.sh", "sweep.sh", "run.sh", "fleetctl-double.sh"].map((file) =>
        path.join(__dirname, file),
    ),
    ...fs
        .readdirSync(path.join(__dirname, "images"))
        .filter((file) => file.endsWith(".sh"))
        .map((file) => path.join(__dirname, "images", file)),
];

test.each(scripts.map((file) => [path.relative(__dirname, file), file]))(
    "%s passes shellcheck",
    (_, file) => {
        const run = runTool("shellcheck", [file]);
        expect(`${run.stdout}${run.stderr}`).toBe("");
        expect(run.status).toBe(0);
    },
);
