/** End-to-end tests of the search console: a real local server, real Chromium (`npm run test:e2e`). */
const base = require('./jest.config.js');

module.exports = {
  // Same environment and transforms: the local server and its face engine run in the test process.
  ...base,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testTimeout: 120000,
  // One browser and one server at a time: the machine is small and others share it.
  maxWorkers: 1,
};
