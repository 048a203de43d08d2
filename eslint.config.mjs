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
        // The jest configs are CommonJS (module.exports), read by jest as they are.
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs" },
    },
);
