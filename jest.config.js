/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/components", "<rootDir>/render", "<rootDir>/units", "<rootDir>/cloud-config", "<rootDir>/.github", "<rootDir>/cluster"],
    testTimeout: 120000,
};
