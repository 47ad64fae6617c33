import { ENCODED_BYTES } from './embeddingCodec';
import { scoreCodes } from './similarity';

/** One history record as the scan sees it: enough to order, filter and score it. */
export interface HistoryRecord {
  /** Integer ms; records arrive ordered by (timestamp, id) in scan direction. */
  timestamp: number;
  eventId: string;
  deviceId: string;
  /** The 516-byte stored embedding. */
  code: Uint8Array;
  /** The stored event fields (JSON), parsed only for matches ('' in blocks until BlockStream.docs). */
  doc: string;
}

export interface ScanLimits {
  /** Records examined per call (the contract's 50,000). */
  maxExamined: number;
  /** Results per call (the contract's 1,000). */
  maxResults: number;
}

export const CONTRACT_LIMITS: ScanLimits = { maxExamined: 50_000, maxResults: 1_000 };

export interface ScanRequest {
  query: Float32Array;
  /** Records at or above this cosine match. */
  minCosine: number;
  /** Only records of these devices are examined; undefined: all. */
  deviceIds?: ReadonlySet<string>;
  limits?: ScanLimits;
  /** Records scored per kernel call. */
  chunkSize?: number;
}

export interface ScanMatch {
  record: HistoryRecord;
  cosine: number;
}

export interface ScanOutcome {
  matches: ScanMatch[];
  examined: number;
  /** Timestamp of the last record examined; undefined when none was. */
  lastTimestamp?: number;
  /** True when records remain beyond lastTimestamp. */
  haveMore: boolean;
}

type Scored = { record: HistoryRecord; cosine: number };

/** Records of one stretch of history with their codes packed back to back in the same order. */
export interface RecordBlock {
  /** Ascending (timestamp, id) order. */
  records: HistoryRecord[];
  /** records[i]'s code at bytes [i × 516, (i + 1) × 516): scored in one kernel call. */
  codes: Uint8Array;
}

/**
 * A record stream that can also be read block by block: the scan then scores a whole block per kernel
 * call and walks plain arrays, instead of awaiting every record (50,000 awaits cost more than the
 * scoring itself).
 */
export interface BlockStream extends AsyncIterable<HistoryRecord> {
  /** The same records: blocks in scan order, each ascending (a reverse scan walks each backwards). */
  blocks(): AsyncIterable<RecordBlock>;
  reverse: boolean;
  /**
   * Block records carry no event JSON (`doc` is empty: the scan reads only what scoring needs); this
   * fetches it for the matches, undefined for an event deleted meanwhile.
   */
  docs(records: HistoryRecord[]): Promise<Array<string | undefined>>;
  /** Starts the first reads before the scan needs them (while the query face is being computed). */
  prefetch?(): void;
}

/**
 * Starts a block stream's first reads ahead of `scanHistory` (nothing for a plain record stream).
 *
 * @example const history = store.records(query); prefetchHistory(history); const face = await engine...;
 */
export function prefetchHistory(records: AsyncIterable<HistoryRecord>): void {
  if (isBlockStream(records)) records.prefetch?.();
}

function isBlockStream(s: AsyncIterable<HistoryRecord>): s is BlockStream {
  return typeof (s as Partial<BlockStream>).blocks === 'function';
}

async function* scoreInChunks(
  records: AsyncIterable<HistoryRecord>,
  req: ScanRequest,
  chunkSize: number,
): AsyncGenerator<Scored> {
  const packed = new Uint8Array(chunkSize * ENCODED_BYTES);
  const out = new Float32Array(chunkSize);
  let chunk: HistoryRecord[] = [];
  const flush = function* () {
    chunk.forEach((r, k) => packed.set(r.code, k * ENCODED_BYTES));
    scoreCodes(req.query, packed, chunk.length, out);
    for (let k = 0; k < chunk.length; k++) yield { record: chunk[k], cosine: out[k] };
    chunk = [];
  };
  for await (const r of records) {
    if (req.deviceIds && !req.deviceIds.has(r.deviceId)) continue;
    if (r.code.length !== ENCODED_BYTES) continue; // a damaged item never breaks a search
    chunk.push(r);
    if (chunk.length === chunkSize) yield* flush();
  }
  if (chunk.length > 0) yield* flush();
}

