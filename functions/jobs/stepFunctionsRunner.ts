import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { JobSlots } from './jobSlots';
import type { JobRecord } from './jobStore';
import type { JobRunner } from './localRunner';

/** The state machine's input (infra/constructs/searchJobs.ts): the map's items, one per piece. */
export interface JobExecutionInput {
  jobId: string;
  items: Array<{ jobId: string; piece: JobRecord['pieces'][number] }>;
}

export function executionInput(job: JobRecord): JobExecutionInput {
  return { jobId: job.jobId, items: job.pieces.map((piece) => ({ jobId: job.jobId, piece })) };
}

/** An execution's ARN from its state machine's and its name (the job id). */
export function executionArn(stateMachineArn: string, jobId: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error('not a state machine ARN');
  return [...parts.slice(0, 5), 'execution', parts[6], jobId].join(':');
}

const UNFINISHED_ENDS = new Set<string>(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * AWS's job runner: one Step Functions execution per job, named by the job id (a retried start of the
 * same job is the same execution), its Distributed Map running the pieces on the piece Lambda at the
 * map's MaxConcurrency. Admission is a slot lease in the table (jobSlots.ts), taken before the start and
 * freed by the job's end. Cancel stops the execution; the pieces already running end on their own and
 * skip their scan once they see the job cancelled.
 */
export class StepFunctionsJobRunner implements JobRunner {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
    private readonly slots: JobSlots,
  ) {}

  /** Takes a slot (a conditional write: simultaneous POSTs never pass the limit), then starts. */
  async start(job: JobRecord, limit: number): Promise<boolean> {
    if (!(await this.slots.acquire(job.jobId, limit))) return false;
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: job.jobId,
          input: JSON.stringify(executionInput(job)),
        }),
      );
    } catch (err) {
      // Same name, same input: an earlier attempt of this start already did it.
      if (!(err instanceof ExecutionAlreadyExists)) {
        await this.slots.release(job.jobId).catch(() => undefined); // else its lease frees it
        throw err;
      }
    }
    return true;
  }

  async cancel(jobId: string): Promise<void> {
    try {
      await this.sfn.send(
        new StopExecutionCommand({
          executionArn: executionArn(this.stateMachineArn, jobId),
          cause: 'job cancelled',
        }),
      );
    } catch (err) {
      if (!(err instanceof ExecutionDoesNotExist)) throw err;
    }
    await this.slots.release(jobId);
  }

  /**
   * An execution that timed out (the state machine's timeout), failed or was aborted outside the map's
   * Catch never ran MarkFailed, nor released its slot: freed here. No execution (the start has not
   * landed yet) is not an end.
   */
  async endedUnfinished(jobId: string): Promise<boolean> {
    try {
      const r = await this.sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArn(this.stateMachineArn, jobId) }),
      );
      if (r.status === undefined || !UNFINISHED_ENDS.has(r.status)) return false;
      await this.slots.release(jobId);
      return true;
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist) return false;
      throw err;
    }
  }

  /** Jobs holding a slot now (their executions running, or ended with their release still to come). */
  runningJobs(): Promise<number> {
    return this.slots.count();
  }

  close(): Promise<void> {
    this.sfn.destroy();
    return Promise.resolve();
  }
}
