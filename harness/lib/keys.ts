// The keys, host keys, CA, registry certificate and htpasswd of one harness run, made with
// ssh-keygen, openssl and htpasswd in the run's temp folder, as the stack makes them at deploy
// time. Nothing here is ever committed or logged.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { REGISTRY_USER } from "../../components/registry";
import { must } from "./process";

export interface KeyPair {
    /** Path of the private half. */
    readonly privateKeyFile: string;
    /** The public half as one authorized_keys / known_hosts line, without a comment. */
    readonly publicKey: string;
}

export interface RunKeys {
    readonly dir: string;
    /** The operator's key, for user core everywhere. */
    readonly operator: KeyPair;
    /** The docker-builder's key for rsync from the staging web server. */
    readonly builderRsync: KeyPair;
    /** The fleetctl double's key on the control node, for core on the workers. */
    readonly fleetDouble: KeyPair;
    readonly hostKeys: ReadonlyMap<string, KeyPair>;
    /** known_hosts with every machine under its name and its address. */
    readonly knownHostsFile: string;
    readonly knownHosts: string;
    readonly caCert: string;
    readonly registryCert: string;
    readonly registryKey: string;
    readonly registryPassword: string;
    readonly registryHtpasswd: string;
}

async function keyPair(file: string, comment: string): Promise<KeyPair> {
    await must(`ssh-keygen ${path.basename(file)}`, "ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        comment,
        "-f",
        file,
    ]);
    const [type, body] = fs.readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/);
    return { privateKeyFile: file, publicKey: `${type} ${body}` };
}

/** Makes every key of a run for the given machines (name to address) and the registry's address. */
export async function makeKeys(
    dir: string,
    machines: ReadonlyMap<string, string>,
    registryIp: string,
): Promise<RunKeys> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const operator = await keyPair(path.join(dir, "operator"), "harness-operator");
    const builderRsync = await keyPair(path.join(dir, "builder-rsync"), "harness-docker-builder");
    const fleetDouble = await keyPair(path.join(dir, "fleet-double"), "harness-fleetctl-double");
    const hostKeys = new Map<string, KeyPair>();
    for (const machine of machines.keys()) {
        hostKeys.set(machine, await keyPair(path.join(dir, `host-${machine}`), machine));
    }
    const knownHosts = [...machines]
        .map(([machine, ip]) => `${machine},${ip} ${hostKeys.get(machine)!.publicKey}\n`)
        .join("");
    const knownHostsFile = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsFile, knownHosts);

    const file = (name: string) => path.join(dir, name);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await must("openssl CA", "openssl", [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        file("ca.key"),
        "-out",
        file("ca.crt"),
        "-days",
        "2",
        "-subj",
        "/O=coreos-cluster harness/CN=harness CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await must("openssl registry request", "openssl", [
        "req",
        "-new",
        ...ec,
        "-keyout",
        file("registry.key"),
        "-out",
        file("registry.csr"),
        "-subj",
        `/CN=${registryIp}`,
    ]);
    fs.writeFileSync(
        file("registry.ext"),
        `subjectAltName=IP:${registryIp}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    await must("openssl registry certificate", "openssl", [
        "x509",
        "-req",
        "-in",
        file("registry.csr"),
        "-CA",
        file("ca.crt"),
        "-CAkey",
        file("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        file("registry.ext"),
        "-out",
        file("registry.crt"),
    ]);

    const registryPassword = crypto.randomBytes(24).toString("base64url");
    const registryHtpasswd = await must("htpasswd", "htpasswd", ["-niB", REGISTRY_USER], {
        input: `${registryPassword}\n`,
    });
    return {
        dir,
        operator,
        builderRsync,
        fleetDouble,
        hostKeys,
        knownHostsFile,
        knownHosts,
        caCert: fs.readFileSync(file("ca.crt"), "utf8"),
        registryCert: fs.readFileSync(file("registry.crt"), "utf8"),
        registryKey: fs.readFileSync(file("registry.key"), "utf8"),
        registryPassword,
        registryHtpasswd: `${registryHtpasswd.trim()}\n`,
    };
}
