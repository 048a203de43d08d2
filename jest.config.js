/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: [
        "<rootDir>/components",
        "<rootDir>/render",
        "<rootDir>/units",
        "<rootDir>/cloud-config",
        "<rootDir>/.github",
        "<rootDir>/cluster",
        "<rootDir>/harness",
    ],
    // The end-to-end harness needs root and Docker: `npm run e2e` runs it on its own.
    testPathIgnorePatterns: ["/node_modules/", "\\.e2e\\.test\\.ts$"],
    testTimeout: 120000,
};
