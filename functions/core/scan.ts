import { scoreCodes } from './similarity';

/** One history record as the scan sees it: enough to order, filter and score it. */
export interface HistoryRecord {
  /** Integer ms; records arrive ordered by (timestamp, id) in scan direction. */
  timestamp: number;
  eventId: string;
  deviceId: string;
  /** The 516-byte stored embedding. */
  code: Uint8Array;
  /** The stored event fields (JSON), parsed only for matches ('' in blocks until HistoryReader.docs). */
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
  /**
   * Asked between blocks once the scan has advanced: true ends the call there (its time budget is
   * spent) with have_more, at the edge of what it covered.
   */
  outOfTime?: () => boolean;
  /** Aborted: the caller is gone (client disconnect, Lambda about to time out); the scan throws. */
  signal?: AbortSignal;
}

export interface ScanMatch {
  record: HistoryRecord;
  cosine: number;
}

export interface ScanOutcome {
  matches: ScanMatch[];
  examined: number;
  /**
   * The last millisecond (in scan direction) this call covered completely: its last examined record's,
   * or further when the blocks after it were empty. Undefined when it covered nothing.
   */
  through?: number;
  /** True when records may remain beyond `through`. */
  haveMore: boolean;
}

/**
 * Records of one stretch of history with their codes packed back to back in the same order. A block
 * never splits a millisecond: every record of each millisecond it holds is in it.
 */
export interface RecordBlock {
  /** Ascending (timestamp, id) order. */
  records: HistoryRecord[];
  /** records[i]'s code at bytes [i × 516, (i + 1) × 516): scored in one kernel call. */
  codes: Uint8Array;
  /**
   * The last millisecond, in scan direction, up to which this block covers the window completely
   * (there may be no record at it). Blocks handed to the scan carry it; cached blocks need not.
   */
  through?: number;
}

/**
 * The history of a window as the scan reads it: blocks of packed codes in scan order, each ascending (a
 * reverse scan walks each backwards). The one interface between the scan and where history lives
 * (functions/history/: DynamoDB hours, their segments, the hour cache).
 */
export interface HistoryReader {
  blocks(): AsyncIterable<RecordBlock>;
  reverse: boolean;
  /**
   * Block records carry no event JSON (`doc` is empty: the scan reads only what scoring needs); this
   * fetches it for the matches, undefined for an event deleted meanwhile.
   */
  docs(records: HistoryRecord[]): Promise<Array<string | undefined>>;
  /**
   * Starts the first reads before the scan needs them (while the query face is being computed): the
   * window's first directory listing and the hours the scan reads first; with `listingOnly`, the
   * listing alone (a search before its slot is held). A later call starts what is not started yet.
   */
  prefetch?(opts?: { listingOnly?: boolean }): void;
  /** Records read from storage so far (cache hits not counted). */
  readonly recordsRead?: number;
  /**
   * Ends the reader's hold on the memory of the blocks it handed out (they must not be used after);
   * the end of `blocks()` does it too. A caller that may never iterate calls it when done.
   */
  close?(): void;
}

/**
 * Scans blocks in order, scoring each against the query, and stops at the contract's caps (or its time
 * budget) without splitting a millisecond: records sharing a timestamp are examined together or not at
 * all, so a client resuming one millisecond beyond `through` neither misses nor repeats one. Only a
 * call's first millisecond may exceed the caps (otherwise a crowd in one millisecond would stall
 * iteration).
 *
 * @example const out = await scanHistory(history.records(query), { query, minCosine: cosineForScore(82) });
 */
export async function scanHistory(history: HistoryReader, req: ScanRequest): Promise<ScanOutcome> {
  const state = new ScanState(req.limits ?? CONTRACT_LIMITS, req.minCosine);
  let out = new Float32Array(0);
  for await (const block of history.blocks()) {
    req.signal?.throwIfAborted();
    const n = block.records.length;
    if (out.length < n) out = new Float32Array(n);
    scoreCodes(req.query, block.codes, n, out);
    if (!req.deviceIds && state.takeWhole(block, out, history.reverse)) {
      if (req.outOfTime?.() && state.advanced) return withDocs(history, state.stopped());
      continue;
    }
    for (let k = 0; k < n; k++) {
      const i = history.reverse ? n - 1 - k : k;
      const r = block.records[i];
      if (req.deviceIds && !req.deviceIds.has(r.deviceId)) continue;
      if (!state.push(r, out[i])) return withDocs(history, state.stopped());
    }
    // Blocks never split a millisecond: the group in hand is complete.
    if (!state.endBlock(block.through)) return withDocs(history, state.stopped());
    if (req.outOfTime?.() && state.advanced) return withDocs(history, state.stopped());
  }
  req.signal?.throwIfAborted();
  return withDocs(history, state.finish());
}

