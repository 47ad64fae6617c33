// A search over a long window ("Last 30 days", "Last 90 days", "All") runs as a search job (docs/api.md,
// "Search jobs"): started once, then read page by page while it runs. Pages follow next_page_token, which
// the service only moves past events of time already covered, so they arrive in the contract's order;
// event ids already shown are skipped all the same, because a page read twice (a retry) must not show
// twice. Stop cancels the job on the service (DELETE), which frees its workers at once.

import { ApiError, cancelSearchJob, readSearchJob, startSearchJob } from './api.js';

/** Between reads while the job has nothing new; a full page is followed at once. */
const POLL_MS = 1000;

/**
 * @typedef {{ state: string, examined: number, total: number, found: number, truncated: boolean }} JobProgress
 */

/**
 * Runs one job to its end, or until `signal` aborts (then the job is cancelled and the state is "stopped").
 *
 * @param {Record<string, unknown>} body the search's fields (photo, window, threshold, devices, ...)
 * @param {{ signal: AbortSignal, onEvents: (events: any[]) => void, onProgress: (p: JobProgress) => void }} hooks
 * @returns {Promise<JobProgress>} the final progress; throws ApiError when the service refuses or fails
 */
export async function runSearchJob(body, { signal, onEvents, onProgress }) {
  const started = await startSearchJob(body, signal);
  const jobId = started.job_id;
  /** @type {JobProgress} */
  const progress = {
    state: 'running',
    examined: 0,
    total: Number(started.records_total) || 0,
    found: 0,
    truncated: false,
  };
  onProgress({ ...progress });
  const seen = new Set();
  /** @type {string | null} */
  let token = null;
  try {
    for (;;) {
      const page = await readSearchJob(jobId, token, signal);
      const fresh = (Array.isArray(page.events) ? page.events : []).filter((e) => {
        if (seen.has(e.event_id)) return false;
        seen.add(e.event_id);
        return true;
      });
      progress.state = String(page.state);
      progress.examined = Number(page.records_examined) || 0;
      progress.total = Number(page.records_total) || progress.total;
      progress.truncated = page.truncated === true;
      progress.found += fresh.length;
      if (fresh.length > 0) onEvents(fresh);
      onProgress({ ...progress });
      const next = typeof page.next_page_token === 'string' ? page.next_page_token : null;
      if (next === null && page.state !== 'running') break;
      const moved = next !== token && (page.events?.length ?? 0) > 0;
      token = next ?? token;
      // Still running and nothing new: ask again in a second. A page that brought events: read on now.
      if (!moved && page.state === 'running') await sleep(POLL_MS, signal);
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'ABORTED')) throw err;
    // Stop: the service stops the job; what was shown stays shown.
    await cancelSearchJob(jobId).catch(() => undefined);
    progress.state = 'stopped';
    onProgress({ ...progress });
  }
  if (progress.state === 'failed') throw Object.assign(new ApiError('JOB_FAILED'), { progress });
  return progress;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ApiError('ABORTED'));
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve(undefined);
    }
    function onAbort() {
      clearTimeout(timer);
      reject(new ApiError('ABORTED'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The line under the results when a job ends: "N matches in M records, done". */
export function jobSummary(p) {
  const state = p.state === 'cancelled' ? 'stopped' : p.state;
  const matches = `${p.found.toLocaleString()} ${p.found === 1 ? 'match' : 'matches'}`;
  const records = `${p.examined.toLocaleString()} ${p.examined === 1 ? 'record' : 'records'}`;
  const cut = p.truncated ? ` · first ${p.found.toLocaleString()} matches shown — narrow the window` : '';
  return `${matches} in ${records}, ${state}${cut}.`;
}
