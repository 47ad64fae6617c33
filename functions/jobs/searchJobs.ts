import { randomUUID } from 'node:crypto';
import { parseSearchRequest, requireObject } from '../core/contract';
import { ContractError, invalidArgument } from '../core/errors';
import { cosineForScore } from '../core/score';
import { remainingRange } from '../core/timeWindow';
import type { FaceEngine } from '../core/face';
import { embedQuery, readQueryInput } from '../search/queryEmbedding';
import type { Services } from '../store/services';
import { settledPrefix } from './coordinator';
import { hourCounts } from './hourCounts';
import type { JobRecord, JobState, JobStore } from './jobStore';
import type { JobRunner } from './localRunner';
import { planPieces } from './plan';

export interface JobDeps {
  services: Services;
  engine: () => FaceEngine;
  jobs: JobStore;
  runner: JobRunner;
  now?: () => number;
}

export interface JobAccepted {
  job_id: string;
  state: 'running';
  records_total: number;
}

export interface JobPage {
  job_id: string;
  state: JobState;
  records_examined: number;
  records_total: number;
  events: Array<Record<string, unknown>>;
  next_page_token: string | null;
  truncated: boolean;
}

/** Job ids are random UUIDs: anything else names no job. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Room kept in a page for the fields around the events. */
const ENVELOPE_BYTES = 4096;
/** Events per page at most, whatever their size (a page is one piece read or a few). */
const PAGE_EVENTS = 5000;
export const MAX_RESULTS_RULE = (cap: number) => `must be an integer from 1 to ${cap}`;

const slotsTaken = (limit: number) =>
  new ContractError(
    'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR',
    `every job slot is taken (${limit} jobs running); retry when one has finished`,
  );

const notFound = () => new ContractError('NOT_FOUND', 'job_id: no search job has this id (or it expired)');

/**
 * POST /sophon/v2/face/searchjobs: the search body plus `max_results`. The query face is analysed here,
 * once, so photo errors come back at once with the contract's codes; then the window is planned into
 * pieces from the hour directory's counts and handed to the runner. Answers 202's body.
 */
export async function createSearchJob(body: unknown, deps: JobDeps): Promise<JobAccepted> {
  const c = deps.services.config;
  if (c.GRAB_MODE) throw new ContractError('NOT_SUPPORT_IN_GRAB_MODE');
  const nowMs = (deps.now ?? Date.now)();
  const q = parseSearchRequest(body, nowMs, c.MAX_IMAGE_BYTES);
  const raw = requireObject(body).max_results;
  let maxResults = c.JOB_DEFAULT_MAX_RESULTS;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > c.JOB_MAX_RESULTS) {
      throw invalidArgument('max_results', MAX_RESULTS_RULE(c.JOB_MAX_RESULTS));
    }
    maxResults = raw;
  }
  maxResults = Math.min(maxResults, c.JOB_MAX_RESULTS);
  // A first look, before the face analysis: a full house answers at once. The runner admits for good.
  if ((await deps.runner.runningJobs(c.MAX_CONCURRENT_JOBS)) >= c.MAX_CONCURRENT_JOBS) {
    throw slotsTaken(c.MAX_CONCURRENT_JOBS);
  }
  const input = await readQueryInput(
    q.query,
    deps.services,
    { imageBucket: c.IMAGE_BUCKET, allowedBuckets: c.ALLOWED_BUCKETS, imageRoot: c.IMAGE_ROOT },
    c.MAX_IMAGE_BYTES,
  );
  const face = await embedQuery(input, deps.engine(), q.fiqaLevel);

  const range = remainingRange(q.startMs, q.endMs, q.resumeMs, q.reverse);
  const hours = range ? await hourCounts(deps.services.clients.dynamo, c.EVENTS_TABLE, range) : [];
  const pieces = range ? planPieces(hours, range, q.reverse, c.JOB_PIECE_RECORDS) : [];
  const job: JobRecord = {
    jobId: randomUUID(),
    state: 'running',
    createdAtMs: nowMs,
    expiresAt: Math.ceil((nowMs + c.JOB_TTL_HOURS * 3_600_000) / 1000),
    startMs: range?.fromMs ?? q.startMs,
    endMs: range?.toMs ?? q.endMs,
    reverse: q.reverse,
    deviceIds: q.deviceIds,
    minCosine: cosineForScore(q.threshold, face.cosineShift),
    cosineShift: face.cosineShift,
    maxResults,
    query: face.embedding,
    pieces,
    recordsTotal: pieces.reduce((a, p) => a + p.records, 0),
  };
  await deps.jobs.create(job);
  if (pieces.length === 0) await deps.jobs.finish(job.jobId, 'done');
  else {
    // A job whose pieces never started would read as running until it expired.
    const started = await deps.runner.start(job, c.MAX_CONCURRENT_JOBS).catch(async (err: unknown) => {
      await deps.jobs.finish(job.jobId, 'failed').catch(() => undefined);
      throw err;
    });
    if (!started) {
      await deps.jobs.finish(job.jobId, 'failed');
      throw slotsTaken(c.MAX_CONCURRENT_JOBS);
    }
  }
  return { job_id: job.jobId, state: 'running', records_total: job.recordsTotal };
}

