import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
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
 * map's MaxConcurrency. Cancel stops the execution; the pieces already running end on their own and
 * skip their scan once they see the job cancelled.
 */
export class StepFunctionsJobRunner implements JobRunner {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /**
   * Counted again just before the start (the POST's first count came before the face analysis): in AWS
   * the count and the start are two calls, so simultaneous POSTs can still pass together; the map's
   * MaxConcurrency and the piece function's account concurrency bound what that costs.
   */
  async start(job: JobRecord, limit: number): Promise<boolean> {
    if ((await this.runningJobs(limit)) >= limit) return false;
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
      if (!(err instanceof ExecutionAlreadyExists)) throw err;
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
  }

  /**
   * An execution that timed out (the state machine's timeout), failed or was aborted outside the map's
   * Catch never ran MarkFailed. No execution (the start has not landed yet) is not an end.
   */
  async endedUnfinished(jobId: string): Promise<boolean> {
    try {
      const r = await this.sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArn(this.stateMachineArn, jobId) }),
      );
      return r.status !== undefined && UNFINISHED_ENDS.has(r.status);
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist) return false;
      throw err;
    }
  }

  /** Executions running now, counted up to `atLeast` (all the limit needs to know). */
  async runningJobs(atLeast: number): Promise<number> {
    const r = await this.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: this.stateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: Math.min(Math.max(atLeast, 1), 1000),
      }),
    );
    return r.executions?.length ?? 0;
  }

  close(): Promise<void> {
    this.sfn.destroy();
    return Promise.resolve();
  }
}