/** The matches with their event JSON (copies: block records may be shared with a cache). */
async function withDocs(history: HistoryReader, outcome: ScanOutcome): Promise<ScanOutcome> {
  const docs = await history.docs(outcome.matches.map((m) => m.record));
  const matches: ScanMatch[] = [];
  outcome.matches.forEach((m, i) => {
    const doc = docs[i];
    if (doc !== undefined) matches.push({ record: { ...m.record, doc }, cosine: m.cosine });
  });
  return { ...outcome, matches };
}

/** Examined records, grouped by millisecond, against the caps. */
class ScanState {
  private readonly matches: ScanMatch[] = [];
  private examined = 0;
  private through: number | undefined;
  /** The millisecond being collected: its size and its hits. */
  private groupTimestamp = NaN;
  private groupSize = 0;
  private groupHits: ScanMatch[] = [];

  constructor(
    private readonly limits: ScanLimits,
    private readonly minCosine: number,
  ) {}

  get advanced(): boolean {
    return this.through !== undefined;
  }

  /** Adds a scored record; false when the caps stopped the scan before it (it was not taken). */
  push(record: HistoryRecord, cosine: number): boolean {
    if (this.groupSize > 0 && record.timestamp !== this.groupTimestamp && !this.commit()) return false;
    if (this.groupSize === 0) this.groupTimestamp = record.timestamp;
    this.groupSize++;
    if (cosine >= this.minCosine) this.groupHits.push({ record, cosine });
    return true;
  }

  /**
   * A whole block at once, when no cap can stop the scan inside it (every record counts, the examined
   * cap holds them all and the result cap all its hits): the same outcome as pushing its records one by
   * one, without visiting each record (a 50,000-record scan spent ~4 ms there). False: it took nothing.
   */
  takeWhole(block: RecordBlock, cosines: Float32Array, reverse: boolean): boolean {
    const n = block.records.length;
    if (this.groupSize > 0 || (this.examined > 0 && this.examined + n > this.limits.maxExamined))
      return false;
    let hits = 0;
    for (let i = 0; i < n; i++) if (cosines[i] >= this.minCosine) hits++;
    if (this.examined > 0 && this.matches.length + hits > this.limits.maxResults) return false;
    // The first group of a scan is taken past the caps (commit()): a block that could be cut after it
    // goes the slow way, so the cut falls where pushing would put it.
    if (this.examined === 0 && (n > this.limits.maxExamined || hits > this.limits.maxResults)) return false;
    for (let k = 0; k < n && hits > 0; k++) {
      const i = reverse ? n - 1 - k : k;
      if (cosines[i] >= this.minCosine) {
        this.matches.push({ record: block.records[i], cosine: cosines[i] });
        hits--;
      }
    }
    this.examined += n;
    if (n > 0) this.through = block.records[reverse ? 0 : n - 1].timestamp;
    if (block.through !== undefined) this.through = block.through;
    return true;
  }

  /** The end of a block: its last group is whole; what it covers is covered. False: caps stopped it. */
  endBlock(through: number | undefined): boolean {
    if (this.groupSize > 0 && !this.commit()) return false;
    if (through !== undefined) this.through = through;
    return true;
  }

  stopped(): ScanOutcome {
    return { matches: this.matches, examined: this.examined, through: this.through, haveMore: true };
  }

  finish(): ScanOutcome {
    if (this.groupSize > 0 && !this.commit()) return this.stopped();
    return { matches: this.matches, examined: this.examined, through: this.through, haveMore: false };
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
    this.through = this.groupTimestamp;
    for (const h of this.groupHits) this.matches.push(h);
    this.groupSize = 0;
    this.groupHits = [];
    return true;
  }
}
