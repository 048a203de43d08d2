// Test helper: runs a policy the way the policy pack's analyzer calls it, collecting violations.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

export function violations(
    policy: ResourceValidationPolicy,
    type: string,
    name: string,
    props: Record<string, unknown>,
): string[] {
    const reported: string[] = [];
    const args: ResourceValidationArgs = {
        type,
        props,
        urn: `urn:pulumi:test::coreos-cluster::${type}::${name}`,
        name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
    const validations = [policy.validateResource ?? []].flat();
    for (const validate of validations) validate(args, (message) => reported.push(message));
    return reported;
}
