// Pulumi mocks that stand in for the cloud: every value that exists only after a deploy becomes a
// fixed, marked placeholder, so two renders of the same input are identical.
import * as pulumi from "@pulumi/pulumi";

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function placeholder(kind: string, name: string): string {
    return `<deploy-time ${kind} of ${name}>`;
}

type State = Record<string, unknown>;

/** Outputs a resource of each type gets from its provider at deploy time. */
function computed(type: string, name: string, inputs: State, stackOutputs: State): State {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyOpenssh: `${placeholder("private key", name)}\n`,
                privateKeyPem: `${placeholder("private key", name)}\n`,
                publicKeyOpenssh: `ssh-ed25519 ${placeholder("public key", name).replace(/ /g, "_")}\n`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: `${placeholder("certificate", name)}\n` };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `${placeholder("certificate request", name)}\n` };
        case "random:index/randomPassword:RandomPassword":
            return {
                result: placeholder("password", name),
                bcryptHash: placeholder("bcrypt hash", name),
            };
        case "gcp:compute/instance:Instance": {
            const nics = (inputs.networkInterfaces as State[]).map((nic) => ({
                ...nic,
                networkIp: nic.networkIp ?? placeholder("internal IP", name),
                accessConfigs: [{ natIp: placeholder("external IP", name) }],
            }));
            return {
                networkInterfaces: nics,
                instanceId: placeholder("instance id", name),
                selfLink: selfLink("instances", name),
            };
        }
        case "gcp:compute/address:Address":
            return {
                address: inputs.address ?? placeholder("external IP", name),
                selfLink: selfLink("addresses", name),
            };
        case "gcp:compute/network:Network":
            return { selfLink: selfLink("networks", name) };
        case "pulumi:pulumi:StackReference":
            return { name: inputs.name, outputs: stackOutputs, secretOutputNames: [] };
        default:
            return { selfLink: selfLink(type.split(":").pop()!.toLowerCase(), name) };
    }
}

function selfLink(collection: string, name: string): string {
    return `<deploy-time self link of ${collection}/${name}>`;
}

/** Mocks whose resources echo their inputs plus the placeholders; `seen` receives every registration. */
export function cloudMocks(
    stackOutputs: State,
    seen: (type: string, name: string, inputs: State) => void,
): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            seen(args.type, args.name, args.inputs);
            const plain = unwrapSecrets(args.inputs) as State;
            return {
                id: `${args.name}-id`,
                state: { ...plain, ...computed(args.type, args.name, plain, stackOutputs) },
            };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    };
}

export function isSecretValue(value: unknown): value is { value: unknown } {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as State)[SECRET_SIG_KEY] === SECRET_SIG
    );
}

export function unwrapSecrets(value: unknown): unknown {
    if (isSecretValue(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Placeholders of private material; whatever holds one is shown as `[secret]`. */
const SECRET_PLACEHOLDER = /<deploy-time (private key|password|bcrypt hash) of /;

/**
 * A value as a reviewer may see it. Pulumi marks a whole property secret when any part of it is;
 * inside such a property only the strings that hold private material become `[secret]` (the
 * user-data, a connection's key), so the rest (a host, a pinned host key) stays reviewable. A
 * secret with no known private material inside is masked whole.
 */
export function maskSecrets(value: unknown): unknown {
    if (isSecretValue(value)) {
        const inner = unwrapSecrets(value.value);
        return holdsPrivateMaterial(inner) ? maskPrivateStrings(inner) : "[secret]";
    }
    if (Array.isArray(value)) return value.map(maskSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
    }
    return value;
}

function holdsPrivateMaterial(value: unknown): boolean {
    if (typeof value === "string") return SECRET_PLACEHOLDER.test(value);
    if (typeof value === "object" && value !== null)
        return Object.values(value).some(holdsPrivateMaterial);
    return false;
}

function maskPrivateStrings(value: unknown): unknown {
    if (typeof value === "string") return SECRET_PLACEHOLDER.test(value) ? "[secret]" : value;
    if (Array.isArray(value)) return value.map(maskPrivateStrings);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, maskPrivateStrings(v)]),
        );
    }
    return value;
}
