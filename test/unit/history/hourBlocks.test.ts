import { Int8DotKernel } from '../../../functions/core/int8Dot';
import fc from 'fast-check';
import { ENCODED_BYTES, encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { type HistoryReader, type HistoryRecord, scanHistory } from '../../../functions/core/scan';
import { BUCKET_MS, hourOf } from '../../../functions/core/timeWindow';
import { HourCache } from '../../../functions/history/hourCache';
import {
  type HourSource,
  type ReadOptions,
  blockStream,
  sliceBlock,
} from '../../../functions/history/hourBlocks';
import { readRecords, unit } from '../../support/history';

const target = unit(7);
const CODES = [encodeEmbedding(target), encodeEmbedding(unit(8)), encodeEmbedding(unit(9))];
const H0 = 490_000; // an hour number (2025-11-23)

interface Stored {
  timestamp: number;
  eventId: string;
  deviceId: string;
  kind: number;
  shard: number;
}

/**
 * An in-memory table with the store's layout: shards per hour, each sorted by (timestamp, id), pages of
 * `pageSize`; counts reads so tests can tell cache hits from table reads.
 */
class FakeTable implements HourSource {
  cacheKey = 'fake#2';
  reads = 0;
  versionsOf = new Map<number, string>();
  /** Events deleted after the scan read them: their JSON is no longer there. */
  gone = new Set<string>();
  constructor(
    public rows: Stored[],
    private readonly pageSize = 3,
  ) {}

  /** Records handed out by shardPages. */
  served = 0;
  shardPages(hour: number, fromMs: number, toMs: number, opts: ReadOptions) {
    this.reads++;
    const count = (n: number) => (this.served += n);
    return (opts.shards ?? [0, 1]).map((shard) => {
      const mine = this.rows
        .filter((r) => r.shard === shard && hourOf(r.timestamp) === hour)
        .filter((r) => r.timestamp >= fromMs && r.timestamp <= toMs)
        .filter((r) => !opts.deviceIds || opts.deviceIds.includes(r.deviceId))
        .sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
      if (opts.reverse) mine.reverse();
      const size = Math.min(this.pageSize, opts.limit ?? Infinity);
      return (async function* () {
        for (let i = 0; i < mine.length; i += size) {
          count(Math.min(size, mine.length - i));
          yield mine.slice(i, i + size).map((r) => ({
            timestamp: r.timestamp,
            eventId: r.eventId,
            deviceId: r.deviceId,
            code: r.kind < 0 ? new Uint8Array(3) : CODES[r.kind],
            doc: '',
          }));
        }
      })();
    });
  }

  /** The hour directory: every hour that holds a row. */
  async hours(first: number, last: number) {
    const listed = [...new Set(this.rows.map((r) => hourOf(r.timestamp)))].filter(
      (h) => h >= first && h <= last,
    );
    return new Map(
      listed.map((h) => [
        h,
        {
          version: this.versionsOf.get(h) ?? '0',
          count: this.rows.filter((r) => hourOf(r.timestamp) === h).length,
          shards: [...new Set(this.rows.filter((r) => hourOf(r.timestamp) === h).map((r) => r.shard))],
        },
      ]),
    );
  }

  async docs(records: HistoryRecord[]) {
    return records.map((r) => (this.gone.has(r.eventId) ? undefined : `{"id":"${r.eventId}"}`));
  }
}

function row(timestamp: number, eventId: string, kind = 1, deviceId = 'cam-1'): Stored {
  return { timestamp, eventId, deviceId, kind, shard: eventId.charCodeAt(eventId.length - 1) % 2 };
}

const ms = (hour: number, minute = 0) => hour * BUCKET_MS + minute * 60_000;
const query = (fromMs: number, toMs: number, reverse = false, deviceIds?: string[]) => ({
  range: { fromMs, toMs },
  reverse,
  deviceIds,
});

/** Block by block, as the scan reads: ids in scan order, device filter applied as the scan does. */
async function viaBlocks(s: HistoryReader, deviceIds?: string[]): Promise<string[]> {
  return (await readRecords(s, { deviceIds })).map((r) => r.eventId);
}

describe('blockStream', () => {
  const rows = [
    row(ms(H0, 5), 'b'),
    row(ms(H0, 5), 'a'),
    row(ms(H0, 1), 'c'),
    row(ms(H0 + 1, 2), 'd'),
    row(ms(H0 + 2, 59), 'e'),
    row(ms(H0 + 2, 0), 'f', -1), // damaged: no 516-byte code
  ];

  it('merges the shards of each hour in (timestamp, id) order, hour by hour, and skips damaged items', async () => {
    const s = blockStream(query(ms(H0), ms(H0 + 3) - 1), new FakeTable(rows), { lookahead: 1 });
    expect(await viaBlocks(s)).toEqual(['c', 'a', 'b', 'd', 'e']);
    const blocks = [];
    for await (const b of s.blocks()) blocks.push(b);
    expect(blocks.map((b) => b.records.length)).toEqual([3, 1, 1, 0]);
    // Each block says how far it covers: its hour, then (empty) the rest of the window's year.
    expect(blocks.map((b) => b.through)).toEqual([
      ms(H0 + 1) - 1,
      ms(H0 + 2) - 1,
      ms(H0 + 3) - 1,
      ms(H0 + 3) - 1,
    ]);
    // Each record's code is its row of the block's matrix.
    const b0 = blocks[0];
    b0.records.forEach((r, i) =>
      expect(r.code).toEqual(b0.codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES)),
    );
  });

  it('hands the event JSON of the records asked for, none of an event gone meanwhile', async () => {
    const table = new FakeTable(rows);
    const s = blockStream(query(ms(H0), ms(H0 + 1) - 1), table, { lookahead: 0 });
    table.gone.add('a');
    const read = await readRecords(s, { docs: true });
    expect(read.map((r) => r.doc)).toEqual(['{"id":"c"}', '{"id":"b"}']);
  });

  it('walks hours and records backwards for a reverse scan', async () => {
    const s = blockStream(query(ms(H0), ms(H0 + 3) - 1, true), new FakeTable(rows), { lookahead: 2 });
    expect(await viaBlocks(s)).toEqual(['e', 'd', 'b', 'a', 'c']);
  });

  it('keeps to the range inside an hour and to the given devices', async () => {
    const more = [...rows, row(ms(H0, 30), 'g', 1, 'cam-2')];
    const table = new FakeTable(more);
    expect(await viaBlocks(blockStream(query(ms(H0, 2), ms(H0, 40)), table, { lookahead: 0 }))).toEqual([
      'a',
      'b',
      'g',
    ]);
    const cached = blockStream(query(ms(H0, 2), ms(H0, 40), false, ['cam-2']), table, {
      lookahead: 0,
      cache: new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() }),
    });
    // A cached hour is kept whole, for every device: the scan applies the device filter.
    expect(await viaBlocks(cached, ['cam-2'])).toEqual(['g']);
  });

  it('reads a cached hour once while its version stands, and again once it moves', async () => {
    const table = new FakeTable([...rows]); // rows are added below
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const stream = () => blockStream(query(ms(H0), ms(H0 + 1) - 1), table, { cache, lookahead: 0 });
    expect(await viaBlocks(stream())).toEqual(['c', 'a', 'b']);
    expect(await viaBlocks(stream())).toEqual(['c', 'a', 'b']);
    expect(table.reads).toBe(1);
    // A late event lands in the hour; its writer bumps the version.
    table.rows.push(row(ms(H0, 3), 'z'));
    table.versionsOf.set(H0, '1');
    expect(await viaBlocks(stream())).toEqual(['c', 'z', 'a', 'b']);
    expect(table.reads).toBe(2);
  });

  it('serves a narrower range from the whole cached hour', async () => {
    const table = new FakeTable(rows);
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    await viaBlocks(blockStream(query(ms(H0), ms(H0 + 1) - 1), table, { cache, lookahead: 0 }));
    expect(await viaBlocks(blockStream(query(ms(H0, 4), ms(H0, 5)), table, { cache, lookahead: 0 }))).toEqual(
      ['a', 'b'],
    );
    expect(table.reads).toBe(1);
  });

  it('reads only the hours the directory lists, however long the window', async () => {
    const table = new FakeTable(rows);
    const listings = jest.spyOn(table, 'hours');
    const tenYears = query(ms(H0 - 24 * 365 * 5), ms(H0 + 24 * 365 * 5), true);
    expect(await viaBlocks(blockStream(tenYears, table, { lookahead: 1 }))).toEqual([
      'e',
      'd',
      'b',
      'a',
      'c',
    ]);
    expect(table.reads).toBe(3);
    expect(listings.mock.calls.length).toBeLessThanOrEqual(11); // one listing per UTC year
  });

  it('prefetches the directory and the hours the cache lacks, which the scan then reads no more', async () => {
    const table = new FakeTable(rows);
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const range = query(ms(H0), ms(H0 + 3) - 1, true);
    await viaBlocks(blockStream(query(ms(H0 + 2), ms(H0 + 3) - 1), table, { cache, lookahead: 0 }));
    expect(table.reads).toBe(1); // H0 + 2 is cached
    const versions = jest.spyOn(table, 'hours');
    const s = blockStream(range, table, { cache, lookahead: 1 });
    s.prefetch!({ listingOnly: true }); // a search before its slot: the listing, no hour
    await new Promise((r) => setImmediate(r));
    expect(versions).toHaveBeenCalledTimes(1);
    expect(table.reads).toBe(1);
    s.prefetch!();
    await new Promise((r) => setImmediate(r));
    expect(versions).toHaveBeenCalledTimes(1);
    // H0 + 1 and H0 (small hours: as far as the scan reads ahead), not H0 + 2 (cached).
    expect(table.reads).toBe(3);
    expect(await viaBlocks(s)).toEqual(['e', 'd', 'b', 'a', 'c']);
    expect(table.reads).toBe(3);
    expect(versions).toHaveBeenCalledTimes(1);
  });

  it('without a cache, reads an hour page by page only as far as the scan goes', async () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      row(ms(H0) + i * 1000 + (i % 2), `r${String(i).padStart(3, '0')}`),
    );
    for (const reverse of [false, true]) {
      const table = new FakeTable(many);
      const stream = blockStream(query(ms(H0), ms(H0 + 1) - 1, reverse), table, {
        lookahead: 0,
        blockRecords: 4,
      });
      const out = await scanHistory(stream, {
        query: target,
        minCosine: 2,
        limits: { maxExamined: 10, maxResults: 10 },
      });
      expect(out.examined).toBe(10);
      // What it examined, plus a block (4) and a page per shard (3 items each) it had in hand.
      expect(table.served).toBeLessThanOrEqual(10 + 4 + 2 * 3);
      expect(stream.recordsRead).toBe(table.served);
      expect(out.through).toBe(reverse ? many[190].timestamp : many[9].timestamp);
    }
  });

  it('ends its claim on the cache when the scan stops early', async () => {
    const table = new FakeTable(rows);
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const stream = () => blockStream(query(ms(H0), ms(H0 + 3) - 1), table, { cache, lookahead: 2 });
    await viaBlocks(stream());
    const out = await scanHistory(stream(), {
      query: target,
      minCosine: 0.9,
      limits: { maxExamined: 1, maxResults: 1 },
    });
    expect(out.haveMore).toBe(true);
    cache.clear(); // frees at once only if no claim is left open
    expect(cache.retiredBytes).toBe(0);
  });

  it('fetches the event JSON of matches only, and drops a match whose event is gone', async () => {
    const table = new FakeTable([row(ms(H0, 1), 'm1', 0), row(ms(H0, 2), 'x1', 1), row(ms(H0, 3), 'm2', 0)]);
    const stream = blockStream(query(ms(H0), ms(H0 + 1) - 1), table, { lookahead: 0 });
    const docs = jest.spyOn(table, 'docs');
    table.gone.add('m2');
    const out = await scanHistory(stream, { query: target, minCosine: 0.9 });
    expect(docs).toHaveBeenCalledTimes(1);
    expect(docs.mock.calls[0][0].map((r) => r.eventId)).toEqual(['m1', 'm2']);
    expect(out.matches.map((m) => [m.record.eventId, m.record.doc])).toEqual([['m1', '{"id":"m1"}']]);
  });
  it("keeps the matches' event JSON by the hour's version: the same matches again read none, a write reads them again", async () => {
    const table = new FakeTable([
      row(ms(H0, 1), 'm1', 0),
      row(ms(H0, 2), 'x1', 1),
      row(ms(H0 + 1, 3), 'm2', 0),
    ]);
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const docs = jest.spyOn(table, 'docs');
    const search = async () =>
      (
        await scanHistory(blockStream(query(ms(H0), ms(H0 + 2) - 1), table, { cache, lookahead: 1 }), {
          query: target,
          minCosine: 0.9,
        })
      ).matches.map((m) => [m.record.eventId, m.record.doc]);
    const both = [
      ['m1', '{"id":"m1"}'],
      ['m2', '{"id":"m2"}'],
    ];
    expect(await search()).toEqual(both);
    expect(await search()).toEqual(both);
    expect(docs).toHaveBeenCalledTimes(1);
    // A write in H0 + 1 moves its version: only its match is read again, at the new version.
    table.versionsOf.set(H0 + 1, '1');
    expect(await search()).toEqual(both);
    expect(docs).toHaveBeenCalledTimes(2);
    expect(docs.mock.calls[1][0].map((r) => r.eventId)).toEqual(['m2']);
    // An event gone when its JSON was read is dropped and nothing is kept for it.
    table.versionsOf.set(H0, '1');
    table.gone.add('m1');
    expect(await search()).toEqual([both[1]]);
    table.gone.delete('m1');
    expect(await search()).toEqual(both);
    expect(docs.mock.calls.slice(2).map((c) => c[0].map((r) => r.eventId))).toEqual([['m1'], ['m1']]);
  });
});

