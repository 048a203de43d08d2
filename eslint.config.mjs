// One config for the program and the policy pack: policy/ is linted from here, nothing installed.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    {
        ignores: ["build/", "node_modules/", "coverage/", "policy/node_modules/", "policy/build/"],
    },
    js.configs.recommended,
    tseslint.configs.recommended,
    {
        // Tests and their helpers read parsed JSON and YAML, whose shape the assertions check.
        files: ["**/*.test.ts", "render/fixture.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    {
        // The jest configs are CommonJS (module.exports), read by jest as they are.
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs" },
    },
);
