import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Channel, MachinePlan } from "./config";
import { FLATCAR_IMAGE_PROJECT } from "./versions";

export interface MachineArgs {
    readonly plan: MachinePlan;
    /** The stack's name prefix, for labels. */
    readonly cluster: string;
    readonly region: string;
    readonly subnetwork: gcp.compute.Subnetwork;
    readonly channel: Channel;
    readonly bootDiskSizeGb: number;
    readonly tags: readonly string[];
    /** The #cloud-config; a secret, since it holds the machine's host key. */
    readonly userData: pulumi.Input<string>;
    /** A persistent disk to attach, seen by the machine as /dev/disk/by-id/google-<deviceName>. */
    readonly dataDisk?: { readonly disk: gcp.compute.Disk; readonly deviceName: string };
    /** Resources the instance waits for, such as the previous worker being ready. */
    readonly after?: readonly pulumi.Resource[];
}

/** Flatcar's GCE image family for a channel. */
export function flatcarImage(channel: Channel): string {
    return `projects/${FLATCAR_IMAGE_PROJECT}/global/images/family/flatcar-${channel}`;
}

/**
 * A Flatcar VM booting its cloud-config, with its reserved internal address (created first) and an
 * ephemeral external one.
 *
 * Flatcar reads cloud-config only at boot and GCE applies a metadata change in place, so a change
 * of user-data replaces the machine (its name and address are fixed, so the old one goes first).
 * A control node holds etcd's data: it is protected, and a change of its user-data stops the
 * preview instead of replacing it by surprise.
 */
export class Machine extends pulumi.ComponentResource {
    readonly instance: gcp.compute.Instance;
    readonly internalIp: pulumi.Output<string>;
    readonly externalIp: pulumi.Output<string>;

    constructor(name: string, args: MachineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:Machine", name, {}, opts);

        const { plan } = args;
        const address = plan.internalIp
            ? new gcp.compute.Address(
                  `${name}-ip`,
                  {
                      name: `${name}-ip`,
                      region: args.region,
                      subnetwork: args.subnetwork.id,
                      addressType: "INTERNAL",
                      address: plan.internalIp,
                  },
                  { parent: this },
              )
            : undefined;

        this.instance = new gcp.compute.Instance(
            name,
            {
                name,
                zone: plan.zone,
                machineType: plan.machineType,
                tags: [...args.tags],
                labels: { cluster: args.cluster, role: plan.role },
                bootDisk: {
                    initializeParams: {
                        image: flatcarImage(args.channel),
                        size: args.bootDiskSizeGb,
                        type: "pd-balanced",
                    },
                },
                attachedDisks: args.dataDisk
                    ? [{ source: args.dataDisk.disk.id, deviceName: args.dataDisk.deviceName }]
                    : [],
                networkInterfaces: [
                    {
                        subnetwork: args.subnetwork.id,
                        networkIp: address?.address,
                        accessConfigs: [{}],
                    },
                ],
                metadata: {
                    "user-data": args.userData,
                    "block-project-ssh-keys": "TRUE",
                    "enable-oslogin": "FALSE",
                },
                allowStoppingForUpdate: true,
            },
            {
                parent: this,
                dependsOn: [...(args.after ?? [])],
                replaceOnChanges: ["metadata"],
                deleteBeforeReplace: true,
                protect: plan.role === "control",
            },
        );

        this.internalIp = this.instance.networkInterfaces.apply((nics) => nics[0].networkIp ?? "");
        this.externalIp = this.instance.networkInterfaces.apply(
            (nics) => nics[0].accessConfigs?.[0]?.natIp ?? "",
        );

        this.registerOutputs({ internalIp: this.internalIp, externalIp: this.externalIp });
    }
}
