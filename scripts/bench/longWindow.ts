/**
 * Part 4c: a 10-year window over a store holding one week of history (issue 11: "a window of 10 years
 * over a store with a week of data answers in well under a second"), the week's segments built: the
 * first search of the window on a freshly started local server (its models loaded by one search outside
 * the window first), then again with the caches emptied.
 */
import { BUCKET_MS } from '../../functions/core/timeWindow';
import type { StoredEvent } from '../../functions/store/types';
import { near, randomUnit, syntheticEvent } from '../seed/synthetic';
import { seededServer, windowSearch } from './seededServer';
import { type Summary, summarize } from './stats';

const WEEK_END_MS = Date.UTC(2026, 0, 15, 10);
const HOURS = 7 * 24;
const YEAR_MS = 365.25 * 86_400_000;
const SEED_VERSION = 1;

export interface LongWindowFigures {
  events: number;
  hours: number;
  /** The first search in the window after the server restarted (caches empty, segments built). */
  restartedMs: number;
  restartedFaceMs: number;
  restartedScanMs: number;
  /** Later searches with the caches emptied first. */
  coldMs: Summary;
  recordsExamined: number;
}

/**
 * Seeds (or reuses) `perHour` events in each hour of one week under `dataDir`, builds the week's
 * segments, then restarts the server and searches the 10 years that end with the week.
 */
export async function benchLongWindow(opts: {
  photo: Buffer;
  query: Float32Array;
  perHour: number;
  dataDir: string;
  coldRuns: number;
  dropCaches: () => void;
}): Promise<LongWindowFigures> {
  const spec = { version: SEED_VERSION, perHour: opts.perHour, end: WEEK_END_MS, hours: HOURS };
  const server = await seededServer(opts.dataDir, spec, async (seeding) => {
    const lastHour = WEEK_END_MS / BUCKET_MS - 1;
    let n = 0;
    for (let h = lastHour - HOURS + 1; h <= lastHour; h++) {
      const batch: StoredEvent[] = [];
      for (let i = 0; i < opts.perHour; i++) {
        const ts = h * BUCKET_MS + Math.floor((i * BUCKET_MS) / opts.perHour);
        const v = i === 0 && h % 24 === 0 ? near(opts.query, 0.5) : randomUnit();
        batch.push(syntheticEvent(ts, `cam-${i % 8}`, v, {}, `week-${String(n++).padStart(7, '0')}`));
      }
      await seeding.services.events.putMany(batch, { pointers: false });
    }
    await seeding.compactor.run({ first: lastHour - HOURS + 1, last: lastHour });
  });
  try {
    // The models load on the first search: one over an empty stretch, so the window's is cold.
    await windowSearch(server, opts.photo, WEEK_END_MS + YEAR_MS, WEEK_END_MS + YEAR_MS + 1000);
    const first = await windowSearch(server, opts.photo, WEEK_END_MS - 10 * YEAR_MS, WEEK_END_MS);
    const cold: number[] = [];
    for (let i = 0; i < opts.coldRuns; i++) {
      opts.dropCaches();
      cold.push(
        (await windowSearch(server, opts.photo, WEEK_END_MS - 10 * YEAR_MS, WEEK_END_MS)).total_time * 1000,
      );
    }
    return {
      events: opts.perHour * HOURS,
      hours: HOURS,
      restartedMs: first.total_time * 1000,
      restartedFaceMs: first.timings.face_ms,
      restartedScanMs: first.timings.scan_ms,
      coldMs: summarize(cold),
      recordsExamined: first.records_examined,
    };
  } finally {
    await server.close();
  }
}
