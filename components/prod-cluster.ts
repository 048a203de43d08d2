import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "./config";
import { ClusterKeys } from "./keys";
import { accessOutputs, declareMachines } from "./cluster-machines";
import { LoadBalancer } from "./load-balancer";
import { Network } from "./network";
import { Release } from "./release";
import { WEBSITE1_BASE_IMAGE } from "./versions";

/**
 * The prod cluster: control node(s) and the web workers behind one load balancer, its network
 * peered with staging's so the workers reach the registry. Workers are created, and replaced, one
 * at a time.
 */
export class ProdCluster extends pulumi.ComponentResource {
    readonly outputs: Record<string, pulumi.Output<unknown> | string>;

    constructor(name: string, config: ClusterConfig, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:ProdCluster", name, {}, opts);

        const staging = new pulumi.StackReference(config.stagingStack, {}, { parent: this });
        const fromStaging = (output: string) =>
            staging.requireOutput(output) as pulumi.Output<string>;
        const stagingNetwork = fromStaging("networkSelfLink");

        const network = new Network(
            name,
            {
                region: config.region,
                subnetCidr: config.subnetCidr,
                sshSourceRanges: config.sshSourceRanges,
                healthChecked: true,
            },
            { parent: this },
        );
        const toStaging = new gcp.compute.NetworkPeering(
            `${name}-to-staging`,
            {
                name: `${name}-to-staging`,
                network: network.network.selfLink,
                peerNetwork: stagingNetwork,
            },
            { parent: this },
        );
        // GCE refuses two peering changes on one network at once.
        const fromStagingPeering = new gcp.compute.NetworkPeering(
            `staging-to-${name}`,
            {
                name: `staging-to-${name}`,
                network: stagingNetwork,
                peerNetwork: network.network.selfLink,
            },
            { parent: this, dependsOn: [toStaging] },
        );

        const keys = new ClusterKeys(
            name,
            { machines: config.machines.map((m) => m.name) },
            { parent: this },
        );
        const machines = declareMachines(
            {
                config,
                subnetwork: network.subnetwork,
                keys,
                registryHost: fromStaging("registryHost"),
                registryCaCert: fromStaging("registryCaCert"),
                oneAtATime: "worker",
            },
            this,
        );
        const workers = machines.filter((m) => m.plan.role === "worker");
        const site = new LoadBalancer(
            `${name}-site`,
            { region: config.region, instances: workers.map((w) => w.instance) },
            { parent: this },
        );

        new Release(
            `${name}-release`,
            {
                imageTag: config.imageTag,
                batchSize: config.releaseBatchSize,
                healthTimeoutSeconds: config.releaseHealthTimeout,
                baseImage: WEBSITE1_BASE_IMAGE,
                registry: {
                    host: fromStaging("registryHost"),
                    user: fromStaging("registryUser"),
                    password: pulumi.secret(fromStaging("registryPassword")),
                },
                builder: {
                    name: fromStaging("builderName"),
                    instanceId: fromStaging("builderInstanceId"),
                    host: fromStaging("builderExternalIp"),
                    privateKey: pulumi.secret(fromStaging("sshPrivateKey")),
                    hostKey: fromStaging("builderHostKey"),
                },
                stagingServerIp: fromStaging("staging1InternalIp"),
                controlNode: machines.find((m) => m.plan.role === "control")!,
                workers,
                // The rolls time their waits by the load balancer's check, so it must exist first.
                pullsAfter: [toStaging, fromStagingPeering, site],
            },
            { parent: this },
        );

        this.outputs = {
            ...accessOutputs(pulumi.getStack(), keys.operatorKey, machines),
            siteUrl: pulumi.interpolate`http://${site.ip}/`,
            siteIp: site.ip,
            workerExternalIps: pulumi.all(
                Object.fromEntries(workers.map((w) => [w.name, w.externalIp])),
            ),
            websiteUrls: pulumi.all(
                workers.map((w) => pulumi.interpolate`http://${w.externalIp}/`),
            ),
            imageTag: config.imageTag,
        };
        this.registerOutputs(this.outputs);
    }
}
