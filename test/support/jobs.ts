import type { JobRecord } from '../../functions/jobs/jobStore';

/** A running job of one piece over [0, 1], for tests of what runs and admits jobs; fields overridable. */
export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: 'job',
    state: 'running',
    createdAtMs: 0,
    expiresAt: 0,
    startMs: 0,
    endMs: 1,
    reverse: true,
    minCosine: 0.5,
    cosineShift: 0,
    maxResults: 10,
    query: new Float32Array(4),
    pieces: [{ index: 0, fromMs: 0, toMs: 1, records: 1 }],
    recordsTotal: 1,
    ...overrides,
  };
}
