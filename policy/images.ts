// Which docker images a unit or a command names, read from its docker command lines and from any
// word that ends in an image tag. Pure functions, so the policies and their tests share them.

/** docker options, before or after the subcommand, that take no value. */
const FLAGS = new Set([
    "-d",
    "--detach",
    "-i",
    "--interactive",
    "-t",
    "--tty",
    "--rm",
    "--init",
    "--privileged",
    "--read-only",
    "-P",
    "--publish-all",
    "--no-healthcheck",
    "--oom-kill-disable",
    "-q",
    "--quiet",
    "--all-tags",
    "--disable-content-trust",
    "-D",
    "--debug",
    "--tls",
    "--tlsverify",
]);

/** Subcommands whose first operand is an image. */
const IMAGE_FIRST = new Set(["run", "create", "pull", "push"]);

/**
 * The simple commands of a shell text or a unit, as words: continuation lines joined, quotes
 * dropped (a quoted string stays one word), split at line ends and control operators. Good
 * enough to find images, not a shell.
 */
export function shellCommands(text: string): string[][] {
    const commands: string[][] = [];
    let words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    const endWord = () => {
        if (word !== undefined && word !== "") words.push(word);
        word = undefined;
    };
    const endCommand = () => {
        endWord();
        if (words.length > 0) commands.push(words);
        words = [];
    };
    for (const char of text.replace(/\\\r?\n/g, " ")) {
        if (quote !== undefined) {
            if (char === quote) quote = undefined;
            else word = (word ?? "") + char;
        } else if (char === '"' || char === "'") {
            quote = char;
            word = word ?? "";
        } else if (/[\n;|&()`]/.test(char)) {
            endCommand();
        } else if (/[\s<>]/.test(char)) {
            endWord();
        } else {
            word = (word ?? "") + char;
        }
    }
    endCommand();
    return commands;
}

/** A value left to run time (`$IMAGE`, `${IMAGE}`, an unfilled template): not checkable here. */
function isVariable(word: string): boolean {
    return word.includes("$") || word.includes("{{");
}

/** The tag of an image reference, "@digest" for a digest, or undefined when it has neither. */
export function imageTag(reference: string): string | undefined {
    if (reference.includes("@")) return "@digest";
    const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
    const colon = lastPart.lastIndexOf(":");
    return colon >= 0 ? lastPart.slice(colon + 1) : undefined;
}

/** Whether a word is a docker executable, also as a unit's `ExecStart=-/usr/bin/docker`. */
function isDocker(word: string): boolean {
    const command = word.replace(/^[A-Za-z]+=/, "").replace(/^[-@+!:]+/, "");
    return command === "docker" || command.endsWith("/bin/docker");
}

/** Operands of a docker command line starting after `docker`, options and their values skipped. */
function operands(words: readonly string[], start: number): { operands: string[]; tags: string[] } {
    const found: string[] = [];
    const tags: string[] = [];
    for (let i = start; i < words.length && !isDocker(words[i]); i++) {
        const word = words[i];
        if (word === "-t" || word === "--tag") tags.push(words[i + 1] ?? "");
        if (word.startsWith("--tag=")) tags.push(word.slice("--tag=".length));
        if (!word.startsWith("-")) found.push(word);
        else if (!FLAGS.has(word) && !word.includes("=") && !/^-[ditPq]+$/.test(word)) i++;
    }
    return { operands: found, tags };
}

/** Every image a text's docker commands run, create, pull, push, build or tag. */
export function dockerImages(text: string): string[] {
    return shellCommands(text).flatMap(commandImages);
}

function commandImages(words: readonly string[]): string[] {
    const images: string[] = [];
    words.forEach((word, i) => {
        if (!isDocker(word)) return;
        const line = operands(words, i + 1);
        let [subcommand, ...rest] = line.operands;
        if (subcommand === "container" || subcommand === "image") [subcommand, ...rest] = rest;
        if (IMAGE_FIRST.has(subcommand) && rest.length > 0) images.push(rest[0]);
        if (subcommand === "tag") images.push(...rest.slice(0, 2));
        // `-t` means --tty for run and --tag for build; only build's counts as an image.
        if (subcommand === "build") images.push(...line.tags);
    });
    return images;
}

/** Why a text's images are not pinned: `:latest` anywhere, or a docker image without a tag. */
export function imageProblems(text: string): string[] {
    const problems = new Set<string>();
    for (const [, name] of text.matchAll(/([\w./:-]*[\w./-]):latest(?![\w.-])/g)) {
        problems.add(
            `names the image ${name}:latest, tagged :latest; pin a version tag or a digest`,
        );
    }
    for (const image of dockerImages(text)) {
        if (!isVariable(image) && imageTag(image) === undefined) {
            problems.add(
                `names the image ${image} without a tag (docker reads it as :latest); pin a version tag or a digest`,
            );
        }
    }
    return [...problems];
}
