import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as path from "path";
import { ClusterConfig } from "./config";
import { ClusterKeys, publicKeyLine } from "./keys";
import { accessOutputs, declareMachines } from "./cluster-machines";
import { Network } from "./network";
import { REGISTRY_USER, RegistryCredentials } from "./registry";
import { StagingSite } from "./staging-site";
import { REPO_ROOT } from "./userdata";

/**
 * The staging cluster: a control node (etcd, fleet), the staging and test web servers, and the
 * builder with the private registry whose images prod runs.
 */
export class StagingCluster extends pulumi.ComponentResource {
    readonly outputs: Record<string, pulumi.Output<unknown> | string>;

    constructor(name: string, config: ClusterConfig, opts?: pulumi.ComponentResourceOptions) {
        super("coreos-cluster:index:StagingCluster", name, {}, opts);

        const machine = (role: string) => config.machines.find((m) => m.role === role)!;
        const stagingServer = config.machines.find((m) => m.name === `${name}-staging1`)!;
        const builder = machine("builder");

        const network = new Network(
            name,
            {
                region: config.region,
                subnetCidr: config.subnetCidr,
                sshSourceRanges: config.sshSourceRanges,
                registryClientRanges: config.registryClientRanges,
                healthChecked: false,
            },
            { parent: this },
        );
        const keys = new ClusterKeys(
            name,
            { machines: config.machines.map((m) => m.name) },
            { parent: this },
        );
        const builderKey = new tls.PrivateKey(
            `${builder.name}-rsync-key`,
            { algorithm: "ED25519" },
            { parent: this },
        );
        const registry = new RegistryCredentials(
            `${name}-registry`,
            { ip: builder.internalIp! },
            { parent: this },
        );
        const registryDisk = new gcp.compute.Disk(
            `${name}-registry-data`,
            {
                name: `${name}-registry-data`,
                zone: builder.zone,
                size: config.registryDiskSizeGb,
                type: "pd-balanced",
            },
            // Rollback serves old images from this disk.
            { parent: this, protect: true },
        );

        const machines = declareMachines(
            {
                config,
                subnetwork: network.subnetwork,
                keys,
                extraAuthorizedKeys: new Map([[stagingServer.name, publicKeyLine(builderKey)]]),
                registryHost: registry.host,
                registryCaCert: registry.caCertPem,
                builderMaterial: pulumi
                    .all([
                        registry.certPem,
                        registry.keyPem,
                        registry.htpasswd,
                        builderKey.privateKeyOpenssh,
                        publicKeyLine(keys.hostKey(stagingServer.name)),
                    ])
                    .apply(
                        ([
                            registryCert,
                            registryKey,
                            registryHtpasswd,
                            privateKey,
                            stagingHostKey,
                        ]) => ({
                            registryCert,
                            registryKey,
                            registryHtpasswd,
                            privateKey,
                            knownHosts: `${stagingServer.internalIp} ${stagingHostKey}\n`,
                        }),
                    ),
                dataDisk: { disk: registryDisk, deviceName: "registry-data" },
            },
            this,
        );
        const byName = (machineName: string) => machines.find((m) => m.name === machineName)!;

        new StagingSite(
            `${name}-site`,
            { siteDir: path.join(REPO_ROOT, "website"), server: byName(stagingServer.name) },
            { parent: this, dependsOn: [byName(stagingServer.name).ready] },
        );

        const access = accessOutputs(pulumi.getStack(), keys.operatorKey, machines);
        this.outputs = {
            ...access,
            networkName: network.network.name,
            networkSelfLink: network.network.selfLink,
            subnetCidr: config.subnetCidr,
            registryHost: registry.host,
            registryCaCert: registry.caCertPem,
            registryUser: REGISTRY_USER,
            registryPassword: registry.password,
            builderName: builder.name,
            builderInstanceId: byName(builder.name).instance.instanceId,
            builderInternalIp: builder.internalIp!,
            builderExternalIp: byName(builder.name).externalIp,
            builderHostKey: publicKeyLine(keys.hostKey(builder.name)),
            staging1InternalIp: stagingServer.internalIp!,
            staging1ExternalIp: byName(stagingServer.name).externalIp,
            staging1HostKey: publicKeyLine(keys.hostKey(stagingServer.name)),
            stagingUrl: pulumi.interpolate`http://${byName(stagingServer.name).externalIp}/`,
        };
        this.registerOutputs(this.outputs);
    }
}
