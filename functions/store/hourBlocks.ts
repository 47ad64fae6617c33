import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { BlockStream, HistoryRecord, RecordBlock } from '../core/scan';
import { BUCKET_MS, hoursToScan } from '../core/timeWindow';
import type { BucketCache } from './bucketCache';
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
  /** The write versions of these hours (see DynamoEventStore), read strongly consistent. */
  versions(hours: number[]): Promise<Map<number, string>>;
  /** Distinguishes tables (and shard layouts) sharing one cache. */
  cacheKey: string;
}

export interface ReadOptions {
  deviceIds?: string[];
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

/**
 * The records of a query, readable record by record or block by block (an hour per block). With a cache,
 * each hour is read whole and kept, and served again while its write version stands; searches then read
 * only the versions (one batch call) and the hours written since. `prefetch` starts those reads early
 * (while the face engine runs); the scan takes cached hours when it reaches them.
 */
export function blockStream(
  q: HistoryQuery,
  source: HourSource,
  opts: { cache?: BucketCache; lookahead: number },
): BlockStream {
  const hours = hoursToScan(q.range, q.reverse);
  const cache = opts.cache;
  const clip = (hour: number) => ({
    from: Math.max(q.range.fromMs, hour * BUCKET_MS),
    to: Math.min(q.range.toMs, (hour + 1) * BUCKET_MS - 1),
  });
  const keyOf = (hour: number) => `${source.cacheKey}#${hour}`;

  // Versions first, data after: a write that lands in between bumps the version past what is cached.
  let versions: Promise<Map<number, string>> | undefined;
  const versionOf = async (hour: number) => {
    versions ??= source.versions(hours);
    return (await versions).get(hour) ?? '0';
  };

  /** Table reads by hour index, started once (by prefetch or by the scan). */
  const tableReads = new Map<number, Promise<RecordBlock>>();
  const readTable = (i: number, version: string | undefined): Promise<RecordBlock> => {
    let read = tableReads.get(i);
    if (!read) {
      const hour = hours[i];
      const { from, to } = clip(hour);
      read =
        cache && version !== undefined
          ? readBlock(source, hour, hour * BUCKET_MS, (hour + 1) * BUCKET_MS - 1, { consistent: true }).then(
              (b) => sliceBlock(cache.set(keyOf(hour), version, b), from, to),
            )
          : readBlock(source, hour, from, to, { deviceIds: q.deviceIds });
      read.catch(() => undefined); // observed when its turn comes
      tableReads.set(i, read);
    }
    return read;
  };

  /** Hour i for the scan: cached while its version stands (the scan holds a claim), else from the table. */
  const load = async (i: number): Promise<RecordBlock> => {
    if (!cache) return readTable(i, undefined);
    const version = await versionOf(hours[i]);
    const hit = tableReads.has(i) ? undefined : cache.get(keyOf(hours[i]), version);
    if (!hit) return readTable(i, version);
    const { from, to } = clip(hours[i]);
    return sliceBlock(hit, from, to);
  };

  async function* blocks(): AsyncGenerator<RecordBlock> {
    const done = cache?.claim();
    try {
      // Up to `lookahead` hours are read ahead of the one being scanned, so their round trips overlap.
      const pending: Promise<RecordBlock>[] = [];
      const start = (i: number) => {
        if (i < hours.length && !pending[i]) {
          pending[i] = load(i);
          pending[i].catch(() => undefined); // observed when its turn comes
        }
      };
      for (let i = 0; i < hours.length; i++) {
        for (let k = i; k <= i + opts.lookahead; k++) start(k);
        yield await pending[i];
      }
    } finally {
      done?.();
    }
  }

  /** The versions, and table reads of the first hours the cache lacks; cached hours are taken later. */
  const prefetch = (): void => {
    const first = hours.slice(0, opts.lookahead + 1);
    if (!cache) {
      first.forEach((_, i) => readTable(i, undefined));
      return;
    }
    first.forEach((hour, i) => {
      versionOf(hour).then(
        (version) => {
          if (!cache.has(keyOf(hour), version)) readTable(i, version);
        },
        () => undefined, // the scan meets the error itself
      );
    });
  };

  return {
    reverse: q.reverse,
    blocks,
    prefetch,
    docs: (records) => source.docs(records),
    // Record by record (for readers other than the scan): every record with its event JSON, no cache.
    async *[Symbol.asyncIterator]() {
      for (const hour of hours) {
        const { from, to } = clip(hour);
        const b = await readBlock(source, hour, from, to, { deviceIds: q.deviceIds, withDocs: true });
        const n = b.records.length;
        for (let k = 0; k < n; k++) yield b.records[q.reverse ? n - 1 - k : k];
      }
    },
  };
}
