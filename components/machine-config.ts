// What each machine's cloud-config is filled with. Pure: the program fills it with generated keys,
// the pre-flight size check and the render with stand-ins.
import * as crypto from "crypto";
import { ClusterConfig, MachinePlan } from "./config";
import { readRepoFile, renderUserData, TemplateValues } from "./userdata";
import { ETCD_VERSION, FLEET_VERSION, NGINX_IMAGE, REGISTRY_IMAGE } from "./versions";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const BUILDER_DOCKERFILE = "images/docker-builder/Dockerfile";

/** Values that exist only after a deploy: keys, certificates, the registry's address and secrets. */
export interface DeployMaterial {
    readonly hostPrivateKey: string;
    readonly hostPublicKey: string;
    readonly authorizedKeys: readonly string[];
    /** host:port of the registry every docker host trusts. */
    readonly registryHost: string;
    readonly registryCaCert: string;
    /** The builder's alone. */
    readonly builder?: {
        readonly registryCert: string;
        readonly registryKey: string;
        readonly registryHtpasswd: string;
        readonly privateKey: string;
        readonly knownHosts: string;
    };
}

export function controlNodes(config: ClusterConfig): MachinePlan[] {
    return config.machines.filter((m) => m.role === "control");
}

/** The etcd client URLs of the control nodes, which fleet and locksmith use everywhere. */
export function etcdEndpoints(config: ClusterConfig): string {
    return controlNodes(config)
        .map((m) => `http://${m.internalIp}:${ETCD_CLIENT_PORT}`)
        .join(",");
}

/** The exact user-data of one machine. */
export function machineUserData(
    config: ClusterConfig,
    machine: MachinePlan,
    material: DeployMaterial,
): string {
    const values: TemplateValues = {
        name: machine.name,
        role: machine.role,
        namePrefix: config.namePrefix,
        internalIp: machine.internalIp ?? "",
        authorizedKeys: material.authorizedKeys,
        hostPrivateKey: material.hostPrivateKey,
        hostPublicKey: material.hostPublicKey,
        etcdEndpoints: etcdEndpoints(config),
        etcdVersion: ETCD_VERSION,
        etcdInitialCluster: controlNodes(config)
            .map((m) => `${m.name}=http://${m.internalIp}:${ETCD_PEER_PORT}`)
            .join(","),
        fleetVersion: FLEET_VERSION,
        fleetSha256: config.fleetSha256,
        fleetMetadata: machine.fleetMetadata,
        nginxImage: NGINX_IMAGE,
        registryImage: REGISTRY_IMAGE,
        registryHost: material.registryHost,
        registryCaCert: material.registryCaCert,
        builderImageTag: builderImageTag(),
        ...(material.builder && {
            registryCert: material.builder.registryCert,
            registryKey: material.builder.registryKey,
            registryHtpasswd: material.builder.registryHtpasswd,
            builderPrivateKey: material.builder.privateKey,
            builderKnownHosts: material.builder.knownHosts,
        }),
    };
    return renderUserData(machine.name, machine.role, values);
}

/** The docker-builder image is rebuilt when its Dockerfile changes, and only then. */
export function builderImageTag(): string {
    return crypto
        .createHash("sha256")
        .update(readRepoFile(BUILDER_DOCKERFILE))
        .digest("hex")
        .slice(0, 12);
}

/** Stand-ins as large as the real material, to check every user-data's size before deploying. */
export function standInMaterial(registryHost: string): DeployMaterial {
    const text = (label: string, size: number) => `${label}:${"x".repeat(size)}\n`;
    return {
        hostPrivateKey: text("host-key", 512),
        hostPublicKey: text("ssh-ed25519", 100),
        authorizedKeys: [text("ssh-ed25519", 100).trim(), text("ssh-ed25519", 100).trim()],
        registryHost,
        registryCaCert: text("ca", 1024),
        builder: {
            registryCert: text("cert", 1024),
            registryKey: text("key", 512),
            registryHtpasswd: text("htpasswd", 80),
            privateKey: text("key", 512),
            knownHosts: text("known-hosts", 120),
        },
    };
}

/** Throws, naming the machine, when any user-data would exceed GCE's limit. */
export function checkUserDataSizes(config: ClusterConfig, registryHost: string): void {
    const material = standInMaterial(registryHost);
    for (const machine of config.machines) {
        machineUserData(
            config,
            machine,
            machine.role === "builder" ? material : { ...material, builder: undefined },
        );
    }
}
