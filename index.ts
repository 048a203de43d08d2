// coreos-cluster: the staging and prod clusters of CoreOS Essentials on GCE. One program, two
// stacks; the `cluster` setting says which one a stack builds.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, parseConfig } from "./components/config";
import { checkUserDataSizes } from "./components/machine-config";
import { ProdCluster } from "./components/prod-cluster";
import { StagingCluster } from "./components/staging-cluster";
import { FLEET_VERSION } from "./components/versions";

const settings = new pulumi.Config();
const config = parseConfig(Object.fromEntries(CONFIG_KEYS.map((key) => [key, settings.get(key)])));
// The longest registry address there can be, so the size check holds for any deployed one.
checkUserDataSizes(config, "255.255.255.255:65535");

if (config.fleetSha256 === "") {
    pulumi.log.warn(
        "fleetSha256 is not set: fleet is downloaded over HTTPS without a checksum. Pin it with " +
            `\`npx pulumi config set fleetSha256 "$(sha256sum fleet-${FLEET_VERSION}-linux-amd64.tar.gz | cut -d' ' -f1)" --stack ${pulumi.getStack()}\`.`,
    );
}

const cluster =
    config.cluster === "staging"
        ? new StagingCluster(config.namePrefix, config)
        : new ProdCluster(config.namePrefix, config);

export = cluster.outputs;