async function liveJob(jobId: string, deps: JobDeps): Promise<JobRecord> {
  if (!JOB_ID.test(jobId)) throw notFound();
  const job = await deps.jobs.get(jobId);
  if (!job || job.expiresAt * 1000 <= (deps.now ?? Date.now)()) throw notFound();
  return job;
}

function decodeToken(token: string | undefined): { p: number; o: number } {
  if (token === undefined || token === '') return { p: 0, o: 0 };
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { p: unknown; o: unknown };
    if (Number.isInteger(t.p) && Number.isInteger(t.o) && (t.p as number) >= 0 && (t.o as number) >= 0) {
      return { p: t.p as number, o: t.o as number };
    }
  } catch {
    // falls through to the error
  }
  throw invalidArgument('page_token', 'must be a next_page_token this job answered');
}

const encodeToken = (p: number, o: number) => Buffer.from(JSON.stringify({ p, o })).toString('base64url');

/**
 * GET /sophon/v2/face/searchjobs/{job_id}: where the job stands and a page of its events, in the
 * contract's order. While it runs, the events of the leading pieces already finished (the time already
 * covered, in scan order) are served, and the page's token resumes where they end. A job still running
 * whose pieces ended without finishing it (in AWS: its execution timed out or failed) is failed here.
 */
export async function readSearchJob(
  jobId: string,
  pageToken: string | undefined,
  deps: JobDeps,
): Promise<JobPage> {
  const job = await liveJob(jobId, deps);
  if (job.state === 'running' && (await deps.runner.endedUnfinished(jobId))) {
    // Only from running: a piece or a DELETE that got there first keeps its state.
    await deps.jobs.finish(jobId, 'failed');
    job.state = (await deps.jobs.get(jobId))?.state ?? 'failed';
  }
  const markers = await deps.jobs.pieces(jobId);
  const prefix = settledPrefix(job.pieces.length, markers, job.maxResults);
  let examined = 0;
  for (const m of markers.values()) examined += m.covered;

  const maxBytes = deps.services.config.MAX_RESPONSE_BYTES - ENVELOPE_BYTES;
  const events: Array<Record<string, unknown>> = [];
  let bytes = 0;
  let { p, o } = decodeToken(pageToken);
  let served = 0; // events before piece p, in the job's order
  for (let k = 0; k < Math.min(p, prefix.through); k++) served += markers.get(k)!.matches;
  served += o;
  let full = false;
  while (p < prefix.through && served < job.maxResults && !full) {
    const m = markers.get(p)!;
    if (o < m.matches) {
      const list = await deps.jobs.pieceEvents(jobId, p);
      for (; o < list.length && served < job.maxResults; o++, served++) {
        const size = Buffer.byteLength(JSON.stringify(list[o])) + 1;
        if (events.length > 0 && (bytes + size > maxBytes || events.length >= PAGE_EVENTS)) {
          full = true;
          break;
        }
        events.push(list[o]);
        bytes += size;
      }
    }
    if (!full) {
      p++;
      o = 0;
    }
  }
  const capped = served >= job.maxResults;
  const more = !capped && (full || (job.state === 'running' && p < job.pieces.length));
  return {
    job_id: jobId,
    state: job.state,
    records_examined: Math.min(examined, job.recordsTotal),
    records_total: job.recordsTotal,
    events,
    next_page_token: more || (full && !capped) ? encodeToken(p, o) : null,
    truncated: Boolean(job.truncated) || prefix.truncated,
  };
}

/** DELETE /sophon/v2/face/searchjobs/{job_id}: stops a running job (its workers are freed at once). */
export async function cancelSearchJob(
  jobId: string,
  deps: JobDeps,
): Promise<{ job_id: string; state: JobState }> {
  const job = await liveJob(jobId, deps);
  if (job.state !== 'running') return { job_id: jobId, state: job.state };
  if (await deps.jobs.finish(jobId, 'cancelled')) {
    await deps.runner.cancel(jobId);
    return { job_id: jobId, state: 'cancelled' };
  }
  return { job_id: jobId, state: (await deps.jobs.get(jobId))?.state ?? 'cancelled' };
}
