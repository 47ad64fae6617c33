import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../shared/config';
import { logger } from '../shared/logger';
import { runJob, type PieceExecutor } from './coordinator';
import type { JobRecord, JobStore, PieceMarker } from './jobStore';
import type { JobSpec } from './pieceScan';
import type { Piece } from './plan';
import { WorkerPool } from './workerPool';

/** What a job worker is handed: one piece of one job. */
export interface PieceTask {
  spec: JobSpec;
  piece: Piece;
  expiresAt: number;
}

/** Where a job's pieces run: worker threads here, a Step Functions map in AWS (stepFunctionsRunner.ts). */
export interface JobRunner {
  /**
   * Starts the job's pieces unless `limit` jobs already run here (false: refused); returns once they are
   * under way (not when they end).
   */
  start(job: JobRecord, limit: number): Promise<boolean>;
  /** Stops the job's pieces (its state is already cancelled). */
  cancel(jobId: string): Promise<void>;
  /** Jobs running now, counted up to `atLeast` (MAX_CONCURRENT_JOBS: all the limit needs to know). */
  runningJobs(atLeast: number): Promise<number>;
  /**
   * Whether the job's pieces ended without moving the job out of running (in AWS: its execution failed,
   * timed out or was aborted outside the map's Catch), so its reader should mark it failed.
   */
  endedUnfinished(jobId: string): Promise<boolean>;
  close(): Promise<void>;
}

// A worker thread starts with no TypeScript loader: under tsx (npm start) and in tests it registers tsx's.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.loader) require(workerData.loader);
require(workerData.entry);
`;

/** A job worker thread for a configuration (the pool spawns them lazily, and again after a death). */
export function spawnPieceWorker(c: Config, localCredentials: boolean): Worker {
  const ts = extname(__filename) === '.ts';
  return new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      entry: join(__dirname, `pieceWorker${extname(__filename)}`),
      loader: ts ? require.resolve('tsx/cjs') : undefined,
      config: c,
      localCredentials,
    },
  });
}

/**
 * The local server's (and the appliance's) job runner: JOB_WORKERS worker threads in this process, apart
 * from the search slots, so a job never takes what the contract's calls need. Pieces of all jobs share
 * the pool in order of arrival.
 */
export class LocalJobRunner implements JobRunner {
  readonly pool: WorkerPool<PieceTask, PieceMarker>;
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly store: JobStore,
    private readonly opts: { workers: number; attempts: number; spawn: () => Worker },
  ) {
    this.pool = new WorkerPool(opts.workers, opts.spawn);
  }

  runningJobs(): Promise<number> {
    return Promise.resolve(this.active.size);
  }

  /** Here a job always ends through runJob, and a process that died is swept at the next start. */
  endedUnfinished(): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** Admission and start in one synchronous step: simultaneous POSTs cannot both take the last slot. */
  start(job: JobRecord, limit: number): Promise<boolean> {
    if (this.active.size >= limit) return Promise.resolve(false);
    const abort = new AbortController();
    const execute: PieceExecutor = (spec, piece, expiresAt, signal) =>
      this.pool.run({ spec, piece, expiresAt }, signal);
    const done = runJob(job, execute, this.store, { attempts: this.opts.attempts, signal: abort.signal })
      .catch(async (err: unknown) => {
        logger.error({ job: job.jobId, err: (err as Error)?.name }, 'job failed');
        await this.store.finish(job.jobId, 'failed').catch(() => undefined);
      })
      .finally(() => this.active.delete(job.jobId));
    this.active.set(job.jobId, { abort, done });
    return Promise.resolve(true);
  }

  async cancel(jobId: string): Promise<void> {
    const a = this.active.get(jobId);
    if (!a) return;
    a.abort.abort(new DOMException('job cancelled', 'AbortError'));
    await a.done;
  }

  /** Resolves once the job has ended here (tests, the bench). */
  async settled(jobId: string): Promise<void> {
    await this.active.get(jobId)?.done;
  }

  async close(): Promise<void> {
    for (const a of this.active.values()) a.abort.abort(new DOMException('server closing', 'AbortError'));
    await Promise.all([...this.active.values()].map((a) => a.done));
    await this.pool.close();
  }
}
