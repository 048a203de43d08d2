import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterMachine } from "./cluster-machines";
import * as steps from "./release-commands";
import { DIAL_REACHED, SshEndpoint, connectionTo, sshConnection } from "./ssh";
import { readRepoFile } from "./userdata";

export interface ReleaseArgs {
    /** The tag to release; a new one re-runs every step, the same one runs none. */
    readonly imageTag: string;
    /** Workers restarted together; the next batch waits until this one serves again. */
    readonly batchSize: number;
    /** Seconds a restarted worker may take to serve the tag with /healthz 200. */
    readonly healthTimeoutSeconds: number;
    /** The nginx image website1 is built on, pinned by version. */
    readonly baseImage: string;
    /** Staging's private registry: host:port, user, and password (a secret, sent on stdin only). */
    readonly registry: {
        readonly host: pulumi.Input<string>;
        readonly user: pulumi.Input<string>;
        readonly password: pulumi.Input<string>;
    };
    /** The builder, reached with staging's operator key and its pinned host key. */
    readonly builder: SshEndpoint & {
        readonly name: pulumi.Input<string>;
        readonly instanceId: pulumi.Input<string>;
    };
    /** Internal address of the staging web server whose site is released. */
    readonly stagingServerIp: pulumi.Input<string>;
    /** The control node whose fleet restarts the workers' units. */
    readonly controlNode: ClusterMachine;
    /** The workers, in the order they are released. */
    readonly workers: readonly ClusterMachine[];
    /** What the workers need before they can pull, such as the peering with staging's network. */
    readonly pullsAfter?: readonly pulumi.Resource[];
}

/**
 * The release of `imageTag` to prod, one remote command per step: check, sync, build and push on
 * the builder; the fleet template submitted on the control node; a pull on every worker at once;
 * then worker by worker (batch by batch) drain, restart through fleet and return to the pool.
 * Every step's triggers are the tag and the machines it runs on. A new tag or a new machine runs
 * its steps again; so does any change of a step's text or connection (the command provider
 * re-runs `create` on any input change), which is harmless because every step checks what is
 * already true first. A worker added later gets only its own pull and roll.
 */
export class Release extends pulumi.ComponentResource {
    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:Release", name, {}, opts);

        const { imageTag, registry, builder, controlNode } = args;
        const step = (id: string, s: Step) =>
            new command.remote.Command(
                `${name}-${id}`,
                {
                    connection: s.on,
                    create: s.create,
                    delete: s.delete,
                    stdin: s.stdin,
                    triggers: [imageTag, ...s.triggers],
                    addPreviousOutputInEnv: false,
                },
                {
                    parent: this,
                    dependsOn: s.after,
                    customTimeouts: TIMEOUTS,
                    deleteBeforeReplace: s.deleteFirst,
                },
            );
        const password = pulumi.secret(registry.password);

        const onBuilder = sshConnection(builder);
        const withBuilder = (make: (values: BuilderValues) => string) =>
            pulumi
                .all([builder.name, registry.host, registry.user, args.stagingServerIp])
                .apply(([builderName, registryHost, registryUser, stagingServerIp]) =>
                    make({ builder: builderName, registryHost, registryUser, stagingServerIp }),
                );
        const onBuilderStep = (create: pulumi.Input<string>, stdin?: pulumi.Input<string>) => ({
            on: onBuilder,
            create,
            stdin,
            triggers: [builder.instanceId],
            after: [],
        });
        const unitText = readRepoFile(`units/${steps.WEBSITE1_TEMPLATE}`);

