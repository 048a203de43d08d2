/** The local end-to-end harness (`npm run e2e`): real machines in containers, one test file at a time. */
/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    rootDir: "..",
    roots: ["<rootDir>/harness"],
    testMatch: ["**/*.e2e.test.ts"],
    maxWorkers: 1,
    testTimeout: 30 * 60 * 1000,
};
