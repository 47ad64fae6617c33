import { setMaxListeners } from 'node:events';
import { logger } from '../shared/logger';
import type { JobRecord, JobStore, PieceMarker } from './jobStore';
import type { JobSpec } from './pieceScan';
import type { Piece } from './plan';

/** Runs one piece somewhere (a worker thread, a Lambda) and stores its result; answers its marker. */
export type PieceExecutor = (
  spec: JobSpec,
  piece: Piece,
  expiresAt: number,
  signal: AbortSignal,
) => Promise<PieceMarker>;

export const specOf = (job: JobRecord): JobSpec => ({
  jobId: job.jobId,
  query: job.query,
  minCosine: job.minCosine,
  cosineShift: job.cosineShift,
  reverse: job.reverse,
  deviceIds: job.deviceIds,
  maxResults: job.maxResults,
});

/**
 * Where a job's results end, from its finished pieces: the leading pieces (in scan order) all finished,
 * and whether they already decide the job (`max_results` reached, or a piece whose matches passed it).
 */
export function settledPrefix(
  pieces: number,
  markers: ReadonlyMap<number, PieceMarker>,
  maxResults: number,
): { through: number; matches: number; complete: boolean; truncated: boolean } {
  let matches = 0;
  let k = 0;
  for (; k < pieces; k++) {
    const m = markers.get(k);
    if (!m) break;
    matches += m.matches;
    if (m.more || matches > maxResults) return { through: k + 1, matches, complete: true, truncated: true };
    if (matches === maxResults && k + 1 < pieces) {
      // Exactly full: later pieces can only add what the cap drops.
      return { through: k + 1, matches, complete: true, truncated: true };
    }
  }
  return { through: k, matches, complete: k === pieces, truncated: false };
}

/**
 * Runs a job's pieces through `execute` (all handed over at once in scan order: the executor's own
 * limit queues them), retrying a failed piece up to `attempts` times in all; a retried piece overwrites
 * its own result, so it never duplicates or loses events. Stops the rest as soon as the leading pieces
 * decide the job (max_results reached), or when `signal` aborts (cancel). Ends by moving the job to done
 * or failed, unless it was cancelled meanwhile.
 */
export async function runJob(
  job: JobRecord,
  execute: PieceExecutor,
  store: JobStore,
  opts: { attempts: number; signal: AbortSignal },
): Promise<void> {
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every piece in the pool's queue listens to it
  const onAbort = () => stop.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const markers = new Map<number, PieceMarker>();
  const spec = specOf(job);
  let failure: unknown;
  let truncated = false;

  const one = async (piece: Piece): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (stop.signal.aborted) return;
      try {
        markers.set(piece.index, await execute(spec, piece, job.expiresAt, stop.signal));
        const prefix = settledPrefix(job.pieces.length, markers, job.maxResults);
        if (prefix.complete && prefix.through < job.pieces.length) {
          truncated = prefix.truncated;
          stop.abort(new DOMException('results complete', 'AbortError'));
        }
        truncated ||= prefix.truncated;
        return;
      } catch (err) {
        if (stop.signal.aborted) return;
        logger.warn(
          { job: job.jobId, piece: piece.index, attempt, err: (err as Error)?.name },
          'job piece failed',
        );
        if (attempt >= opts.attempts) {
          failure = err;
          stop.abort(err);
          return;
        }
      }
    }
  };

  try {
    await Promise.all(job.pieces.map(one));
    if (opts.signal.aborted) return; // cancelled: the DELETE set the state
    await store.finish(job.jobId, failure === undefined ? 'done' : 'failed', truncated);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}