describe('sliceBlock', () => {
  it('cuts an ascending block to [from, to] without copying codes', async () => {
    const table = new FakeTable(
      [row(10, 'a'), row(20, 'b'), row(20, 'c'), row(30, 'd')].map((r) => ({
        ...r,
        timestamp: ms(H0) + r.timestamp,
      })),
    );
    const [b] = await (async () => {
      const out = [];
      for await (const x of blockStream(query(ms(H0), ms(H0 + 1) - 1), table, { lookahead: 0 }).blocks())
        out.push(x);
      return out;
    })();
    const s = sliceBlock(b, ms(H0) + 20, ms(H0) + 20);
    expect(s.records.map((r) => r.eventId)).toEqual(['b', 'c']);
    expect(s.codes.buffer).toBe(b.codes.buffer);
    expect(sliceBlock(b, ms(H0) + 31, ms(H0) + 40).records).toEqual([]);
    expect(sliceBlock(b, 0, ms(H0 + 1))).toBe(b);
  });
});

describe('scanHistory over hour blocks', () => {
  // Reading hour blocks (cached or not) must stop, group and count exactly as one block per millisecond.
  it('gives the same outcome as the same records one millisecond per block', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 * 60 }), fc.integer({ min: 0, max: 2 }), fc.boolean()),
          { maxLength: 40 },
        ),
        fc.boolean(),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.constant(['cam-2'] as string[])),
        async (spec, reverse, maxExamined, maxResults, devices) => {
          // Timestamps in minutes over two hours; several records may share one.
          const rows = spec.map(([minute, kind, cam2], i) =>
            row(ms(H0) + minute * 60_000, `e${String(i).padStart(3, '0')}`, kind, cam2 ? 'cam-2' : 'cam-1'),
          );
          const table = new FakeTable(rows);
          const q = query(ms(H0), ms(H0 + 2) - 1, reverse, devices ?? undefined);
          const req = {
            query: target,
            minCosine: 0.9,
            limits: { maxExamined, maxResults },
            deviceIds: devices ? new Set(devices) : undefined,
          };
          const stream = blockStream(q, table, {
            lookahead: 1,
            cache: new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() }),
          });
          const viaHours = await scanHistory(stream, req);
          const inRange = rows.filter((r) => r.timestamp <= q.range.toMs);
          const viaMs = await scanHistory(perMillisecond(inRange, reverse), req);
          const view = (o: typeof viaHours) => ({
            matches: o.matches.map((m) => [m.record.eventId, Math.round(m.cosine * 1e4)]),
            examined: o.examined,
            haveMore: o.haveMore,
          });
          expect(view(viaHours)).toEqual(view(viaMs));
          if (viaHours.haveMore) {
            // The hour reader may report further progress (the rest of an hour it read), but never past
            // a record it did not examine: the next call continues at the same record either way.
            const [a, b] = [viaMs.through!, viaHours.through!];
            const skipped = rows.filter(
              (r) =>
                r.kind >= 0 &&
                (!devices || devices.includes(r.deviceId)) &&
                (reverse ? r.timestamp < a && r.timestamp >= b : r.timestamp > a && r.timestamp <= b),
            );
            expect(skipped).toEqual([]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** The rows (valid codes only) as a reader with one block per millisecond, in scan order. */
function perMillisecond(rows: Stored[], reverse: boolean): HistoryReader {
  const sorted = rows
    .filter((r) => r.kind >= 0)
    .sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
  const stamps = [...new Set(sorted.map((r) => r.timestamp))];
  if (reverse) stamps.reverse();
  return {
    reverse,
    docs: async (rs) => rs.map((r) => `{"id":"${r.eventId}"}`),
    async *blocks() {
      for (const t of stamps) {
        const part = sorted.filter((r) => r.timestamp === t);
        const codes = new Uint8Array(part.length * ENCODED_BYTES);
        part.forEach((r, k) => codes.set(CODES[r.kind], k * ENCODED_BYTES));
        yield {
          records: part.map((r, k) => ({
            timestamp: r.timestamp,
            eventId: r.eventId,
            deviceId: r.deviceId,
            code: codes.subarray(k * ENCODED_BYTES, (k + 1) * ENCODED_BYTES),
            doc: '',
          })),
          codes,
          through: t,
        };
      }
    },
  };
}
