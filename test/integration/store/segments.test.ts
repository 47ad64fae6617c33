/**
 * History segments against the real wire protocols: the compactor reads dynalite (or DynamoDB Local
 * under `npm run test:dynamodb-local`) and writes s3rver; a search's seam (`SegmentStore.readHour`) reads
 * them back. Only the fault test injects anything (an S3 failure a real server cannot be told to make).
 */
import { Int8DotKernel } from '../../../functions/core/int8Dot';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanHistory, type HistoryRecord, type RecordBlock } from '../../../functions/core/scan';
import { BUCKET_MS, endOfCall, remainingRange } from '../../../functions/core/timeWindow';
import { Compactor } from '../../../functions/history/compactor';
import { HourItems } from '../../../functions/history/hourItems';
import { encodeSegment } from '../../../functions/history/segmentFormat';
import { SegmentStore, segmentKey } from '../../../functions/history/segmentStore';
import { startLocalServer } from '../../../functions/local/server';
import { ensureTable, startStandIns, type StandIns } from '../../../functions/local/standIns';
import { loadConfig } from '../../../functions/shared/config';
import { createAwsClients } from '../../../functions/store/clients';
import { createHourCache } from '../../../functions/history/hourCache';
import { HistoryStore } from '../../../functions/history/historyStore';
import type { HourSegments } from '../../../functions/history/hourBlocks';
import { DynamoEventStore } from '../../../functions/store/dynamoEventStore';
import { randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { dropTable, sharedDynamoEndpoint, uniqueTable } from '../dynamoTarget';

const BUCKET = 'images';
const HOUR_A = Date.UTC(2026, 2, 3, 14) / BUCKET_MS;
const HOUR_B = HOUR_A + 1;
const HOUR_C = HOUR_A + 2; // still open at the test's clock
const at = (hour: number, ms: number) => hour * BUCKET_MS + ms;
/** Ten minutes into hour C: A and B ended over five minutes ago (settled), C has not. */
let clock = at(HOUR_C, 10 * 60_000);
const now = () => clock;
/** The table keeps items (DynamoDB Local's TTL would remove expired ones); segments follow 2 days. */
const SEGMENT_RETENTION_DAYS = 2;

let dir: string;
let standIns: StandIns;
let db: DynamoDBClient;
let s3: S3Client;
let table: string;
let events: DynamoEventStore;
let items: HourItems;
let segments: SegmentStore;
let compactor: Compactor;

const version = async (hour: number) => (await items.versions([hour])).get(hour) ?? '0';
const ordered = (rs: HistoryRecord[]) =>
  [...rs].sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
const summary = (rs: HistoryRecord[]) =>
  rs.map((r) => `${r.timestamp}|${r.eventId}|${r.deviceId}|${Buffer.from(r.code).toString('hex')}`);
async function storedBytes(key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}
/** Every stored segment object's bytes (what erasure must clear). */
async function allSegmentBytes(): Promise<Buffer[]> {
  return Promise.all((await segments.list()).map((s) => storedBytes(s.key)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-segments-'));
  const shared = sharedDynamoEndpoint();
  standIns = await startStandIns(dir, BUCKET, { dynamodb: !shared });
  const c = loadConfig({
    DYNAMODB_ENDPOINT: shared ?? standIns.dynamodbEndpoint,
    S3_ENDPOINT: standIns.s3Endpoint,
  });
  ({ dynamo: db, s3 } = createAwsClients(c, { localCredentials: true }));
  table = shared ? uniqueTable('sfs-segments') : 'events';
  await ensureTable(db, table);
  events = new DynamoEventStore(db, { table, retentionDays: 36_500 });
  items = new HourItems(db, { table, shards: 4 });
  segments = new SegmentStore(s3, {
    bucket: BUCKET,
    retentionDays: SEGMENT_RETENTION_DAYS,
    settleMs: 5 * 60_000,
    now,
  });
  compactor = new Compactor(items, segments, { retentionDays: SEGMENT_RETENTION_DAYS, now });

  // Hour A: 240 records on three devices, pairs sharing a millisecond; hour B: 40; hour C: 10 (open).
  await events.putMany([
    ...Array.from({ length: 240 }, (_, i) =>
      syntheticEvent(at(HOUR_A, Math.floor(i / 2) * 13_000), `cam-${i % 3}`, randomUnit(), {}, `a-${i}`),
    ),
    ...Array.from({ length: 40 }, (_, i) =>
      syntheticEvent(at(HOUR_B, i * 60_000), 'cam-9', randomUnit(), {}, `b-${i}`),
    ),
    ...Array.from({ length: 10 }, (_, i) =>
      syntheticEvent(at(HOUR_C, i * 1000), 'cam-1', randomUnit(), {}, `c-${i}`),
    ),
  ]);
});

afterAll(async () => {
  if (db && sharedDynamoEndpoint()) await dropTable(db, table);
  db?.destroy();
  s3?.destroy();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('history segments', () => {
  it('are built for settled hours only, and serve exactly the hour items in (timestamp, id) order', async () => {
    const report = await compactor.run();
    expect(report).toMatchObject({ built: 2, raced: 0, records: 280 });
    expect((await segments.list()).map((s) => s.hour).sort()).toEqual([HOUR_A, HOUR_B]);

    for (const hour of [HOUR_A, HOUR_B]) {
      const block = (await segments.readHour(hour, await version(hour))) as RecordBlock;
      expect(block).toBeDefined();
      expect(summary(block.records)).toEqual(summary(ordered(await items.records(hour))));
      expect(block.codes.length).toBe(block.records.length * 516);
    }
    // Open: items, without asking S3 (not even for a segment stored under its key by someone else).
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: segmentKey(HOUR_C, await version(HOUR_C)),
        Body: encodeSegment(HOUR_C, await version(HOUR_C), []),
      }),
    );
    expect(await segments.readHour(HOUR_C, await version(HOUR_C))).toBeUndefined();
    await segments.remove([segmentKey(HOUR_C, await version(HOUR_C))]);
  });

  it('serves nothing for any version but the current one', async () => {
    const v = Number(await version(HOUR_A));
    expect(await segments.readHour(HOUR_A, String(v + 1))).toBeUndefined();
    expect(await segments.readHour(HOUR_A, String(v - 1))).toBeUndefined();
    expect(await segments.readHour(HOUR_A, '0')).toBeUndefined();
  });

  it('goes stale on a late ingest (items read at once) and is rebuilt with it by the next run', async () => {
    const late = syntheticEvent(at(HOUR_A, 1), 'cam-late', randomUnit(), {}, 'late-1');
    await events.putMany([late]);
    const v = await version(HOUR_A);
    expect(await segments.readHour(HOUR_A, v)).toBeUndefined();

    expect(await compactor.run()).toMatchObject({ removed: 1, built: 1 });
    const block = await segments.readHour(HOUR_A, v);
    expect(block?.records.length).toBe(241);
    // a-0 and a-1 share millisecond 0; the late event, at 1 ms, comes next.
    expect(block?.records.slice(0, 2).map((r) => r.eventId)).toEqual(['a-0', 'a-1']);
    expect(block?.records[2]).toMatchObject({ eventId: 'late-1', deviceId: 'cam-late' });
    expect((await segments.list()).filter((s) => s.hour === HOUR_A).map((s) => s.version)).toEqual([v]);
  });

  it('erasure: a deleted face code is never served from a segment, and one run removes it from every stored segment', async () => {
    const victim = syntheticEvent(at(HOUR_B, 30_500), 'cam-9', randomUnit(), {}, 'erase-me');
    await events.putMany([victim]);
    await compactor.run();
    const code = Buffer.from(victim.code);
    expect((await allSegmentBytes()).some((b) => b.includes(code))).toBe(true);

    await events.delete('erase-me');
    // The stale segment still holds the code, but the version moved on: a search reads items.
    expect((await allSegmentBytes()).some((b) => b.includes(code))).toBe(true);
    expect(await segments.readHour(HOUR_B, await version(HOUR_B))).toBeUndefined();

    await compactor.run();
    const bytes = await allSegmentBytes();
    expect(bytes.length).toBe(2);
    expect(bytes.some((b) => b.includes(code))).toBe(false);
    const block = await segments.readHour(HOUR_B, await version(HOUR_B));
    expect(block?.records.map((r) => r.eventId)).not.toContain('erase-me');
    expect(block?.records.length).toBe(40);
  });

  it('a write landing while an hour is read leaves no segment at the old version (stale, never wrong)', async () => {
    const v = await version(HOUR_B);
    // Between the items read and the second version read, as a concurrent ingest would.
    const realRecords = items.records.bind(items);
    const spy = jest.spyOn(items, 'records').mockImplementationOnce(async (hour) => {
      const out = await realRecords(hour);
      await events.putMany([syntheticEvent(at(HOUR_B, 7), 'cam-9', randomUnit(), {}, 'racer')]);
      return out;
    });
    try {
      expect(await compactor.buildHour(HOUR_B, v)).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(await segments.readHour(HOUR_B, await version(HOUR_B))).toBeUndefined();
    await compactor.run();
    expect((await segments.readHour(HOUR_B, await version(HOUR_B)))?.records.map((r) => r.eventId)).toContain(
      'racer',
    );
  });

  it('a crash after the first segment write leaves readable history; the next run completes it', async () => {
    // Both hours change, so the run rebuilds both; S3 fails every write after the first.
    await events.putMany([
      syntheticEvent(at(HOUR_A, 2), 'cam-1', randomUnit(), {}, 'crash-a'),
      syntheticEvent(at(HOUR_B, 2), 'cam-1', randomUnit(), {}, 'crash-b'),
    ]);
    let puts = 0;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && ++puts > 1)
          throw new Error('injected: process died');
        return next(args);
      },
      { step: 'initialize', name: 'crashAfterFirstWrite' },
    );
    try {
      await expect(compactor.run()).rejects.toThrow('injected');
    } finally {
      s3.middlewareStack.remove('crashAfterFirstWrite');
    }
    // Newest first: hour B got its segment, hour A none (its stale one was removed first).
    expect((await segments.readHour(HOUR_B, await version(HOUR_B)))?.records.map((r) => r.eventId)).toContain(
      'crash-b',
    );
    expect(await segments.readHour(HOUR_A, await version(HOUR_A))).toBeUndefined();
    expect((await items.records(HOUR_A)).map((r) => r.eventId)).toContain('crash-a');
    for (const s of await segments.list()) {
      expect(await segments.readHour(s.hour, s.version)).toBeDefined(); // nothing torn is stored
    }
    expect(await compactor.run()).toMatchObject({ built: 1, removed: 0 });
    expect((await segments.readHour(HOUR_A, await version(HOUR_A)))?.records.map((r) => r.eventId)).toContain(
      'crash-a',
    );
  });

  it('a damaged or truncated segment at the current version is detected and left to the items', async () => {
    const v = await version(HOUR_A);
    const good = await storedBytes(segmentKey(HOUR_A, v));
    const put = (body: Uint8Array) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: segmentKey(HOUR_A, v), Body: body }));
    try {
      await put(good.subarray(0, good.length - 1000));
      expect(await segments.readHour(HOUR_A, v)).toBeUndefined();
      const flipped = Buffer.from(good);
      flipped[5000] ^= 1;
      await put(flipped);
      expect(await segments.readHour(HOUR_A, v)).toBeUndefined();
      // A well-formed segment of another hour stored under this key is refused too.
      await put(encodeSegment(HOUR_B, v, []));
      expect(await segments.readHour(HOUR_A, v)).toBeUndefined();
    } finally {
      await put(good);
    }
    expect((await segments.readHour(HOUR_A, v))?.records.length).toBeGreaterThan(240);
  });

  it('past retention, an hour is never served from a segment and the next run removes its segments', async () => {
    const vA = await version(HOUR_A);
    clock = at(HOUR_A, 0) + SEGMENT_RETENTION_DAYS * 86_400_000 + 1;
    try {
      expect(await segments.readHour(HOUR_A, vA)).toBeUndefined();
      const report = await compactor.run();
      expect(report.removed).toBe(1);
      // A's segment is gone; C, settled by now, got one.
      expect((await segments.list()).map((s) => s.hour).sort()).toEqual([HOUR_B, HOUR_C]);
    } finally {
      clock = at(HOUR_C, 10 * 60_000);
    }
  });
});

