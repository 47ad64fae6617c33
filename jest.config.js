/** Unit and integration tests: everything `npm test` runs. Needs no ../shared. */
module.exports = {
  testEnvironment: '<rootDir>/test/onnx-environment.js',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
  testTimeout: 60000,
};
