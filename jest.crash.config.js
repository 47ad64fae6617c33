/** Crash tests (`npm run test:crash`): storage writes cut by SIGKILL in child processes. Run by .ci/run. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/crash/**/*.test.ts'],
  testTimeout: 600000,
  // Each test starts server processes of its own; in parallel they would only contend on 2 cores.
  maxWorkers: 1,
};
