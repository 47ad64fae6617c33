import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { HistoryReader, HistoryRecord, RecordBlock } from '../core/scan';
import { BUCKET_MS, hourOf } from '../core/timeWindow';
import type { HourCache } from './hourCache';
import { directoryYears } from '../store/keys';
import { pagedBlocks } from './pagedHour';
import { WHOLE_HOUR_RECORDS, type SegmentIndex, type SegmentPiece } from './segmentFormat';
import type { HistoryQuery } from '../store/types';

/** What the block reader needs from the table. */
export interface HourSource {
  /**
   * The shards of `hour` (`shards`, or all) as pages of records within [fromMs, toMs], ascending (or
   * descending with `reverse`), of at most `limit` items, optionally only some devices'; without their
   * event JSON (doc ''); `consistent` for reads that fill the cache.
   */
  shardPages(hour: number, fromMs: number, toMs: number, opts: ReadOptions): AsyncIterable<HistoryRecord[]>[];
  /** The event JSON of these records (undefined where the event is gone). */
  docs(records: HistoryRecord[]): Promise<Array<string | undefined>>;
  /**
   * The hour directory: the hours in [first, last] (hour numbers, one UTC year at most) that have held
   * events, with their write versions (see DynamoEventStore), read strongly consistent.
   */
  hours(first: number, last: number, signal?: AbortSignal): Promise<Map<number, HourEntry>>;
  /** Distinguishes tables (and shard layouts) sharing one cache. */
  cacheKey: string;
}

export interface ReadOptions {
  deviceIds?: string[];
  signal?: AbortSignal;
  shards?: number[];
  reverse?: boolean;
  limit?: number;
  consistent?: boolean;
}

const before = (a: HistoryRecord, b: HistoryRecord) =>
  a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

async function drain(pages: AsyncIterable<HistoryRecord[]>): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const page of pages) for (const r of page) out.push(r);
  return out;
}

/**
 * All shards of an hour, merged in (timestamp, id) order, with their codes packed into one matrix (from
 * `alloc`: the hour cache's kernel memory).
 */