/** Hours a search took from segments (the seam wrapped, nothing faked). */
const served: number[] = [];
const countingSegments = {
  readHour: async (hour: number, v: string) => {
    const b = await segments.readHour(hour, v);
    if (b) served.push(hour);
    return b;
  },
  readIndex: (...args: Parameters<SegmentStore['readIndex']>) => segments.readIndex(...args),
  readPiece: (...args: Parameters<SegmentStore['readPiece']>) => segments.readPiece(...args),
};
const searcher = (withSegments: boolean) =>
  new HistoryStore(db, {
    table,
    shards: 4,
    cache: createHourCache({ budgetBytes: 64 * 2 ** 20, memory: Int8DotKernel.instance() }),
    segments: withSegments ? countingSegments : undefined,
  });
const query = randomUnit();

/**
 * Every call of an iteration to the end with small caps (so calls stop mid-hour and inside
 * same-millisecond pairs): `ours` resumes at `endtimestamp` within the same window, `original` makes it
 * the next call's `endtime` (backwards) or `starttime` (forwards).
 * `whole`: one call with the contract's caps.
 */
async function iterate(
  store: HistoryStore,
  w: { startMs: number; endMs: number; reverse: boolean; deviceIds?: string[] },
  style: 'ours' | 'original' | 'whole',
) {
  const found: string[] = [];
  let recordsRead = 0;
  let window = { ...w };
  let resume: number | undefined;
  for (let calls = 0; calls < 500; calls++) {
    const range = remainingRange(window.startMs, window.endMs, resume, w.reverse);
    if (!range) break;
    const history = store.records({ range, reverse: w.reverse, deviceIds: w.deviceIds });
    const out = await scanHistory(history, {
      query,
      minCosine: -2,
      deviceIds: w.deviceIds && new Set(w.deviceIds),
      limits: style === 'whole' ? undefined : { maxExamined: 61, maxResults: 41 },
    });
    recordsRead += history.recordsRead ?? 0;
    found.push(...out.matches.map((m) => `${m.record.timestamp}|${m.record.eventId}|${m.record.deviceId}`));
    const end = endOfCall(window, out.haveMore, out.through, range);
    if (!end.haveMore) return { found, recordsRead };
    if (style === 'whole') throw new Error('one call did not cover the window');
    if (style === 'ours') resume = end.endtimestamp;
    else if (w.reverse) window = { ...window, endMs: end.endtimestamp };
    else window = { ...window, startMs: end.endtimestamp };
  }
  throw new Error('iteration did not end');
}

