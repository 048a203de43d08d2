// `pulumi preview --policy-pack policy`: the coreos-cluster guard rails, enforced (see rules.ts).
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("coreos-cluster", { policies: POLICIES });
