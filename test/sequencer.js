/**
 * Jest's order on a clean clone (CI, a new checkout): the files known to be long first. Jest orders
 * by the durations it cached on earlier runs, and without them by file size, which on a clean clone
 * started the 150,000-event readBounds.test.ts 144 s into a 400 s run, its last minutes on one
 * worker while the other had nothing left. Once jest has its own timings, they win.
 */
const { default: Sequencer } = require('@jest/test-sequencer');
const { relative } = require('node:path');

/** Seconds each took in `npx jest --json` on 2 workers (2026-12-02, load ~4); the order is what counts. */
const KNOWN_SECONDS = {
  'test/integration/api/readBounds.test.ts': 164,
  'test/integration/api/paging.test.ts': 90,
  'test/integration/api/readPath.test.ts': 62,
  'test/integration/api/searchJobs.test.ts': 57,
  'test/integration/bundle/bundle.test.ts': 55,
  'test/integration/store/listing.test.ts': 47,
  'test/integration/faults/outage.test.ts': 35,
  'test/integration/hostile/hostile.test.ts': 27,
  'test/integration/load/load.test.ts': 25,
  'test/integration/api/security.test.ts': 25,
  'test/integration/store/segments.test.ts': 24,
  'test/unit/infra/nag.test.ts': 23,
  'test/integration/faults/atomicity.test.ts': 18,
  'test/integration/faults/throttling.test.ts': 16,
  'test/integration/face/engine.test.ts': 15,
};

class KnownFirstSequencer extends Sequencer {
  /**
   * Every file gets a duration: jest runs the files it has a duration for after all the others, so
   * estimating only the long ones would put them last. Others count as 0 until jest has timed them.
   */
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    return (KNOWN_SECONDS[relative(test.context.config.rootDir, test.path)] ?? 0) * 1000;
  }
}

module.exports = KnownFirstSequencer;
