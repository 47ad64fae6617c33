/**
 * The contract's caps and iteration at scale: 60,000 events written straight through the store
 * adapter (BatchWriteItem into dynalite) with synthetic embeddings planted around the query face's own
 * embedding, then searched over HTTP by a client that loops on endtimestamp in both directions.
 */
import { encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { getFaceEngine } from '../../../functions/face';
import { near, randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from './helpers';

// More than one call's 50,000 records, so every call but the last stops at the cap. (The 150,000-event
// hour of readBounds.test.ts checks the reads; this file checks what a client receives.)
const TOTAL = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 17); // an arbitrary window, away from "now"
const STEP_MS = 180; // ~3 h over 60k events: several hours, 4 shards each
let server: Awaited<ReturnType<typeof startTestServer>>;
let query: Buffer;
const expected = { reverse: [] as string[], forward: [] as string[] };

/** Timestamps with groups of 1–5 events sharing a millisecond (every page boundary lands near one). */
function timestampOf(i: number): number {
  return T0 + Math.floor(i / 3) * STEP_MS + (i % 3 === 2 ? 1 : 0);
}

beforeAll(async () => {
  // 60,000 events are 1 MB dynalite pages served on this process's own event loop: on a loaded CI
  // machine one can take longer than the 5 s hung-endpoint timeout without anything being hung.
  // A budget well past what a call takes here: the caps, not the budget, are what this test reaches.
  // RETENTION_DAYS: the window is months old, past the default retention a search keeps to.
  server = await startTestServer(
    {
      STORAGE_REQUEST_TIMEOUT_MS: '30000',
      SEARCH_BUDGET_MS: '60000',
      RETENTION_DAYS: '36500',
    },
    { tableInMemory: true },
  );
  const group = photo(2);
  query = await faceCrop(group, (await facesOf(group))[0]);
  const target = (await getFaceEngine().analyzeQuery(query, 'low')).embedding;
  let seed = 42;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  // Non-matching events draw from a pool of encoded random codes: the scan does not care that codes
  // repeat, and encoding 60,000 vectors inside jest's VM takes minutes.
  const pool = Array.from({ length: 2000 }, () => encodeEmbedding(randomUnit(random)));
  const matches: string[] = [];
  for (let start = 0; start < TOTAL; start += 5000) {
    const batch = [];
    for (let i = start; i < Math.min(TOTAL, start + 5000); i++) {
      // Sparse matches everywhere (~515 in 50,000 records), plus a dense run of 2,200 that overflows the
      // 1,000-result cap. The run sits 5,000 records from the end, so both caps are reached both ways:
      // forwards the first call stops at 50,000 records and the next in the run at 1,000 results;
      // backwards two calls stop in the run and the third, with what is left of it, at 50,000 records.
      const match = i % 97 === 0 || (i >= 55_000 && i < 57_200);
      const id = `p${String(i).padStart(6, '0')}`;
      batch.push(
        syntheticEvent(
          timestampOf(i),
          `cam-${i % 3}`,
          match ? near(target, 0.3, random) : pool[i % pool.length],
          {},
          id,
        ),
      );
      if (match) matches.push(id);
    }
    await server.services.events.putMany(batch, { pointers: false });
  }
  // Scan order: by (timestamp, id); ids are zero-padded so the same as generation order.
  expected.forward = matches;
  expected.reverse = [...matches].reverse();
}, 300_000);

afterAll(async () => {
  await server?.close();
});

async function iterate(reverse: boolean) {
  const seen: string[] = [];
  const calls: Array<{ examined: number; results: number; haveMore: boolean }> = [];
  let last: number | null = null;
  for (let i = 0; i < 20; i++) {
    const r = await post(`${server.url}/sophon/v2/face/searchbyimage`, {
      face_image_base64: b64(query),
      starttime: T0,
      endtime: timestampOf(TOTAL - 1),
      last_end_timestamp: last,
      reverse,
    });
    expect(r.status).toBe(200);
    const events = r.body.events as Array<{ event_id: string; compare_score: number }>;
    seen.push(...events.map((e) => e.event_id));
    calls.push({
      examined: r.body.records_examined as number,
      results: events.length,
      haveMore: r.body.have_more as boolean,
    });
    if (!r.body.have_more) break;
    last = r.body.endtimestamp as number;
  }
  return { seen, calls };
}

describe('iteration over 60,000 events', () => {
  it.each([
    ['reverse', true],
    ['forward', false],
  ])(
    '%s: every match exactly once, no call over 50,000 records or 1,000 results',
    async (name, reverse) => {
      const { seen, calls } = await iterate(reverse as boolean);
      expect(seen).toEqual(expected[name as 'reverse' | 'forward']);
      for (const c of calls) {
        expect(c.examined).toBeLessThanOrEqual(50_000);
        expect(c.results).toBeLessThanOrEqual(1_000);
      }
      expect(calls.reduce((s, c) => s + c.examined, 0)).toBe(TOTAL);
      // Both caps were actually reached on the way, and have_more was false only at the end.
      expect(calls.some((c) => c.examined > 49_990)).toBe(true);
      expect(calls.some((c) => c.results > 990)).toBe(true);
      expect(calls.map((c) => c.haveMore)).toEqual([...calls.slice(1).map(() => true), false]);
    },
    240_000,
  );
});
