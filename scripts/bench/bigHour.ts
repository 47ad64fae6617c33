/**
 * Part 4d: one hour of 150,000 events (issue 11: "hours with 100k+ events"), compacted into one object
 * of pieces: cold searches (caches emptied) of a 1-minute window and of the whole hour (the contract's
 * 50,000-record cap), with the records each read.
 */
import { encodeEmbedding } from '../../functions/core/embeddingCodec';
import { BUCKET_MS } from '../../functions/core/timeWindow';
import type { StoredEvent } from '../../functions/store/types';
import { randomUnit, syntheticEvent } from '../seed/synthetic';
import { seededServer, type WindowSearch, windowSearch } from './seededServer';
import { type Summary, summarize } from './stats';

const HOUR_START = Date.UTC(2026, 0, 20, 10);
const EVENTS = 150_000;
const SEED_VERSION = 1;

export interface BigHourFigures {
  events: number;
  /** A 1-minute window (2,500 events) in the middle of the hour, caches emptied. */
  minuteMs: Summary;
  minuteRecordsRead: number;
  minuteRecordsExamined: number;
  /** The whole hour (stops at the 50,000-record cap), caches emptied. */
  hourMs: Summary;
  hourRecordsRead: number;
  hourRecordsExamined: number;
}

/** Seeds (or reuses) the hour under `dataDir`, compacts it, restarts the server and searches it cold. */
export async function benchBigHour(opts: {
  photo: Buffer;
  dataDir: string;
  coldRuns: number;
  dropCaches: () => void;
}): Promise<BigHourFigures> {
  const spec = { version: SEED_VERSION, events: EVENTS, start: HOUR_START };
  const hour = HOUR_START / BUCKET_MS;
  const server = await seededServer(opts.dataDir, spec, async (seeding) => {
    // Codes from a pool: encoding 150,000 vectors costs more than the bench measures.
    const pool = Array.from({ length: 500 }, () => encodeEmbedding(randomUnit()));
    for (let start = 0; start < EVENTS; start += 5000) {
      const batch: StoredEvent[] = [];
      for (let i = start; i < start + 5000; i++) {
        const ts = HOUR_START + Math.floor((i * BUCKET_MS) / EVENTS);
        batch.push(
          syntheticEvent(ts, `cam-${i % 4}`, pool[i % 500], {}, `big-${String(i).padStart(6, '0')}`),
        );
      }
      await seeding.services.events.putMany(batch, { pointers: false });
    }
    await seeding.compactor.run({ first: hour, last: hour });
  });
  try {
    // The models load on the first search: one over an empty stretch.
    await windowSearch(server, opts.photo, HOUR_START - 2 * BUCKET_MS, HOUR_START - BUCKET_MS);
    const minute = { from: HOUR_START + 30 * 60_000, to: HOUR_START + 31 * 60_000 - 1 };
    const minuteMs: number[] = [];
    const hourMs: number[] = [];
    let m: WindowSearch | undefined;
    let h: WindowSearch | undefined;
    for (let i = 0; i < opts.coldRuns; i++) {
      opts.dropCaches();
      m = await windowSearch(server, opts.photo, minute.from, minute.to);
      minuteMs.push(m.total_time * 1000);
      opts.dropCaches();
      h = await windowSearch(server, opts.photo, HOUR_START, HOUR_START + BUCKET_MS - 1);
      hourMs.push(h.total_time * 1000);
    }
    return {
      events: EVENTS,
      minuteMs: summarize(minuteMs),
      minuteRecordsRead: m!.records_read,
      minuteRecordsExamined: m!.records_examined,
      hourMs: summarize(hourMs),
      hourRecordsRead: h!.records_read,
      hourRecordsExamined: h!.records_examined,
    };
  } finally {
    await server.close();
  }
}
