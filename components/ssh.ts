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

export function connectionTo(target: SshTarget) {
    return {
        host: target.externalIp,
        user: "core",
        privateKey: target.operatorKey.privateKeyOpenssh,
        hostKey: publicKeyLine(target.hostKey),
        ...DIAL,
    };
}

/** The known_hosts line of a machine, for ssh and fleetctl on the operator's side. */
export function knownHostsLine(target: SshTarget): pulumi.Output<string> {
    return pulumi.interpolate`${target.externalIp} ${publicKeyLine(target.hostKey)}`;
}
