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
  /** The stored event fields (JSON), parsed only for matches. */
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
  records: AsyncIterable<HistoryRecord>,
  req: ScanRequest,
): Promise<ScanOutcome> {
  const limits = req.limits ?? CONTRACT_LIMITS;
  const matches: ScanMatch[] = [];
  let examined = 0;
  let lastTimestamp: number | undefined;
  let group: Scored[] = [];

  // Takes a whole millisecond group, or refuses it when it would break a cap after some progress.
  const commit = (): boolean => {
    const hits = group.filter((s) => s.cosine >= req.minCosine);
    if (
      examined > 0 &&
      (examined + group.length > limits.maxExamined || matches.length + hits.length > limits.maxResults)
    ) {
      return false;
    }
    examined += group.length;
    lastTimestamp = group[0].record.timestamp;
    for (const h of hits) matches.push({ record: h.record, cosine: h.cosine });
    group = [];
    return true;
  };

  for await (const s of scoreInChunks(records, req, req.chunkSize ?? 1024)) {
    if (group.length > 0 && s.record.timestamp !== group[0].record.timestamp && !commit()) {
      return { matches, examined, lastTimestamp, haveMore: true };
    }
    group.push(s);
  }
  if (group.length > 0 && !commit()) return { matches, examined, lastTimestamp, haveMore: true };
  return { matches, examined, lastTimestamp, haveMore: false };
}
