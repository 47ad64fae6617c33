import type { RecordBlock } from '../core/scan';

export interface BucketCacheOptions {
  /** Bytes of records and codes kept; least recently used hours go first. */
  budgetBytes: number;
}

interface Entry {
  block: RecordBlock;
  /** The hour's write version when the block was read (see DynamoEventStore: every write bumps it). */
  version: string;
  bytes: number;
}

/** Rough bytes a cached record costs beyond its code: object, id and device strings, the event JSON. */
function recordBytes(block: RecordBlock): number {
  let b = block.codes.byteLength;
  for (const r of block.records) b += 96 + 2 * (r.eventId.length + r.deviceId.length + r.doc.length);
  return b;
}

/**
 * Hour buckets of history kept in memory between searches (one Lambda container, one local server), each
 * with its codes packed for the scoring kernel. An entry is only served while the hour's write version is
 * unchanged, so a late ingest or a delete in any process is seen on the next search.
 *
 * @example
 * const hit = cache.get(key, version) ?? cache.set(key, version, await readHour());
 */
export class BucketCache {
  /** Map order is recency: a hit is moved to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Entry>();
  private used = 0;

  constructor(private readonly opts: BucketCacheOptions) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The block cached for `key` at exactly `version`; a stale entry is dropped. */
  get(key: string, version: string): RecordBlock | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.version !== version) {
      this.used -= e.bytes;
      return undefined;
    }
    this.entries.set(key, e);
    return e.block;
  }

  /** Keeps `block` (unless it alone exceeds the budget) and returns it. */
  set(key: string, version: string, block: RecordBlock): RecordBlock {
    this.delete(key);
    const bytes = recordBytes(block);
    if (bytes > this.opts.budgetBytes) return block;
    for (const [k, e] of this.entries) {
      if (this.used + bytes <= this.opts.budgetBytes) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
    this.entries.set(key, { block, version, bytes });
    this.used += bytes;
    return block;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.used -= e.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}

const caches = new Set<BucketCache>();

/** A cache that `dropSearchCaches` empties (the benchmark's cold runs). */
export function createBucketCache(opts: BucketCacheOptions): BucketCache {
  const c = new BucketCache(opts);
  caches.add(c);
  return c;
}

/** Empties every cache created by createBucketCache in this process. */
export function dropSearchCaches(): void {
  for (const c of caches) c.clear();
}