/**
 * Scans records in order, scoring each against the query, and stops at the contract's caps without
 * splitting a millisecond: records sharing a timestamp are examined together or not at all, so a client
 * resuming strictly after `lastTimestamp` neither misses nor repeats one. Only a call's first
 * millisecond may exceed the caps (otherwise a crowd in one millisecond would stall iteration).
 *
 * @example const out = await scanHistory(store.records(range), { query, minCosine: cosineForScore(82) });
 */
export async function scanHistory(
  records: AsyncIterable<HistoryRecord> | BlockStream,
  req: ScanRequest,
): Promise<ScanOutcome> {
  const state = new ScanState(req.limits ?? CONTRACT_LIMITS, req.minCosine);
  if (isBlockStream(records)) {
    let out = new Float32Array(0);
    for await (const block of records.blocks()) {
      const n = block.records.length;
      if (out.length < n) out = new Float32Array(n);
      scoreCodes(req.query, block.codes, n, out);
      for (let k = 0; k < n; k++) {
        const i = records.reverse ? n - 1 - k : k;
        const r = block.records[i];
        if (req.deviceIds && !req.deviceIds.has(r.deviceId)) continue;
        if (!state.push(r, out[i])) return withDocs(records, state.stopped());
      }
    }
    return withDocs(records, state.finish());
  }
  for await (const s of scoreInChunks(records, req, req.chunkSize ?? 1024)) {
    if (!state.push(s.record, s.cosine)) return state.stopped();
  }
  return state.finish();
}

/** The matches with their event JSON (copies: block records may be shared with a cache). */
async function withDocs(stream: BlockStream, outcome: ScanOutcome): Promise<ScanOutcome> {
  const docs = await stream.docs(outcome.matches.map((m) => m.record));
  const matches: ScanMatch[] = [];
  outcome.matches.forEach((m, i) => {
    const doc = docs[i];
    if (doc !== undefined) matches.push({ record: { ...m.record, doc }, cosine: m.cosine });
  });
  return { ...outcome, matches };
}

/** Examined records, grouped by millisecond, against the caps: shared by the record and block paths. */
class ScanState {
  private readonly matches: ScanMatch[] = [];
  private examined = 0;
  private lastTimestamp: number | undefined;
  /** The millisecond being collected: its size and its hits. */
  private groupTimestamp = NaN;
  private groupSize = 0;
  private groupHits: Scored[] = [];

  constructor(
    private readonly limits: ScanLimits,
    private readonly minCosine: number,
  ) {}

  /** Adds a scored record; false when the caps stopped the scan before it (it was not taken). */
  push(record: HistoryRecord, cosine: number): boolean {
    if (this.groupSize > 0 && record.timestamp !== this.groupTimestamp && !this.commit()) return false;
    if (this.groupSize === 0) this.groupTimestamp = record.timestamp;
    this.groupSize++;
    if (cosine >= this.minCosine) this.groupHits.push({ record, cosine });
    return true;
  }

  stopped(): ScanOutcome {
    return {
      matches: this.matches,
      examined: this.examined,
      lastTimestamp: this.lastTimestamp,
      haveMore: true,
    };
  }

  finish(): ScanOutcome {
    if (this.groupSize > 0 && !this.commit()) return this.stopped();
    return {
      matches: this.matches,
      examined: this.examined,
      lastTimestamp: this.lastTimestamp,
      haveMore: false,
    };
  }

  // Takes a whole millisecond group, or refuses it when it would break a cap after some progress.
  private commit(): boolean {
    const { maxExamined, maxResults } = this.limits;
    if (
      this.examined > 0 &&
      (this.examined + this.groupSize > maxExamined ||
        this.matches.length + this.groupHits.length > maxResults)
    ) {
      return false;
    }
    this.examined += this.groupSize;
    this.lastTimestamp = this.groupTimestamp;
    for (const h of this.groupHits) this.matches.push(h);
    this.groupSize = 0;
    this.groupHits = [];
    return true;
  }
}
