import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { HistoryReader, HistoryRecord, RecordBlock } from '../core/scan';
import { BUCKET_MS, hourOf } from '../core/timeWindow';
import type { BucketCache } from './bucketCache';
import { directoryYears } from './keys';
import type { HistoryQuery } from './types';

/** What the block reader needs from the table. */
export interface HourSource {
  /**
   * Every shard of `hour` as pages of records in ascending order within [fromMs, toMs], optionally only
   * some devices'; without their event JSON (doc '') unless `withDocs`; `consistent` for reads that
   * fill the cache.
   */
  shardPages(hour: number, fromMs: number, toMs: number, opts: ReadOptions): AsyncIterable<HistoryRecord[]>[];
  /** The event JSON of these records (undefined where the event is gone). */
  docs(records: HistoryRecord[]): Promise<Array<string | undefined>>;
  /**
   * The hour directory: the hours in [first, last] (hour numbers, one UTC year at most) that have held
   * events, with their write versions (see DynamoEventStore), read strongly consistent.
   */
  hours(first: number, last: number, signal?: AbortSignal): Promise<Map<number, string>>;
  /** Distinguishes tables (and shard layouts) sharing one cache. */
  cacheKey: string;
}

export interface ReadOptions {
  deviceIds?: string[];
  signal?: AbortSignal;
  consistent?: boolean;
  withDocs?: boolean;
}

const before = (a: HistoryRecord, b: HistoryRecord) =>
  a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

async function drain(pages: AsyncIterable<HistoryRecord[]>): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const page of pages) for (const r of page) out.push(r);
  return out;
}

/** All shards of an hour, merged in (timestamp, id) order, with their codes packed into one matrix. */
async function readBlock(
  source: HourSource,
  hour: number,
  fromMs: number,
  toMs: number,
  opts: ReadOptions,
): Promise<RecordBlock> {
  const shards = await Promise.all(source.shardPages(hour, fromMs, toMs, opts).map(drain));
  // A damaged item (no 516-byte code) never breaks a search: it is left out, as the record path does.
  const records = shards.flat().filter((r) => r.code.length === ENCODED_BYTES);
  records.sort(before);
  const codes = new Uint8Array(records.length * ENCODED_BYTES);
  records.forEach((r, i) => {
    codes.set(r.code, i * ENCODED_BYTES);
    r.code = codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES);
  });
  return { records, codes };
}

