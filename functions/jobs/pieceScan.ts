import { scanHistory } from '../core/scan';
import { resultEvents } from '../search/searchByImage';
import type { HistoryStore } from '../history/historyStore';
import type { Piece } from './plan';

/** What every piece of a job scans for (fixed when the job is accepted; structured-clone safe). */
export interface JobSpec {
  jobId: string;
  /** The query face's embedding, analysed once before the job was accepted. */
  query: Float32Array;
  minCosine: number;
  /** What compare_score subtracts from a cosine (a template's calibration). */
  cosineShift: number;
  reverse: boolean;
  deviceIds?: string[];
  /** The job's cap: no piece needs to keep more. */
  maxResults: number;
}

/** A scanned piece: its matches as the contract's events, in scan order. */
export interface PieceResult {
  index: number;
  events: Array<Record<string, unknown>>;
  /** Records the scan examined (those of the asked devices). */
  examined: number;
  /** Records of the piece by the hour directory (progress: records covered). */
  covered: number;
  /** True when more matches than `maxResults` lie in the piece: the job's results end within it. */
  more: boolean;
}

/**
 * Scans one piece with the contract's own path: the history block reader (segments for settled hours,
 * items otherwise) and the scoring kernel (scanHistory), with no cap on records examined and the job's
 * cap on results. The events come out exactly as the contract's iterated calls over the same stretch
 * would answer them.
 */
export async function scanPiece(
  history: HistoryStore,
  spec: JobSpec,
  piece: Piece,
  signal?: AbortSignal,
): Promise<PieceResult> {
  const reader = history.records({
    range: { fromMs: piece.fromMs, toMs: piece.toMs },
    reverse: spec.reverse,
    deviceIds: spec.deviceIds,
    signal,
  });
  reader.prefetch?.();
  let outcome: Awaited<ReturnType<typeof scanHistory>>;
  try {
    outcome = await scanHistory(reader, {
      query: spec.query,
      minCosine: spec.minCosine,
      deviceIds: spec.deviceIds && new Set(spec.deviceIds),
      limits: { maxExamined: Number.MAX_SAFE_INTEGER, maxResults: spec.maxResults },
      signal,
    });
  } finally {
    reader.close?.(); // the blocks' memory is the cache's again
  }
  return {
    index: piece.index,
    events: resultEvents(outcome.matches, spec.cosineShift).map((e) => e.event),
    examined: outcome.examined,
    covered: piece.records,
    more: outcome.haveMore,
  };
}
