/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>"],
    testPathIgnorePatterns: ["/node_modules/", "/build/"],
    testTimeout: 300000,
};