/** The part of an ascending block within [fromMs, toMs] (binary search; no copy of the codes). */
export function sliceBlock(block: RecordBlock, fromMs: number, toMs: number): RecordBlock {
  const first = (ms: number) => {
    let lo = 0,
      hi = block.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (block.records[mid].timestamp < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const a = first(fromMs);
  const b = first(toMs + 1);
  if (a === 0 && b === block.records.length) return block;
  return {
    records: block.records.slice(a, b),
    codes: block.codes.subarray(a * ENCODED_BYTES, b * ENCODED_BYTES),
  };
}

/** A history reader that can also be read record by record (tests, tools), each with its event JSON. */
export interface HourReader extends HistoryReader, AsyncIterable<HistoryRecord> {}

/**
 * The history of a query, block by block (an hour per block) in scan order. The hours come from the hour
 * directory, one UTC year at a time (the next year's listing read ahead), so empty hours cost nothing.
 * With a cache, each hour is read whole and kept, and served again while its write version stands.
 * `prefetch` starts the first reads early (while the face engine runs); the scan takes cached hours when
 * it reaches them. After each year, an empty block carries the scan's progress to the year's edge.
 */
export function blockStream(
  q: HistoryQuery,
  source: HourSource,
  opts: { cache?: BucketCache; lookahead: number },
): HourReader {
  const { fromMs, toMs } = q.range;
  const years = directoryYears(hourOf(fromMs), hourOf(toMs), q.reverse);
  const cache = opts.cache;
  const clip = (hour: number) => ({
    from: Math.max(fromMs, hour * BUCKET_MS),
    to: Math.min(toMs, (hour + 1) * BUCKET_MS - 1),
  });
  const keyOf = (hour: number) => `${source.cacheKey}#${hour}`;
  const readOpts = { deviceIds: q.deviceIds, signal: q.signal };

  /** Directory listings by year index, in scan order, read once. */
  const listings = new Map<number, Promise<Array<[number, string]>>>();
  const listing = (y: number): Promise<Array<[number, string]>> => {
    let l = listings.get(y);
    if (!l) {
      l = source.hours(years[y][0], years[y][1], q.signal).then((m) => {
        const hours = [...m.entries()].sort((a, b) => a[0] - b[0]);
        return q.reverse ? hours.reverse() : hours;
      });
      l.catch(() => undefined); // observed when its turn comes
      listings.set(y, l);
    }
    return l;
  };

  /** Table reads by hour, started once (by prefetch or by the scan). */
  const tableReads = new Map<number, Promise<RecordBlock>>();
  const readTable = (hour: number, version: string): Promise<RecordBlock> => {
    let read = tableReads.get(hour);
    if (!read) {
      const { from, to } = clip(hour);
      read = cache
        ? readBlock(source, hour, hour * BUCKET_MS, (hour + 1) * BUCKET_MS - 1, {
            consistent: true,
            signal: q.signal,
          }).then((b) => sliceBlock(cache.set(keyOf(hour), version, b), from, to))
        : readBlock(source, hour, from, to, readOpts);
      read.catch(() => undefined); // observed when its turn comes
      tableReads.set(hour, read);
    }
    return read;
  };

  /** An hour for the scan: cached while its version stands (the scan holds a claim), else from the table. */
  const load = (hour: number, version: string): Promise<RecordBlock> => {
    const hit = cache && !tableReads.has(hour) ? cache.get(keyOf(hour), version) : undefined;
    if (!hit) return readTable(hour, version);
    const { from, to } = clip(hour);
    return Promise.resolve(sliceBlock(hit, from, to));
  };

  const edge = (first: number, last: number) =>
    q.reverse ? Math.max(fromMs, first * BUCKET_MS) : Math.min(toMs, (last + 1) * BUCKET_MS - 1);

  async function* blocks(): AsyncGenerator<RecordBlock> {
    const done = cache?.claim();
    try {
      for (let y = 0; y < years.length; y++) {
        if (y + 1 < years.length) listing(y + 1);
        const hours = await listing(y);
        // Up to `lookahead` hours are read ahead of the one being scanned, so their round trips overlap.
        const pending: Promise<RecordBlock>[] = [];
        const start = (k: number) => {
          if (k < hours.length && !pending[k]) {
            pending[k] = load(hours[k][0], hours[k][1]);
            pending[k].catch(() => undefined); // observed when its turn comes
          }
        };
        for (let k = 0; k < hours.length; k++) {
          for (let j = k; j <= k + opts.lookahead; j++) start(j);
          const b = await pending[k];
          const { from, to } = clip(hours[k][0]);
          yield { records: b.records, codes: b.codes, through: q.reverse ? from : to };
        }
        yield { records: [], codes: new Uint8Array(0), through: edge(years[y][0], years[y][1]) };
      }
    } finally {
      done?.();
    }
  }

  /** The first year's listing, and table reads of its first hours the cache lacks. */
  const prefetch = (): void => {
    if (years.length === 0) return;
    listing(0).then(
      (hours) =>
        hours.slice(0, opts.lookahead + 1).forEach(([hour, version]) => {
          if (!cache?.has(keyOf(hour), version)) readTable(hour, version);
        }),
      () => undefined, // the scan meets the error itself
    );
  };

  return {
    reverse: q.reverse,
    blocks,
    prefetch,
    docs: (records) => source.docs(records),
    // Record by record (for readers other than the scan): every record with its event JSON, no cache.
    async *[Symbol.asyncIterator]() {
      for (let y = 0; y < years.length; y++) {
        for (const [hour] of await listing(y)) {
          const { from, to } = clip(hour);
          const b = await readBlock(source, hour, from, to, { ...readOpts, withDocs: true });
          const n = b.records.length;
          for (let k = 0; k < n; k++) yield b.records[q.reverse ? n - 1 - k : k];
        }
      }
    },
  };
}
