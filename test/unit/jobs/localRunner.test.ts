import { Worker } from 'node:worker_threads';
import type { JobStore } from '../../../functions/jobs/jobStore';
import { LocalJobRunner } from '../../../functions/jobs/localRunner';
import { jobRecord } from '../../support/jobs';

/** A worker that takes a piece and never answers: its job runs until cancelled. */
const busyWorker = () => new Worker('setInterval(() => {}, 1 << 30)', { eval: true });

const job = (jobId: string) => jobRecord({ jobId });

describe('LocalJobRunner admission', () => {
  it('admits and starts in one step: simultaneous starts never pass the limit; a cancel frees a slot', async () => {
    const finished: string[] = [];
    const store = {
      finish: (id: string) => {
        finished.push(id);
        return Promise.resolve(true);
      },
    } as unknown as JobStore;
    const runner = new LocalJobRunner(store, { workers: 1, attempts: 1, spawn: busyWorker });
    try {
      const starts = await Promise.all(['a', 'b', 'c'].map((id) => runner.start(job(id), 2)));
      expect(starts).toEqual([true, true, false]);
      expect(await runner.runningJobs()).toBe(2);
      await runner.cancel('a');
      expect(await runner.runningJobs()).toBe(1);
      // A cancelled job's state is the DELETE's: the runner does not finish it.
      expect(finished).toEqual([]);
      expect(await runner.start(job('c'), 2)).toBe(true);
    } finally {
      await runner.close();
    }
  });
});
