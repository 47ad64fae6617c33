/** Unit and integration tests: everything `npm test` runs. Needs no ../shared. */
module.exports = {
  testEnvironment: '<rootDir>/test/onnx-environment.js',
  setupFiles: ['<rootDir>/test/setupEnv.js'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // @middy/core is ESM-only; jest's CommonJS runtime needs it transpiled (Node and esbuild load it as is).
    '/node_modules/@middy/.+\\.js$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
  testTimeout: 60000,
  // Jest's default leaves a core to its parent, which only collects results: on a 2-core machine that
  // runs the suite in one process, at half the machine.
  maxWorkers: '100%',
  testSequencer: '<rootDir>/test/sequencer.js',
};
