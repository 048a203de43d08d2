import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface ClusterKeysArgs {
    /** Every machine of the stack; each gets its own SSH host key. */
    readonly machines: readonly string[];
}

/**
 * The SSH keys a stack generates at deploy time: the operator's key for user core and one host
 * key per machine, written by cloud-config and pinned by every client. Private halves are Pulumi
 * secrets in the state; the host keys also travel in the instances' user-data (README, Known limits).
 */
export class ClusterKeys extends pulumi.ComponentResource {
    readonly operatorKey: tls.PrivateKey;
    readonly hostKeys: ReadonlyMap<string, tls.PrivateKey>;

    constructor(name: string, args: ClusterKeysArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:ClusterKeys", name, {}, opts);

        this.operatorKey = new tls.PrivateKey(
            `${name}-operator`,
            { algorithm: "ED25519" },
            { parent: this },
        );
        this.hostKeys = new Map(
            args.machines.map((machine) => [
                machine,
                new tls.PrivateKey(
                    `${machine}-host-key`,
                    { algorithm: "ED25519" },
                    { parent: this },
                ),
            ]),
        );

        this.registerOutputs({});
    }

    hostKey(machine: string): tls.PrivateKey {
        const key = this.hostKeys.get(machine);
        if (!key) throw new Error(`no host key for ${machine}`);
        return key;
    }
}

/** An authorized_keys / known_hosts key without the trailing newline tls adds. */
export function publicKeyLine(key: tls.PrivateKey): pulumi.Output<string> {
    return key.publicKeyOpenssh.apply((text) => text.trim());
}