describe('a search over segments', () => {
  const windows = [
    { startMs: at(HOUR_A, 0), endMs: at(HOUR_C, BUCKET_MS - 1) }, // settled hours and the open one
    { startMs: at(HOUR_A, 30 * 60_000 + 1), endMs: at(HOUR_B, 20 * 60_000) }, // cut inside both hours
    { startMs: at(HOUR_A, 13_000), endMs: at(HOUR_A, 13_000 + 60_000) }, // one minute
  ];

  beforeAll(async () => {
    await compactor.run();
    // C, still open at the clock, stays items: windows over all three mix both kinds.
    expect((await segments.list()).map((s) => s.hour).sort()).toEqual([HOUR_A, HOUR_B]);
  });

  it('finds exactly what the items give, event for event, both directions, device filters, both iteration styles', async () => {
    for (const w of windows)
      for (const reverse of [true, false])
        for (const deviceIds of [undefined, ['cam-0', 'cam-9']])
          for (const style of ['ours', 'original'] as const) {
            served.length = 0;
            const q = { ...w, reverse, deviceIds };
            const viaSegments = await iterate(searcher(true), q, style);
            expect(served.length).toBeGreaterThan(0);
            const viaItems = await iterate(searcher(false), q, style);
            expect(viaSegments.found).toEqual(viaItems.found);
            expect(new Set(viaSegments.found).size).toBe(viaSegments.found.length);
          }
    // The whole of it in one call: each event once, and every record read counted, segment or item.
    served.length = 0;
    const all = await iterate(searcher(true), { ...windows[0], reverse: false }, 'whole');
    expect([...served].sort()).toEqual([HOUR_A, HOUR_B]); // read ahead: either may land first
    expect(all.recordsRead).toBe(all.found.length);
    expect(all.found.length).toBe(
      (await Promise.all([HOUR_A, HOUR_B, HOUR_C].map((h) => items.records(h)))).flat().length,
    );
  });

  it('sees a late ingest and a delete after compaction at once (the hour goes back to its items)', async () => {
    const store = searcher(true);
    const w = { startMs: at(HOUR_A, 0), endMs: at(HOUR_A, BUCKET_MS - 1), reverse: true };
    served.length = 0;
    const before = (await iterate(store, w, 'ours')).found;
    expect(served).toEqual([HOUR_A]);
    const victim = before[before.length - 5].split('|')[1];

    await events.putMany([syntheticEvent(at(HOUR_A, 999), 'cam-1', randomUnit(), {}, 'late-after')]);
    served.length = 0;
    const afterIngest = (await iterate(store, w, 'ours')).found;
    expect(served).toEqual([]);
    expect(afterIngest).toContain(`${at(HOUR_A, 999)}|late-after|cam-1`);
    expect(afterIngest.length).toBe(before.length + 1);

    await events.delete('late-after');
    await events.delete(victim);
    const afterDelete = (await iterate(store, w, 'ours')).found;
    expect(afterDelete.some((f) => f.includes('|late-after|') || f.includes(`|${victim}|`))).toBe(false);
    expect(afterDelete.length).toBe(before.length - 1);

    // Rebuilt: served from the segment again, still without them.
    await compactor.run();
    served.length = 0;
    expect((await iterate(searcher(true), w, 'ours')).found).toEqual(afterDelete);
    expect(served).toEqual([HOUR_A]);
  });

  it('an S3 failure reading a segment falls back to the items: same answer, no error', async () => {
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') throw new Error('injected: S3 down');
        return next(args);
      },
      { step: 'initialize', name: 's3Down' },
    );
    try {
      served.length = 0;
      const w = { ...windows[0], reverse: true };
      const got = await iterate(searcher(true), w, 'ours');
      expect(served).toEqual([]);
      expect(got.found).toEqual((await iterate(searcher(false), w, 'ours')).found);
    } finally {
      s3.middlewareStack.remove('s3Down');
    }
  });
});

