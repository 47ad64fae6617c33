import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import type { JobSlots } from '../../../functions/jobs/jobSlots';
import type { JobState, JobStore } from '../../../functions/jobs/jobStore';
import { readSearchJob, type JobDeps } from '../../../functions/jobs/searchJobs';
import { StepFunctionsJobRunner } from '../../../functions/jobs/stepFunctionsRunner';
import type { Services } from '../../../functions/store/services';
import { jobRecord } from '../../support/jobs';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:jobs';
const JOB_ID = '0b6f2f4e-3c1a-4d7e-9a51-2f0c8e4b7d10';

/** Step Functions faked at the client's boundary: DescribeExecution answers `status` (or no execution). */
function fakeSfn(status: string | undefined) {
  const sent: unknown[] = [];
  const client = {
    send: (cmd: unknown) => {
      sent.push(cmd);
      if (!(cmd instanceof DescribeExecutionCommand)) throw new Error('unexpected call');
      if (status === undefined) {
        throw new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} });
      }
      return Promise.resolve({ status, executionArn: cmd.input.executionArn });
    },
  } as unknown as SFNClient;
  return { client, sent };
}

/** Admission slots recorded (their table behaviour: test/integration/store/jobSlots.test.ts). */
function fakeSlots() {
  const released: string[] = [];
  const slots = {
    release: (id: string) => {
      released.push(id);
      return Promise.resolve();
    },
  } as unknown as JobSlots;
  return { slots, released };
}

describe('StepFunctionsJobRunner.endedUnfinished', () => {
  it.each([
    ['FAILED', true],
    ['TIMED_OUT', true],
    ['ABORTED', true],
    ['RUNNING', false],
    ['SUCCEEDED', false],
    [undefined, false],
  ])('execution %s → %s', async (status, ended) => {
    const sfn = fakeSfn(status);
    const slots = fakeSlots();
    expect(await new StepFunctionsJobRunner(sfn.client, SM, slots.slots).endedUnfinished(JOB_ID)).toBe(ended);
    // An execution that ended without the job's end frees the job's slot; a running one keeps it.
    expect(slots.released).toEqual(ended ? [JOB_ID] : []);
    // The execution is named by the job id, under this state machine.
    expect((sfn.sent[0] as DescribeExecutionCommand).input.executionArn).toBe(
      `arn:aws:states:us-east-1:123456789012:execution:jobs:${JOB_ID}`,
    );
  });
});

/** A job store holding one job: finish() moves it only from running, as the table's condition does. */
function fakeStore(initial: JobState) {
  let state = initial;
  const finishes: string[] = [];
  const record = () => jobRecord({ jobId: JOB_ID, state, expiresAt: 4_000_000_000 });

  const store = {
    get: () => Promise.resolve(record()),
    pieces: () => Promise.resolve(new Map()),
    finish: (_id: string, to: Exclude<JobState, 'running'>) => {
      finishes.push(to);
      if (state !== 'running') return Promise.resolve(false);
      state = to;
      return Promise.resolve(true);
    },
  } as unknown as JobStore;
  return { store, finishes, state: () => state };
}

const deps = (store: JobStore, status: string | undefined): JobDeps => ({
  services: { config: { MAX_RESPONSE_BYTES: 1_000_000 } } as unknown as Services,
  engine: () => {
    throw new Error('no engine in a GET');
  },
  jobs: store,
  runner: new StepFunctionsJobRunner(fakeSfn(status).client, SM, fakeSlots().slots),
});

describe('GET of a job whose execution ended outside the Catch', () => {
  it.each(['TIMED_OUT', 'FAILED', 'ABORTED'])(
    'marks a running job failed when its execution is %s',
    async (status) => {
      const s = fakeStore('running');
      const page = await readSearchJob(JOB_ID, undefined, deps(s.store, status));
      expect(page.state).toBe('failed');
      expect(s.state()).toBe('failed');
      expect(page.next_page_token).toBeNull();
    },
  );

  it('leaves a job running while its execution runs, or before its execution exists', async () => {
    for (const status of ['RUNNING', undefined]) {
      const s = fakeStore('running');
      expect((await readSearchJob(JOB_ID, undefined, deps(s.store, status))).state).toBe('running');
      expect(s.finishes).toEqual([]);
    }
  });

  it('does not ask about a job no longer running', async () => {
    const s = fakeStore('cancelled');
    const d = deps(s.store, 'ABORTED');
    d.runner = { endedUnfinished: () => Promise.reject(new Error('asked')) } as unknown as JobDeps['runner'];
    expect((await readSearchJob(JOB_ID, undefined, d)).state).toBe('cancelled');
    expect(s.finishes).toEqual([]);
  });

  it('answers the state that won when another writer finished the job first', async () => {
    const s = fakeStore('running');
    const d = deps(s.store, 'ABORTED');
    const real = d.runner;
    // A DELETE lands between the describe and the conditional write.
    d.runner = {
      endedUnfinished: async (id: string) => {
        const ended = await real.endedUnfinished(id);
        await s.store.finish(id, 'cancelled');
        return ended;
      },
    } as unknown as JobDeps['runner'];
    expect((await readSearchJob(JOB_ID, undefined, d)).state).toBe('cancelled');
    expect(s.state()).toBe('cancelled');
  });
});
