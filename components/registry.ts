import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

export const REGISTRY_PORT = 5000;
export const REGISTRY_USER = "release";

export interface RegistryCredentialsArgs {
    /** The registry's internal address; its certificate carries it as an IP SAN. */
    readonly ip: string;
}

/**
 * What the private registry needs to serve TLS with basic auth: a CA (trusted by every docker
 * host of both stacks), the registry's certificate for its IP, and one user with a generated
 * password, stored bcrypt-hashed in htpasswd.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
    readonly host: string;
    readonly caCertPem: pulumi.Output<string>;
    readonly certPem: pulumi.Output<string>;
    readonly keyPem: pulumi.Output<string>;
    readonly password: pulumi.Output<string>;
    readonly htpasswd: pulumi.Output<string>;

    constructor(
        name: string,
        args: RegistryCredentialsArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("coreos-cluster:index:RegistryCredentials", name, {}, opts);

        this.host = `${args.ip}:${REGISTRY_PORT}`;
        const caKey = new tls.PrivateKey(
            `${name}-ca-key`,
            { algorithm: "ECDSA", ecdsaCurve: "P256" },
            { parent: this },
        );
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: 10 * 365 * 24,
                allowedUses: ["cert_signing", "crl_signing"],
                subject: { commonName: `${name} CA`, organization: "coreos-cluster" },
            },
            { parent: this },
        );
        const key = new tls.PrivateKey(
            `${name}-key`,
            { algorithm: "ECDSA", ecdsaCurve: "P256" },
            { parent: this },
        );
        const request = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                ipAddresses: [args.ip],
                subject: { commonName: args.ip },
            },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 5 * 365 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            { parent: this },
        );
        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            { parent: this },
        );

        this.caCertPem = ca.certPem;
        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.password = pulumi.secret(password.result);
        this.htpasswd = pulumi.secret(
            pulumi.interpolate`${REGISTRY_USER}:${password.bcryptHash}\n`,
        );

        this.registerOutputs({ host: this.host, caCertPem: this.caCertPem });
    }
}
