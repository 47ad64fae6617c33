import { lambdaClients, lambdaServices } from '../composition/lambda';
import { config } from '../shared/config';
import type { HistoryStore } from '../history/historyStore';
import { logger } from '../shared/logger';
import { settledPrefix, specOf } from './coordinator';
import { JobSlots } from './jobSlots';
import type { JobStore } from './jobStore';
import { scanPiece } from './pieceScan';
import type { Piece } from './plan';
import { createJobStore } from './services';

/** What the state machine hands a piece Lambda: one piece of one job, or the job's failure (its Catch). */
export type PieceInput = { jobId: string; piece: Piece } | { jobId: string; failed: true };

export interface PieceOutput {
  index?: number;
  skipped?: boolean;
  matches?: number;
}

let jobs: JobStore | undefined;
const jobStore = () => (jobs ??= createJobStore(config(), lambdaClients()));
let slots: JobSlots | undefined;
const jobSlots = () =>
  (slots ??= new JobSlots(lambdaClients().dynamo, {
    table: config().EVENTS_TABLE,
    leaseSeconds: config().JOB_SLOT_LEASE_SECONDS,
  }));

/**
 * Runs one piece of a job in AWS (the Step Functions map's task): reads the job's spec from the job
 * store, scans the piece and stores its result. Idempotent: a retried piece overwrites its own result
 * and marker. The coordinator's end-of-job rule runs here too, since no process watches the map: once
 * the leading pieces decide the job, the piece that completed them moves it to done (the rest skip).
 * The job's end, done or failed (the Catch), frees its admission slot.
 */
export async function runPiece(
  input: PieceInput,
  store: JobStore = jobStore(),
  history: HistoryStore = lambdaServices().history,
  admission: JobSlots = jobSlots(),
): Promise<PieceOutput> {
  if ('failed' in input) {
    await store.finish(input.jobId, 'failed');
    await admission.release(input.jobId);
    return {};
  }
  const job = await store.get(input.jobId);
  // Gone, cancelled or already decided: nothing to scan.
  if (!job || job.state !== 'running') return { index: input.piece.index, skipped: true };
  const r = await scanPiece(history, specOf(job), input.piece);
  await store.putPiece(job.jobId, job.expiresAt, r);
  const prefix = settledPrefix(job.pieces.length, await store.pieces(job.jobId), job.maxResults);
  if (prefix.complete) {
    await store.finish(job.jobId, 'done', prefix.truncated);
    await admission.release(job.jobId);
  }
  logger.info({ job: job.jobId, piece: r.index, matches: r.events.length }, 'job piece done');
  return { index: r.index, matches: r.events.length };
}

export const handler = (input: PieceInput): Promise<PieceOutput> => runPiece(input);
