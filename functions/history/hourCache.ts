import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { RecordBlock } from '../core/scan';

/** Memory the scoring kernel scores in place (core/int8Dot.ts `Int8DotKernel` is one). */
export interface CodeMemory {
  /** A view of `bytes` of that memory (zeroed unless `zero` is false), or undefined when it is full. */
  alloc(bytes: number, zero?: boolean): Uint8Array | undefined;
  owns(view: Uint8Array): boolean;
  release(view: Uint8Array): void;
}

export interface HourCacheOptions {
  /**
   * Bytes of records and codes kept; least recently used hours go first. The event JSON of matches
   * (`doc`, `setDoc`) is kept besides, in up to a sixteenth of it.
   */
  budgetBytes: number;
  /** Where cached codes are kept: the kernel's memory, so they are scored without a copy. */
  memory: CodeMemory;
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
 * Hours of history kept in memory between searches (one Lambda container, one local server), each
 * with its codes packed for the scoring kernel. An entry is only served while the hour's write version is
 * unchanged, so a late ingest or a delete in any process is seen on the next search.
 *
 * The codes are kept in the kernel's own memory, where they are scored without being copied first (2.2
 * instead of 3.1 ms per 50,000 records, more when other processes share the memory bus). A block handed
 * out by `get` stays valid until the `claim` taken before it ends: the memory of an entry evicted while
 * a claim that may hold it is open is freed only once that claim ends.
 *
 * @example
 * const done = cache.claim();
 * try { const hit = cache.get(key, version) ?? cache.set(key, version, await readHour()); ... } finally { done(); }
 */
export class HourCache {
  /** Map order is recency: a hit is moved to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  /** Bumped by every retirement: claims taken before a retirement may hold the retired codes. */
  private epoch = 0;
  /** Open claims by the epoch they were taken at. */
  private readonly claims = new Map<number, number>();
  /** Codes of entries no longer cached, in kernel memory, with the epoch they were retired at. */
  private retired: Array<{ codes: Uint8Array; epoch: number }> = [];
  /** Event JSON of matches by `${key}@${version}#${eventId}`, in recency order (see `doc`). */
  private readonly docs = new Map<string, string>();
  private docBytes = 0;

  constructor(private readonly opts: HourCacheOptions) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Kernel bytes of evicted entries that open claims still hold. */
  get retiredBytes(): number {
    return this.retired.reduce((s, r) => s + r.codes.byteLength, 0);
  }

  /**
   * A reader's hold on what `get` hands it from now on: call the returned function when done with those
   * blocks (a scan: when it ends, however it ends).
   */
  claim(): () => void {
    const at = this.epoch;
    this.claims.set(at, (this.claims.get(at) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const n = (this.claims.get(at) ?? 1) - 1;
      if (n > 0) this.claims.set(at, n);
      else this.claims.delete(at);
      this.reclaim();
    };
  }

  /** Whether `key` is cached at exactly `version` (no recency change; the block is not handed out). */
  has(key: string, version: string): boolean {
    return this.entries.get(key)?.version === version;
  }

  /** The block cached for `key` at exactly `version`; a stale entry is dropped. Take a `claim` first. */
  get(key: string, version: string): RecordBlock | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.version !== version) {
      this.retire(e);
      return undefined;
    }
    this.entries.set(key, e);
    return e.block;
  }

  /**
   * Room for `bytes` of codes in the kernel memory (not zeroed), or ordinary memory when that is full. A
   * block whose codes are written there is kept by `set` without a copy.
   */
  alloc(bytes: number): Uint8Array {
    return this.opts.memory.alloc(bytes, false) ?? new Uint8Array(bytes);
  }

  /**
   * Keeps `block` (unless it alone exceeds the budget) and returns it. A block whose codes came from
   * `alloc` is kept as it is: the caller must hold a claim while it uses it (its memory is freed once
   * evicted and every claim taken before has ended; a block not kept is retired at once). Any other
   * block is copied into kernel memory and stays the caller's, needing no claim.
   */
  set(key: string, version: string, block: RecordBlock): RecordBlock {
    this.delete(key);
    const bytes = recordBytes(block);
    const adopt = this.opts.memory.owns(block.codes);
    if (bytes > this.opts.budgetBytes) {
      if (adopt) this.retire({ block, version, bytes: 0 });
      return block;
    }
    for (const [k, e] of this.entries) {
      if (this.used + bytes <= this.opts.budgetBytes) break;
      this.entries.delete(k);
      this.retire(e);
    }
    this.entries.set(key, { block: adopt ? block : inMemory(this.opts.memory, block), version, bytes });
    this.used += bytes;
    return block;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.retire(e);
    }
  }

  clear(): void {
    for (const e of this.entries.values()) this.retire(e);
    this.entries.clear();
    this.docs.clear();
    this.docBytes = 0;
  }

  /**
   * The event JSON of `eventId` in the hour (or piece) `key` as fetched at its write version `version`
   * (`setDoc`), or undefined. Blocks carry no event JSON, so each search fetches its matches' (a
   * `BatchGetItem`, 5–10 ms of a warm search); a search that matches them again at the same version
   * reads them here. Every write or delete in the hour moves its version, so a changed or deleted event
   * is never served from here.
   */
  doc(key: string, version: string, eventId: string): string | undefined {
    const k = `${key}@${version}#${eventId}`;
    const d = this.docs.get(k);
    if (d !== undefined) {
      this.docs.delete(k);
      this.docs.set(k, d);
    }
    return d;
  }

  /** Keeps an event's JSON for `doc`; least recently used ones go first past a sixteenth of the budget. */
  setDoc(key: string, version: string, eventId: string, doc: string): void {
    const k = `${key}@${version}#${eventId}`;
    const bytes = 2 * (k.length + doc.length) + 64;
    const budget = this.opts.budgetBytes / 16;
    if (bytes > budget || this.docs.has(k)) return;
    for (const [old, d] of this.docs) {
      if (this.docBytes + bytes <= budget) break;
      this.docs.delete(old);
      this.docBytes -= 2 * (old.length + d.length) + 64;
    }
    this.docs.set(k, doc);
    this.docBytes += bytes;
  }

  private retire(e: Entry): void {
    this.used -= e.bytes;
    if (!this.opts.memory.owns(e.block.codes)) return;
    this.retired.push({ codes: e.block.codes, epoch: this.epoch++ });
    this.reclaim();
  }

  /** Frees retired codes that no open claim can hold: claims taken after their retirement cannot. */
  private reclaim(): void {
    let oldest = Infinity;
    for (const at of this.claims.keys()) oldest = Math.min(oldest, at);
    this.retired = this.retired.filter((r) => {
      if (r.epoch >= oldest) return true;
      this.opts.memory.release(r.codes);
      return false;
    });
  }
}

/** A copy of the block with its codes in kernel memory (the block itself when that memory is full). */
function inMemory(memory: CodeMemory, block: RecordBlock): RecordBlock {
  const codes = memory.alloc(block.codes.byteLength, false);
  if (!codes) return block;
  codes.set(block.codes);
  const records = block.records.map((r, i) => ({
    ...r,
    code: codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES),
  }));
  return { records, codes };
}

const caches = new Set<HourCache>();

/** A cache that `dropSearchCaches` empties (the benchmark's cold runs). */
export function createHourCache(opts: HourCacheOptions): HourCache {
  const c = new HourCache(opts);
  caches.add(c);
  return c;
}

/** Empties every cache created by createHourCache in this process. */
export function dropSearchCaches(): void {
  for (const c of caches) c.clear();
}
