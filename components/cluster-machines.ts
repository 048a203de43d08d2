import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as gcp from "@pulumi/gcp";
import { ClusterConfig, MachinePlan, Role } from "./config";
import { waitUntilReady } from "./commands";
import { ClusterKeys, publicKeyLine } from "./keys";
import { DeployMaterial, machineUserData } from "./machine-config";
import { Machine } from "./machine";
import { networkTags } from "./network";
import { connectionTo, knownHostsLine, SshTarget } from "./ssh";

/** Network tags of a machine by role; firewall rules target them. */
export function machineTags(prefix: string, role: Role): string[] {
    const tags = networkTags(prefix);
    const byRole: Record<Role, string[]> = {
        control: [tags.control],
        web: [tags.web],
        builder: [tags.registry],
        worker: [tags.web],
    };
    return [tags.node, ...byRole[role]];
}

/** Units that must be active before a machine counts as ready. */
export const READY_UNITS: Record<Role, readonly string[]> = {
    control: ["etcd-member.service", "fleet.service"],
    web: ["website.service", "fleet.service"],
    builder: ["registry.service", "docker-builder.service", "fleet.service"],
    worker: ["fleet.service"],
};

export interface MachineSetArgs {
    readonly config: ClusterConfig;
    readonly subnetwork: gcp.compute.Subnetwork;
    readonly keys: ClusterKeys;
    /** Keys beside the operator's that may log in as core, by machine. */
    readonly extraAuthorizedKeys?: ReadonlyMap<string, pulumi.Output<string>>;
    readonly registryHost: pulumi.Input<string>;
    readonly registryCaCert: pulumi.Input<string>;
    readonly builderMaterial?: pulumi.Input<NonNullable<DeployMaterial["builder"]>>;
    /** Roles whose machines are created (and replaced) one after another, each ready first. */
    readonly oneAtATime?: Role;
    readonly dataDisk?: ConstructorParameters<typeof Machine>[1]["dataDisk"];
}

export interface ClusterMachine extends SshTarget {
    readonly plan: MachinePlan;
    readonly machine: Machine;
    readonly ready: command.remote.Command;
}

/**
 * Declares every machine of the plan with its user-data, and a readiness check on each. Machines of
 * the `oneAtATime` role wait for the previous one to be ready, so replacing them after a change of
 * user-data takes one down at a time.
 */
export function declareMachines(args: MachineSetArgs, parent: pulumi.Resource): ClusterMachine[] {
    const { config, keys } = args;
    const machines: ClusterMachine[] = [];
    let previous: command.remote.Command | undefined;

    for (const plan of config.machines) {
        const hostKey = keys.hostKey(plan.name);
        const extra = args.extraAuthorizedKeys?.get(plan.name);
        const material = pulumi
            .all([
                hostKey.privateKeyOpenssh,
                publicKeyLine(hostKey),
                publicKeyLine(keys.operatorKey),
                extra ?? "",
                args.registryHost,
                args.registryCaCert,
                plan.role === "builder" ? args.builderMaterial : undefined,
            ])
            .apply(
                ([
                    hostPrivateKey,
                    hostPublicKey,
                    operator,
                    extraKey,
                    registryHost,
                    registryCaCert,
                    builder,
                ]): DeployMaterial => ({
                    hostPrivateKey,
                    hostPublicKey: `${hostPublicKey}\n`,
                    authorizedKeys: [operator, extraKey].filter((k) => k !== ""),
                    registryHost,
                    registryCaCert,
                    builder,
                }),
            );
        const userData = pulumi.secret(material.apply((m) => machineUserData(config, plan, m)));
        // "Ready" is booted, not serving: a worker serves only after its own release steps, which
        // the next worker does not wait for (README, Known limits).
        const after = plan.role === args.oneAtATime && previous ? [previous] : [];

        const machine = new Machine(
            plan.name,
            {
                plan,
                cluster: config.namePrefix,
                region: config.region,
                subnetwork: args.subnetwork,
                channel: config.channel,
                bootDiskSizeGb: config.bootDiskSizeGb,
                tags: machineTags(config.namePrefix, plan.role),
                userData,
                dataDisk: plan.role === "builder" ? args.dataDisk : undefined,
                after,
            },
            { parent },
        );
        const target: SshTarget = {
            name: plan.name,
            instance: machine.instance,
            externalIp: machine.externalIp,
            hostKey,
            operatorKey: keys.operatorKey,
        };
        const ready = new command.remote.Command(
            `${plan.name}-ready`,
            {
                connection: connectionTo(target),
                create: waitUntilReady(plan.name, READY_UNITS[plan.role]),
                triggers: [machine.instance.instanceId],
            },
            { parent: machine },
        );
        if (plan.role === args.oneAtATime) previous = ready;
        machines.push({ ...target, plan, machine, ready });
    }
    return machines;
}

/** Stack outputs that give access to the machines (the book's set_cluster_access.sh). */
export function accessOutputs(
    stack: string,
    operatorKey: tls.PrivateKey,
    machines: readonly ClusterMachine[],
) {
    const keyFile = `~/.ssh/coreos-cluster-${stack}`;
    const knownHostsFile = `${keyFile}.known_hosts`;
    const control = machines.find((m) => m.plan.role === "control")!;
    return {
        sshPrivateKey: pulumi.secret(operatorKey.privateKeyOpenssh),
        knownHosts: pulumi
            .all(machines.map(knownHostsLine))
            .apply((lines) => `${lines.join("\n")}\n`),
        externalIps: pulumi.all(Object.fromEntries(machines.map((m) => [m.name, m.externalIp]))),
        sshCommands: pulumi.all(
            Object.fromEntries(
                machines.map((m) => [
                    m.name,
                    pulumi.interpolate`ssh -i ${keyFile} -o UserKnownHostsFile=${knownHostsFile} -o StrictHostKeyChecking=yes core@${m.externalIp}`,
                ]),
            ),
        ),
        controlExternalIp: control.externalIp,
        fleetctlTunnel: pulumi.interpolate`fleetctl --tunnel ${control.externalIp} --ssh-username core --known-hosts-file ${knownHostsFile} list-machines`,
    };
}
