/** The accuracy suite: real labelled photos from ../shared/faces (run by .ci/run, not by npm test). */
module.exports = {
  testEnvironment: '<rootDir>/test/onnx-environment.js',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['<rootDir>/test/accuracy/**/*.test.ts'],
  testTimeout: 600000,
};
