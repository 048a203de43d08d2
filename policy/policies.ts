// The rules of rules.ts as Pulumi resource policies; index.ts serves them as a policy pack.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { RULES, Rule } from "./rules";

export function resourcePolicy(rule: Rule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (!rule.types.includes(args.type)) return;
            for (const problem of rule.check(args.props, args.type))
                reportViolation(`${args.name}: ${problem}`);
        },
    };
}

export const POLICIES: ResourceValidationPolicy[] = RULES.map(resourcePolicy);
