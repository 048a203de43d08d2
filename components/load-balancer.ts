import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_CHECK } from "./health";

// Kept here too: the load balancer is where the check is declared.
export { HEALTH_CHECK };

export interface LoadBalancerArgs {
    readonly region: string;
    /** The workers behind it. */
    readonly instances: readonly gcp.compute.Instance[];
}

/** One external address for the site on port 80, sending only to workers whose /healthz answers 200. */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly ip: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:LoadBalancer", name, {}, opts);

        const check = new gcp.compute.HttpHealthCheck(
            `${name}-health`,
            {
                name: `${name}-health`,
                requestPath: HEALTH_CHECK.path,
                port: HEALTH_CHECK.port,
                checkIntervalSec: HEALTH_CHECK.intervalSeconds,
                timeoutSec: HEALTH_CHECK.timeoutSeconds,
                healthyThreshold: HEALTH_CHECK.healthyThreshold,
                unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
            },
            { parent: this },
        );
        const pool = new gcp.compute.TargetPool(
            `${name}-pool`,
            {
                name: `${name}-pool`,
                region: args.region,
                instances: args.instances.map((instance) => instance.selfLink),
                healthChecks: check.name,
            },
            { parent: this },
        );
        const address = new gcp.compute.Address(
            `${name}-ip`,
            { name: `${name}-ip`, region: args.region, addressType: "EXTERNAL" },
            { parent: this },
        );
        new gcp.compute.ForwardingRule(
            `${name}-http`,
            {
                name: `${name}-http`,
                region: args.region,
                ipProtocol: "TCP",
                portRange: "80",
                ipAddress: address.address,
                target: pool.selfLink,
                loadBalancingScheme: "EXTERNAL",
            },
            { parent: this },
        );

        this.ip = address.address;
        this.registerOutputs({ ip: this.ip });
    }
}
