import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { publicKeyLine } from "./keys";

/** A machine as a remote command reaches it: always as core, always with its pinned host key. */
export interface SshTarget {
    readonly name: string;
    readonly instance: gcp.compute.Instance;
    readonly externalIp: pulumi.Output<string>;
    readonly hostKey: tls.PrivateKey;
    readonly operatorKey: tls.PrivateKey;
}

/** A fresh VM refuses SSH for a while: dial for up to about ten minutes before failing. */
export const DIAL = { dialErrorLimit: 40, perDialTimeout: 15 } as const;

/**
 * For a machine that the step before has just reached: a delete command with this dial gives up
 * within a minute when the machine is gone, instead of ten.
 */
export const DIAL_REACHED = { dialErrorLimit: 4, perDialTimeout: 15 } as const;

export interface SshEndpoint {
    readonly host: pulumi.Input<string>;
    readonly privateKey: pulumi.Input<string>;
    /** The pinned host key, as an OpenSSH public key line. */
    readonly hostKey: pulumi.Input<string>;
}

export interface Dial {
    readonly dialErrorLimit: number;
    readonly perDialTimeout: number;
}

/** A connection as core, checking the pinned host key. */
export function sshConnection(endpoint: SshEndpoint, dial: Dial = DIAL) {
    return {
        host: endpoint.host,
        user: "core",
        privateKey: endpoint.privateKey,
        hostKey: endpoint.hostKey,
        ...dial,
    };
}

export function connectionTo(target: SshTarget, dial: Dial = DIAL) {
    return sshConnection(
        {
            host: target.externalIp,
            privateKey: target.operatorKey.privateKeyOpenssh,
            hostKey: publicKeyLine(target.hostKey),
        },
        dial,
    );
}

/** The known_hosts line of a machine, for ssh and fleetctl on the operator's side. */
export function knownHostsLine(target: SshTarget): pulumi.Output<string> {
    return pulumi.interpolate`${target.externalIp} ${publicKeyLine(target.hostKey)}`;
}