        /** What a step of the chain runs, where, and what it waits for beside the chain. */
        const stepOf = (link: steps.ChainLink): Step => {
            const worker = args.workers.find((w) => w.name === link.worker);
            switch (link.step) {
                case "check":
                    return onBuilderStep(
                        withBuilder((v) => steps.check(v)),
                        password,
                    );
                case "sync":
                    return onBuilderStep(withBuilder((v) => steps.sync({ ...v, imageTag })));
                case "build":
                    return onBuilderStep(
                        withBuilder((v) =>
                            steps.build({
                                ...v,
                                imageTag,
                                baseImage: args.baseImage,
                                dockerfile: readRepoFile("images/website1/Dockerfile"),
                                nginxConf: readRepoFile("images/website1/nginx.conf"),
                            }),
                        ),
                    );
                case "push":
                    return onBuilderStep(withBuilder((v) => steps.push({ ...v, imageTag })));
                case "submit":
                    return {
                        on: connectionTo(controlNode),
                        create: steps.submit({ controlNode: controlNode.name, unitText }),
                        triggers: [controlNode.instance.instanceId],
                        after: [controlNode.ready],
                    };
            }
            if (!worker) throw new Error(`release step ${link.id} names no worker of this stack`);
            switch (link.step) {
                case "pull":
                    return {
                        on: connectionTo(worker),
                        create: pulumi
                            .all([registry.host, registry.user])
                            .apply(([registryHost, registryUser]) =>
                                steps.pull({
                                    worker: worker.name,
                                    registryHost,
                                    registryUser,
                                    imageTag,
                                }),
                            ),
                        stdin: password,
                        triggers: [worker.instance.instanceId],
                        after: [worker.ready, ...(args.pullsAfter ?? [])],
                    };
                case "drain":
                    return {
                        on: connectionTo(worker),
                        create: pulumi
                            .output(registry.host)
                            .apply((registryHost) =>
                                steps.drain({ worker: worker.name, registryHost, imageTag }),
                            ),
                        triggers: [worker.instance.instanceId],
                        after: [],
                    };
                case "restart": {
                    const workerIp = worker.plan.internalIp;
                    if (!workerIp) {
                        throw new Error(`worker ${worker.name} has no reserved internal address`);
                    }
                    // A removed worker's unit is destroyed from the control node, never on the
                    // worker (it may be gone); delete-first, so an old destroy never follows a
                    // new start.
                    return {
                        on: connectionTo(controlNode, DIAL_REACHED),
                        create: steps.restart({
                            controlNode: controlNode.name,
                            worker: worker.name,
                            workerIp,
                            imageTag,
                        }),
                        delete: steps.destroy({
                            controlNode: controlNode.name,
                            worker: worker.name,
                        }),
                        triggers: [controlNode.instance.instanceId, worker.instance.instanceId],
                        after: [],
                        deleteFirst: true,
                    };
                }
                case "return":
                    return {
                        on: connectionTo(worker),
                        create: steps.returnToPool({
                            worker: worker.name,
                            imageTag,
                            healthTimeoutSeconds: args.healthTimeoutSeconds,
                        }),
                        triggers: [worker.instance.instanceId],
                        after: [],
                    };
                default:
                    throw new Error(`release step ${link.id} is not part of the chain`);
            }
        };

        const declared = new Map<string, pulumi.Resource>();
        const chain = steps.releaseChain(
            args.workers.map((w) => w.name),
            args.batchSize,
        );
        for (const link of chain) {
            const spec = stepOf(link);
            const before = link.after.map((id) => declared.get(id)!);
            declared.set(link.id, step(link.id, { ...spec, after: [...before, ...spec.after] }));
        }

        this.registerOutputs({ imageTag });
    }
}

interface Step {
    readonly on: ReturnType<typeof sshConnection>;
    readonly create: pulumi.Input<string>;
    readonly delete?: string;
    /** Secret input: it reaches the command's stdin and no log. */
    readonly stdin?: pulumi.Input<string>;
    /** Beside the tag: the instances the step runs on or for. */
    readonly triggers: pulumi.Input<string>[];
    readonly after: pulumi.Resource[];
    readonly deleteFirst?: boolean;
}

interface BuilderValues {
    readonly builder: string;
    readonly registryHost: string;
    readonly registryUser: string;
    readonly stagingServerIp: string;
}

/** Bounds beside the scripts' own: a pull of a large image, a worker's health timeout, a destroy. */
const TIMEOUTS: pulumi.CustomTimeouts = { create: "40m", update: "40m", delete: "5m" };