describe('the local server', () => {
  it('compacts settled hours on its timer when COMPACTION_INTERVAL_SECONDS is set', async () => {
    const server = await startLocalServer({
      port: 0,
      dataDir: join(dir, 'server'),
      env: { COMPACTION_INTERVAL_SECONDS: '1', COMPACTION_SETTLE_MINUTES: '0' },
    });
    try {
      const hour = Math.floor(Date.now() / BUCKET_MS) - 2;
      await server.services.events.putMany([
        syntheticEvent(at(hour, 0), 'cam-1', randomUnit(), {}, 'timer-1'),
      ]);
      const store = new SegmentStore(server.services.clients.s3, {
        bucket: server.config.IMAGE_BUCKET,
        retentionDays: server.config.RETENTION_DAYS,
      });
      // Waits for the timer's run (no bound asserted: a loaded machine only makes it later).
      while (!(await store.list()).some((s) => s.hour === hour)) await new Promise((r) => setTimeout(r, 200));
      expect((await store.list()).map((s) => s.hour)).toEqual([hour]);
    } finally {
      await server.close();
    }
  });
});

describe('a big hour in pieces (thresholds lowered: more than 100 records in pieces of 40)', () => {
  const HOUR_D = HOUR_A - 5; // settled and in retention at the test's clock
  const GROUP_MS = at(HOUR_D, 350_000);
  const pieceReads: number[] = [];
  const pieced: HourSegments = {
    readHour: (hour, v, alloc) => segments.readHour(hour, v, alloc),
    readIndex: (hour, v, signal) => segments.readIndex(hour, v, signal),
    readPiece: async (hour, v, piece, alloc, signal) => {
      const b = await segments.readPiece(hour, v, piece, alloc, signal);
      if (b) pieceReads.push(piece.first);
      return b;
    },
  };
  const store = (withSegments: boolean) =>
    new HistoryStore(db, {
      table,
      shards: 4,
      cache: createHourCache({ budgetBytes: 64 * 2 ** 20, memory: Int8DotKernel.instance() }),
      segments: withSegments ? pieced : undefined,
      wholeHourRecords: 100,
    });
  let pieceCompactor: Compactor;

  beforeAll(async () => {
    pieceCompactor = new Compactor(items, segments, {
      retentionDays: SEGMENT_RETENTION_DAYS,
      now,
      wholeHourRecords: 100,
      pieceRecords: 40,
    });
    // 400 records 8 s apart, but records 35..64 share one millisecond (where the first piece would end).
    await events.putMany(
      Array.from({ length: 400 }, (_, i) =>
        syntheticEvent(
          i >= 35 && i < 65 ? GROUP_MS : at(HOUR_D, i * 8000),
          `cam-${i % 3}`,
          randomUnit(),
          {},
          `d-${i}`,
        ),
      ),
    );
    expect(await pieceCompactor.run({ first: HOUR_D, last: HOUR_D })).toMatchObject({
      built: 1,
      records: 400,
    });
    const index = (await segments.readIndex(HOUR_D, await version(HOUR_D)))!;
    expect(index.pieces.length).toBeGreaterThanOrEqual(9);
    const group = index.pieces.find((p) => p.first <= GROUP_MS && p.last >= GROUP_MS)!;
    expect(group.count).toBeGreaterThan(40); // the group was not split: its piece holds all 30
  });

  it('finds exactly what the items give, event for event: both directions, device filters, both iteration styles, across piece edges', async () => {
    const windows = [
      { startMs: at(HOUR_D, 0), endMs: at(HOUR_D, BUCKET_MS - 1) },
      { startMs: GROUP_MS, endMs: GROUP_MS }, // the group alone
      { startMs: at(HOUR_D, 100_000 + 1), endMs: at(HOUR_D, 2_000_000) }, // cut inside pieces
    ];
    for (const w of windows)
      for (const reverse of [true, false])
        for (const deviceIds of [undefined, ['cam-1']])
          for (const style of ['ours', 'original'] as const) {
            pieceReads.length = 0;
            const q = { ...w, reverse, deviceIds };
            const viaPieces = await iterate(store(true), q, style);
            expect(pieceReads.length).toBeGreaterThan(0);
            const viaItems = await iterate(store(false), q, style);
            expect(viaPieces.found).toEqual(viaItems.found);
            expect(new Set(viaPieces.found).size).toBe(viaPieces.found.length);
          }
    // One call over a 64-second window reads the one or two pieces it covers, not the hour.
    pieceReads.length = 0;
    const one = await iterate(
      store(true),
      { startMs: at(HOUR_D, 900_000), endMs: at(HOUR_D, 964_000), reverse: true },
      'whole',
    );
    expect(one.found.length).toBe(8); // records 113..120
    expect(one.found).toEqual(
      (
        await iterate(
          store(false),
          { startMs: at(HOUR_D, 900_000), endMs: at(HOUR_D, 964_000), reverse: true },
          'whole',
        )
      ).found,
    );
    expect(pieceReads.length).toBeLessThanOrEqual(2);
    expect(one.recordsRead).toBeLessThanOrEqual(2 * 40);
  });

  it('a late ingest and a delete send the hour back to its items at once; the next run rebuilds its pieces', async () => {
    const w = { startMs: at(HOUR_D, 0), endMs: at(HOUR_D, BUCKET_MS - 1), reverse: false };
    const before = (await iterate(store(true), w, 'ours')).found;
    await events.putMany([syntheticEvent(GROUP_MS, 'cam-1', randomUnit(), {}, 'd-late')]);
    await events.delete('d-200');
    pieceReads.length = 0;
    const after = (await iterate(store(true), w, 'ours')).found;
    expect(pieceReads).toEqual([]);
    expect(after).toContain(`${GROUP_MS}|d-late|cam-1`);
    expect(after.some((f) => f.includes('|d-200|'))).toBe(false);
    expect(after.length).toBe(before.length);
    expect(await pieceCompactor.run({ first: HOUR_D, last: HOUR_D })).toMatchObject({ removed: 1, built: 1 });
    expect((await segments.list()).filter((s) => s.hour === HOUR_D)).toHaveLength(1);
    pieceReads.length = 0;
    expect((await iterate(store(true), w, 'ours')).found).toEqual(after);
    expect(pieceReads.length).toBeGreaterThan(0);
  });
});