async function readBlock(
  source: HourSource,
  hour: number,
  fromMs: number,
  toMs: number,
  opts: ReadOptions,
  alloc: (bytes: number) => Uint8Array,
): Promise<RecordBlock> {
  const shards = await Promise.all(source.shardPages(hour, fromMs, toMs, opts).map(drain));
  // A damaged item (no 516-byte code) never breaks a search: it is left out.
  const records = shards.flat().filter((r) => r.code.length === ENCODED_BYTES);
  records.sort(before);
  const codes = alloc(records.length * ENCODED_BYTES);
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
 * Settled hours packed as segments (functions/history/segmentStore.ts): the hour's block when a segment
 * built at exactly `version` exists, else undefined (missing, stale, damaged, unsettled, or S3 failing:
 * never throws), and the hour is read from its items.
 */
export interface HourSegments {
  /** With `alloc`, the block's codes are copied once into what it hands out. */
  readHour(
    hour: number,
    version: string,
    alloc?: (bytes: number) => Uint8Array,
  ): Promise<RecordBlock | undefined>;
  /**
   * An hour of more than WHOLE_HOUR_RECORDS is packed as pieces (contiguous sort-key ranges): their
   * index when a pieced segment built at exactly `version` exists, else undefined (the items are read).
   */
  readIndex(hour: number, version: string, signal?: AbortSignal): Promise<SegmentIndex | undefined>;
  /** One piece of that segment as a block (one range read), or undefined (that stretch's items are read). */
  readPiece(
    hour: number,
    version: string,
    piece: SegmentPiece,
    alloc?: (bytes: number) => Uint8Array,
    /** Aborts the read (then undefined): the reader closed before it was needed. */
    signal?: AbortSignal,
  ): Promise<RecordBlock | undefined>;
}

/** An hour's directory entry: its write version, the shards that hold its events, how many it holds. */
export interface HourEntry {
  version: string;
  /** Absent for entries written before shards were listed: every shard then. */
  shards?: number[];
  /** Events written minus deleted (a hint for planning reads; absent for older entries). */
  count?: number;
}

/** Items per query page of a paged hour (about 600 bytes each without the event JSON). */
const PAGE_ITEMS = 1000;
/** Hours are read ahead of the scan while they hold fewer records than this (at least `lookahead`). */
const READ_AHEAD_RECORDS = 20_000;
const MAX_READ_AHEAD_HOURS = 32;

/**
 * The history of a query, block by block in scan order. The hours come from the hour directory, one UTC
 * year at a time (the next year's listing read ahead), so empty hours cost nothing, and only the shards
 * holding events are queried. With a cache, an hour of up to WHOLE_HOUR_RECORDS events is read whole
 * and kept (one block), and served again while its write version stands; a larger hour, or any hour
 * without a cache, is read page by page within the window and only as far as the scan goes
 * (pagedHour.ts). An hour read whole comes from its segment (one S3 GET) when the segment's version
 * is the directory's, else from its items; so a segment read is bounded like an item read (at most
 * WHOLE_HOUR_RECORDS records, about 11 MB) and larger hours stay paged items. `prefetch` starts the first reads early (while the face engine runs). After each year,
 * an empty block carries the scan's progress to the year's edge.
 */
export function blockStream(
  q: HistoryQuery,
  source: HourSource,
  opts: {
    cache?: HourCache;
    segments?: HourSegments;
    lookahead: number;
    blockRecords?: number;
    /** Hours of more events are read by piece or page (WHOLE_HOUR_RECORDS; tests lower it). */
    wholeHourRecords?: number;
  },
): HistoryReader {
  const { fromMs, toMs } = q.range;
  // An empty range (a window wholly past retention) reads nothing.
  const years = fromMs > toMs ? [] : directoryYears(hourOf(fromMs), hourOf(toMs), q.reverse);
  const cache = opts.cache;
  const wholeHour = opts.wholeHourRecords ?? WHOLE_HOUR_RECORDS;
  const clip = (hour: number) => ({
    from: Math.max(fromMs, hour * BUCKET_MS),
    to: Math.min(toMs, (hour + 1) * BUCKET_MS - 1),
  });
  const keyOf = (hour: number) => `${source.cacheKey}#${hour}`;
  const readOpts = { deviceIds: q.deviceIds, signal: q.signal };
  let recordsRead = 0;
  // Whole hours are read into the cache's kernel memory and kept there without a copy, so the reader
  // holds a claim from its first read (the prefetch) until it is closed or its scan ends.
  let held = cache?.claim();
  // Pieces read ahead of the scan end with the reader: no read outlives its call.
  const closed = new AbortController();
  const pieceSignal = q.signal ? AbortSignal.any([q.signal, closed.signal]) : closed.signal;
  const close = () => {
    closed.abort();
    held?.();
    held = undefined;
  };
  const alloc = (bytes: number) => (cache ? cache.alloc(bytes) : new Uint8Array(bytes));
  const counted = (b: RecordBlock) => {
    recordsRead += b.records.length;
    return b;
  };

  /** Directory listings by year index, in scan order, read once. */
  const listings = new Map<number, Promise<Array<[number, HourEntry]>>>();
  /** The write version of every hour listed so far (the matches' event JSON is kept by it). */
  const versions = new Map<number, string>();
  const listing = (y: number): Promise<Array<[number, HourEntry]>> => {
    let l = listings.get(y);
    if (!l) {
      l = source.hours(years[y][0], years[y][1], q.signal).then((m) => {
        for (const [hour, e] of m) versions.set(hour, e.version);
        const hours = [...m.entries()].sort((a, b) => a[0] - b[0]);
        return q.reverse ? hours.reverse() : hours;
      });
      l.catch(() => undefined); // observed when its turn comes
      listings.set(y, l);
    }
    return l;
  };

  const big = (e: HourEntry) => (e.count ?? 0) > wholeHour;
  const paged = (hour: number, e: HourEntry) => !cache || (big(e) && !cache.has(keyOf(hour), e.version));
  /** Big hours are read by piece when their segment is current (the index is read once per reader). */
  const pieced = (e: HourEntry) => big(e) && opts.segments !== undefined;
  const indexReads = new Map<number, Promise<SegmentIndex | undefined>>();
  const readIndex = (hour: number, e: HourEntry) => {
    let read = indexReads.get(hour);
    if (!read) {
      read = opts.segments!.readIndex(hour, e.version, pieceSignal); // never rejects
      indexReads.set(hour, read);
    }
    return read;
  };

  /** Whole-hour table reads by hour, started once (by prefetch or by the scan). */
  const tableReads = new Map<number, Promise<RecordBlock>>();
  const readTable = (hour: number, e: HourEntry): Promise<RecordBlock> => {
    let read = tableReads.get(hour);
    if (!read) {
      const { from, to } = clip(hour);
      const items = () =>
        readBlock(
          source,
          hour,
          hour * BUCKET_MS,
          (hour + 1) * BUCKET_MS - 1,
          { consistent: true, signal: q.signal, shards: e.shards },
          alloc,
        );
      const segment = opts.segments?.readHour(hour, e.version, alloc) ?? Promise.resolve(undefined);
      read = segment
        .then((b) => b ?? items())
        .then((b) => sliceBlock(cache!.set(keyOf(hour), e.version, counted(b)), from, to));
      read.catch(() => undefined); // observed when its turn comes
      tableReads.set(hour, read);
    }
    return read;
  };

  /** A whole hour for the scan: cached while its version stands (the scan holds a claim), else read. */
  const load = (hour: number, e: HourEntry): Promise<RecordBlock> => {
    const hit = !tableReads.has(hour) ? cache!.get(keyOf(hour), e.version) : undefined;
    if (!hit) return readTable(hour, e);
    const { from, to } = clip(hour);
    return Promise.resolve(sliceBlock(hit, from, to));
  };

  /**
   * An hour read page by page within the window (or `part` of it), in scan direction, as far as the
   * scan goes.
   */
  const pages = (hour: number, e: HourEntry, part = clip(hour)) => {
    const { from, to } = part;
    const shards = source.shardPages(hour, from, to, {
      ...readOpts,
      shards: e.shards,
      reverse: q.reverse,
      limit: PAGE_ITEMS,
      consistent: Boolean(cache),
    });
    const edge = q.reverse ? from : to;
    return pagedBlocks(shards, q.reverse, edge, (n) => (recordsRead += n), opts.blockRecords);
  };

  /**
   * A big hour from its pieced segment: only the pieces overlapping the window, in scan direction, one
   * read ahead of the one being scanned, each cached on its own (keyed by the hour's version) and
   * counted as read when asked for; so a call reads about what it examines plus a piece at each end.
   * No current segment: the hour's items page by page; a piece that cannot be read: the rest of the
   * hour's window from its items (pieces never split a millisecond, so that stretch starts clean).
   */
  async function* piecedHour(hour: number, e: HourEntry): AsyncGenerator<RecordBlock> {
    const { from, to } = clip(hour);
    const index = await readIndex(hour, e);
    if (!index) {
      yield* pages(hour, e);
      return;
    }
    const wanted = index.pieces.map((p, i) => ({ p, i })).filter(({ p }) => p.last >= from && p.first <= to);
    if (q.reverse) wanted.reverse();
    const reads: Array<Promise<RecordBlock | undefined>> = [];
    const start = (k: number) => {
      if (k >= wanted.length || k < reads.length) return;
      const { p, i } = wanted[k];
      const key = `${keyOf(hour)}#${i}`;
      const hit = cache?.get(key, e.version);
      if (hit) reads[k] = Promise.resolve(hit);
      else {
        recordsRead += p.count;
        reads[k] = opts
          .segments!.readPiece(hour, e.version, p, alloc, pieceSignal)
          .then((b) => (b && cache ? cache.set(key, e.version, b) : b));
        reads[k].catch(() => undefined); // observed when its turn comes
      }
    };
    for (let k = 0; k < wanted.length; k++) {
      start(k);
      start(k + 1);
      const b = await reads[k];
      const { p } = wanted[k];
      if (!b) {
        yield* pages(
          hour,
          e,
          q.reverse ? { from, to: Math.min(to, p.last) } : { from: Math.max(from, p.first), to },
        );
        return;
      }
      const lastOne = k === wanted.length - 1;
      const through = q.reverse
        ? lastOne
          ? from
          : Math.max(from, p.first)
        : lastOne
          ? to
          : Math.min(to, p.last);
      yield { ...sliceBlock(b, from, to), through };
    }
    if (wanted.length === 0) yield { records: [], codes: new Uint8Array(0), through: q.reverse ? from : to };
  }

  const edge = (first: number, last: number) =>
    q.reverse ? Math.max(fromMs, first * BUCKET_MS) : Math.min(toMs, (last + 1) * BUCKET_MS - 1);

  /**
   * The hours read ahead when the scan is at hours[k]: at least `lookahead` after it, more while they
   * hold fewer than READ_AHEAD_RECORDS together (a sparse history is many small hours).
   */
  const aheadOf = (hours: Array<[number, HourEntry]>, k: number): number[] => {
    const out: number[] = [];
    let records = 0;
    for (let j = k; j < hours.length && j <= k + MAX_READ_AHEAD_HOURS; j++) {
      if (j > k + opts.lookahead && records >= READ_AHEAD_RECORDS) break;
      records += hours[j][1].count ?? WHOLE_HOUR_RECORDS;
      out.push(j);
    }
    return out;
  };

  async function* blocks(): AsyncGenerator<RecordBlock> {
    const done = cache?.claim();
    try {
      for (let y = 0; y < years.length; y++) {
        if (y + 1 < years.length) void listing(y + 1); // started early; listing() observes its rejection
        const hours = await listing(y);
        // Whole hours are read ahead of the one being scanned, so their round trips overlap: at least
        // `lookahead` hours, more while they are small (a sparse history is many small hours).
        const pending: Array<Promise<RecordBlock> | undefined> = [];
        let started = 0;
        const readAhead = (k: number) => {
          for (const j of aheadOf(hours, k)) {
            const [hour, e] = hours[j];
            if (pieced(e)) void readIndex(hour, e);
            if (j < started || paged(hour, e)) continue;
            const read = load(hour, e);
            read.catch(() => undefined); // observed when its turn comes
            pending[j] = read;
            started = j + 1;
          }
        };
        for (let k = 0; k < hours.length; k++) {
          const [hour, e] = hours[k];
          readAhead(k);
          if (pending[k]) {
            const b = await pending[k]!;
            pending[k] = undefined;
            const { from, to } = clip(hour);
            yield { records: b.records, codes: b.codes, through: q.reverse ? from : to };
          } else if (pieced(e)) {
            yield* piecedHour(hour, e);
          } else {
            yield* pages(hour, e);
          }
        }
        yield { records: [], codes: new Uint8Array(0), through: edge(years[y][0], years[y][1]) };
      }
    } finally {
      done?.();
      close();
    }
  }

  /** The first year's listing, and reads of the hours the scan will read ahead first that the cache lacks. */
  const prefetch = (o: { listingOnly?: boolean } = {}): void => {
    if (years.length === 0) return;
    if (o.listingOnly) {
      void listing(0); // listing() observes its rejection
      return;
    }
    listing(0).then(
      (hours) =>
        aheadOf(hours, 0).forEach((j) => {
          const [hour, e] = hours[j];
          if (pieced(e)) void readIndex(hour, e);
          else if (!paged(hour, e) && !cache!.has(keyOf(hour), e.version)) void readTable(hour, e); // readTable observes its rejection
        }),
      () => undefined, // the scan meets the error itself
    );
  };

  /**
   * The matches' event JSON: from the cache where an earlier search fetched it at the hour's listed
   * version, else from the table (and kept). Keyed by the version this search listed, which its blocks
   * were checked against: a write after the listing moves the version, so what is kept under it is
   * what the table held at that version or later, and is read only by searches that listed it.
   */
  const docs = async (records: HistoryRecord[]): Promise<Array<string | undefined>> => {
    if (!cache) return source.docs(records);
    const at = (r: HistoryRecord) => {
      const hour = hourOf(r.timestamp);
      const version = versions.get(hour);
      return version === undefined ? undefined : { key: keyOf(hour), version };
    };
    const out = records.map((r) => {
      const k = at(r);
      return k && cache.doc(k.key, k.version, r.eventId);
    });
    const missing = records.filter((_, i) => out[i] === undefined);
    if (missing.length === 0) return out;
    const fetched = await source.docs(missing);
    let j = 0;
    records.forEach((r, i) => {
      if (out[i] !== undefined) return;
      const d = (out[i] = fetched[j++]);
      const k = at(r);
      if (d !== undefined && k) cache.setDoc(k.key, k.version, r.eventId, d);
    });
    return out;
  };

  return {
    reverse: q.reverse,
    blocks,
    prefetch,
    close,
    docs,
    get recordsRead() {
      return recordsRead;
    },
  };
}
