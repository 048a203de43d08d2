import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Network tags; firewall rules target them, one rule per purpose. */
export function networkTags(prefix: string) {
    return {
        node: `${prefix}-node`,
        control: `${prefix}-control`,
        web: `${prefix}-web`,
        registry: `${prefix}-registry`,
    } as const;
}

/** The sources of GCE's health checks, for the load balancer in front of the workers. */
export const HEALTH_CHECK_RANGES = [
    "35.191.0.0/16",
    "130.211.0.0/22",
    "209.85.152.0/22",
    "209.85.204.0/22",
];

export interface NetworkArgs {
    readonly region: string;
    readonly subnetCidr: string;
    /** Ranges allowed to reach SSH on every machine. */
    readonly sshSourceRanges: readonly string[];
    /** Ranges beside the subnet allowed to reach the registry; only a stack with a registry sets it. */
    readonly registryClientRanges?: readonly string[];
    /** Whether a load balancer checks the web servers' health. */
    readonly healthChecked: boolean;
}

/**
 * A stack's VPC, its one subnet and its firewall. From the internet only SSH (from the configured
 * ranges) and HTTP to web servers are open; etcd (which fleet also uses) and the registry are
 * reachable only from private ranges.
 */
export class Network extends pulumi.ComponentResource {
    readonly network: gcp.compute.Network;
    readonly subnetwork: gcp.compute.Subnetwork;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:Network", name, {}, opts);

        const tags = networkTags(name);
        this.network = new gcp.compute.Network(
            `${name}-net`,
            { name: `${name}-net`, autoCreateSubnetworks: false },
            { parent: this },
        );
        this.subnetwork = new gcp.compute.Subnetwork(
            `${name}-subnet`,
            {
                name: `${name}-subnet`,
                region: args.region,
                network: this.network.id,
                ipCidrRange: args.subnetCidr,
            },
            { parent: this },
        );

        const allow = (
            purpose: string,
            ports: string[],
            sourceRanges: readonly string[],
            targetTag: string,
        ) =>
            new gcp.compute.Firewall(
                `${name}-allow-${purpose}`,
                {
                    name: `${name}-allow-${purpose}`,
                    network: this.network.id,
                    direction: "INGRESS",
                    allows: [{ protocol: "tcp", ports }],
                    sourceRanges: [...sourceRanges],
                    targetTags: [targetTag],
                },
                { parent: this },
            );

        allow("ssh", ["22"], args.sshSourceRanges, tags.node);
        // The builder fetches the staging site over SSH, inside the subnet.
        allow("internal-ssh", ["22"], [args.subnetCidr], tags.node);
        allow("http", ["80"], ["0.0.0.0/0"], tags.web);
        if (args.healthChecked) allow("health-checks", ["80"], HEALTH_CHECK_RANGES, tags.web);
        allow("etcd", ["2379", "2380"], [args.subnetCidr], tags.control);
        if (args.registryClientRanges) {
            allow(
                "registry",
                ["5000"],
                [args.subnetCidr, ...args.registryClientRanges],
                tags.registry,
            );
        }

        this.registerOutputs({});
    }
}
