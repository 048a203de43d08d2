import { dockerImages, imageProblems, imageTag, shellCommands } from "./images";

test("shell text splits into commands of words, a quoted string one word, lines joined", () => {
    expect(shellCommands("a 'b c' \\\n  d; e && f | g\nh")).toEqual([
        ["a", "b c", "d"],
        ["e"],
        ["f"],
        ["g"],
        ["h"],
    ]);
});

test("a docker command inside a quoted message is not a docker command", () => {
    expect(dockerImages('fail "docker push of $image failed" docker push "$image"')).toEqual([
        "$image",
    ]);
    expect(imageProblems('fail "docker push of $image failed" docker push "$image"')).toEqual([]);
});

test.each([
    ["nginx:1.27.3", "1.27.3"],
    ["10.200.4.1:5000/website1:v7", "v7"],
    ["10.200.4.1:5000/website1", undefined],
    ["nginx", undefined],
    ["nginx@sha256:0123", "@digest"],
])("the tag of %s is %s", (reference, tag) => {
    expect(imageTag(reference)).toBe(tag);
});

test("docker images are read from run, create, pull, push, build -t and tag, options skipped", () => {
    const unit = [
        "ExecStartPre=-/usr/bin/docker rm -f web",
        "ExecStartPre=/usr/bin/docker pull nginx:1.27.3",
        "ExecStart=/usr/bin/docker run --rm --name web -p 80:80 \\",
        "  -v /srv:/srv:ro -it --network=host registry:2.8.3 serve",
    ].join("\n");
    expect(dockerImages(unit)).toEqual(["nginx:1.27.3", "registry:2.8.3"]);
    expect(
        dockerImages("docker --config /etc/docker container create -e A=b busybox:1 true"),
    ).toEqual(["busybox:1"]);
    expect(
        dockerImages(
            "docker build -t h:5000/website1:v2 --tag=h:5000/site /data && docker push h:5000/website1:v2",
        ),
    ).toEqual(["h:5000/website1:v2", "h:5000/site", "h:5000/website1:v2"]);
    expect(
        dockerImages("docker tag website1:v2 h:5000/website1; docker image pull -q alpine"),
    ).toEqual(["website1:v2", "h:5000/website1", "alpine"]);
});

test("pinned images, images in variables and commands that name no image pass", () => {
    expect(
        imageProblems(
            'docker run --rm ${WEBSITE1_IMAGE}\ndocker pull "$image"\ndocker stop website1',
        ),
    ).toEqual([]);
    expect(
        imageProblems("docker run -d registry:2.8.3 && docker pull h:5000/website1@sha256:ab"),
    ).toEqual([]);
    expect(
        imageProblems("echo 'never the latest image'; curl https://example.invalid/latest"),
    ).toEqual([]);
});

test(":latest anywhere, and untagged docker images, are named with what to do", () => {
    expect(
        imageProblems(
            "printf 'WEBSITE1_IMAGE=h:5000/website1:latest\\n' > /etc/website1/image.env",
        ),
    ).toEqual([
        "names the image h:5000/website1:latest, tagged :latest; pin a version tag or a digest",
    ]);
    expect(imageProblems("ExecStart=/usr/bin/docker run --rm nginx:latest")).toEqual([
        "names the image nginx:latest, tagged :latest; pin a version tag or a digest",
    ]);
    expect(
        imageProblems("docker pull 10.200.4.1:5000/website1 && docker build -t website1 ."),
    ).toEqual([
        "names the image 10.200.4.1:5000/website1 without a tag (docker reads it as :latest); pin a version tag or a digest",
        "names the image website1 without a tag (docker reads it as :latest); pin a version tag or a digest",
    ]);
});
