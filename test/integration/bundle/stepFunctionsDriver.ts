import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cfn } from '../../unit/infra/synth';

/** Invokes a bundled function (by its logical id) with a payload, as Step Functions' Lambda task does. */
export type Invoke = (logicalId: string, payload: unknown) => Promise<unknown>;

/** An error as a Lambda task reports it: its name is the error type the Retry and Catch match. */
export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Execution {
  name: string;
  arn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  done: Promise<void>;
}

/**
 * The search jobs' state machine played in the test, from its synthesized definition: the part of the
 * States language the definition uses (Map over ItemsPath at MaxConcurrency, Task with Parameters,
 * Retry, Catch, Succeed, Fail), anything else refused, so the test breaks when the definition and the
 * handlers disagree. Served over the wire as the Step Functions JSON API (StartExecution, StopExecution,
 * DescribeExecution, ListExecutions) for the jobs function's real SDK client. Backoff intervals are run 100 times faster.
 */
export class StepFunctionsDriver {
  readonly executions = new Map<string, Execution>();
  readonly stopped: string[] = [];
  /** Injected faults: piece index → errors its next invocations throw before the real call (Lambda's own). */
  readonly faults = new Map<number, string[]>();
  /** Every task invocation's payload, in order. */
  readonly invocations: unknown[] = [];
  /** While set, a Map starts no item (a test holds executions running). */
  hold?: Promise<void>;
  private server?: Server;

  constructor(
    private readonly definition: Cfn,
    readonly stateMachineArn: string,
    private readonly invoke: Invoke,
  ) {}

  /** The state machine's definition from a template: its token parts (function ARNs) as `fn:<logicalId>`. */
  static definitionOf(template: Record<string, Cfn>): Cfn {
    const [sm] = Object.values(template.Resources as Record<string, Cfn>).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const parts = sm.Properties.DefinitionString['Fn::Join'][1] as Cfn[];
    return JSON.parse(
      parts.map((p) => (typeof p === 'string' ? p : `fn:${p['Fn::GetAtt'][0] as string}`)).join(''),
    );
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, Cfn>;
    const action = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
    const answer = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(value));
    };
    try {
      if (action === 'StartExecution') return answer(200, this.start(body));
      if (action === 'StopExecution') return answer(200, this.stop(body));
      if (action === 'ListExecutions') return answer(200, this.list(body));
      if (action === 'DescribeExecution') return answer(200, this.describe(body));
      answer(400, { __type: 'UnknownOperationException', message: action });
    } catch (err) {
      answer(400, { __type: (err as Error).name, message: (err as Error).message });
    }
  }

  private start(body: Record<string, Cfn>) {
    if (body.stateMachineArn !== this.stateMachineArn) throw new TaskError('StateMachineDoesNotExist', '');
    const name = body.name as string;
    if (this.executions.has(name)) throw new TaskError('ExecutionAlreadyExists', name);
    const parts = this.stateMachineArn.split(':');
    const arn = [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
    const exec: Execution = { name, arn, status: 'RUNNING', done: Promise.resolve() };
    exec.done = this.run(this.definition, JSON.parse(body.input as string), exec).then(
      (ok) => {
        if (exec.status === 'RUNNING') exec.status = ok ? 'SUCCEEDED' : 'FAILED';
      },
      () => {
        if (exec.status === 'RUNNING') exec.status = 'FAILED';
      },
    );
    this.executions.set(name, exec);
    return { executionArn: arn, startDate: Date.now() / 1000 };
  }

  private stop(body: Record<string, Cfn>) {
    const exec = [...this.executions.values()].find((e) => e.arn === body.executionArn);
    if (!exec) throw new TaskError('ExecutionDoesNotExist', String(body.executionArn));
    this.stopped.push(exec.arn);
    if (exec.status === 'RUNNING') exec.status = 'ABORTED';
    return { stopDate: Date.now() / 1000 };
  }

  /** Ends a running execution as the state machine's timeout does: no Catch runs, the job is left as is. */
  timeOut(name: string): void {
    const exec = this.executions.get(name);
    if (exec?.status === 'RUNNING') exec.status = 'TIMED_OUT';
  }

  private describe(body: Record<string, Cfn>) {
    const exec = [...this.executions.values()].find((e) => e.arn === body.executionArn);
    if (!exec) throw new TaskError('ExecutionDoesNotExist', String(body.executionArn));
    return {
      executionArn: exec.arn,
      stateMachineArn: this.stateMachineArn,
      name: exec.name,
      status: exec.status,
      startDate: Date.now() / 1000,
    };
  }

  private list(body: Record<string, Cfn>) {
    const all = [...this.executions.values()].filter(
      (e) => !body.statusFilter || e.status === body.statusFilter,
    );
    return {
      executions: all.slice(0, body.maxResults ?? 100).map((e) => ({
        executionArn: e.arn,
        stateMachineArn: this.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: Date.now() / 1000,
      })),
    };
  }

  /** Runs states from `machine.StartAt`; true when it ends in Succeed (or End), false in Fail. */
  private async run(machine: Cfn, input: Cfn, exec: Execution): Promise<boolean> {
    let name = machine.StartAt as string;
    let data = input;
    for (;;) {
      if (exec.status !== 'RUNNING') return false;
      const st = machine.States[name];
      if (!st) throw new Error(`no state ${name}`);
      if (st.Type === 'Succeed') return true;
      if (st.Type === 'Fail') return false;
      try {
        let result: Cfn;
        if (st.Type === 'Map') result = await this.map(st, data, exec);
        else if (st.Type === 'Task') result = await this.task(st, data);
        else throw new Error(`state type ${st.Type} is not in the driver`);
        data = withResult(data, st.ResultPath, result);
      } catch (err) {
        if (exec.status !== 'RUNNING') return false;
        const c = (st.Catch as Cfn[] | undefined)?.find((x) => matches(x.ErrorEquals, err as Error));
        if (!c) throw err;
        const e = err as Error;
        data = withResult(data, c.ResultPath, { Error: e.name, Cause: e.message });
        name = c.Next;
        continue;
      }
      if (st.End) return true;
      name = st.Next;
    }
  }

  /** A Distributed Map: each item through the item processor, MaxConcurrency at a time, no failure tolerated. */
  private async map(st: Cfn, data: Cfn, exec: Execution): Promise<Cfn[]> {
    if (st.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') throw new Error('not a Distributed Map');
    if (st.ItemReader || st.ItemSelector || st.ToleratedFailurePercentage || st.ToleratedFailureCount) {
      throw new Error('a Map option the driver does not play');
    }
    await this.hold;
    const items = path(data, st.ItemsPath ?? '$') as Cfn[];
    if (!Array.isArray(items)) throw new TaskError('States.Runtime', 'ItemsPath is not an array');
    const results: Cfn[] = new Array(items.length);
    let next = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (next < items.length && !failure && exec.status === 'RUNNING') {
        const i = next++;
        try {
          results[i] = await this.runItem(st.ItemProcessor, items[i]);
        } catch (err) {
          failure ??= err as Error;
        }
      }
    };
    const width = Math.min(st.MaxConcurrency || items.length, items.length);
    await Promise.all(Array.from({ length: width }, worker));
    if (failure) throw new TaskError('States.ExceedToleratedFailureThreshold', failure.message);
    return results;
  }

  /** An item's child execution: the item processor, one Task state here. */
  private async runItem(processor: Cfn, item: Cfn): Promise<Cfn> {
    const st = processor.States[processor.StartAt];
    if (st.Type !== 'Task' || !st.End) throw new Error('the driver plays a one-task item processor');
    return this.task(st, item);
  }

  /** A Lambda task on a function ARN (the payload is the input or its Parameters), with its Retry. */
  private async task(st: Cfn, data: Cfn): Promise<Cfn> {
    const resource = st.Resource as string;
    if (!resource.startsWith('fn:')) throw new Error(`task resource ${resource} is not a function ARN`);
    const payload = st.Parameters ? parameters(st.Parameters, data) : data;
    const retriers = (st.Retry as Cfn[] | undefined) ?? [];
    const tries = new Map<Cfn, number>();
    for (;;) {
      try {
        this.invocations.push(payload);
        const fault = this.faults.get((payload as { piece?: { index: number } }).piece?.index ?? -1)?.shift();
        if (fault) throw new TaskError(fault, 'injected');
        return await this.invoke(resource.slice(3), payload);
      } catch (err) {
        const r = retriers.find((x) => matches(x.ErrorEquals, err as Error));
        const n = r ? (tries.get(r) ?? 0) : 0;
        if (!r || n >= (r.MaxAttempts ?? 3)) throw err;
        tries.set(r, n + 1);
        const ms = (r.IntervalSeconds ?? 1) * 1000 * (r.BackoffRate ?? 2) ** n;
        await new Promise((ok) => setTimeout(ok, ms / 100));
      }
    }
  }
}

/** The States language's error matching: a name, States.ALL, or States.TaskFailed (all but States.Timeout). */
function matches(names: string[], err: Error): boolean {
  return names.some(
    (n) =>
      n === 'States.ALL' || n === err.name || (n === 'States.TaskFailed' && err.name !== 'States.Timeout'),
  );
}

/** A reference path: `$` or `$.a.b` (all this definition uses). */
function path(data: Cfn, p: string): Cfn {
  if (!/^\$(\.[A-Za-z_][\w]*)*$/.test(p)) throw new Error(`path ${p} is not in the driver`);
  return p
    .split('.')
    .slice(1)
    .reduce((v: Cfn, k) => v?.[k], data);
}

function withResult(data: Cfn, resultPath: string | null | undefined, result: Cfn): Cfn {
  if (resultPath === null) return data;
  if (resultPath === undefined || resultPath === '$') return result;
  const keys = resultPath.split('.').slice(1);
  if (resultPath.split('.')[0] !== '$' || keys.length !== 1) throw new Error(`ResultPath ${resultPath}`);
  return { ...data, [keys[0]]: result };
}

function parameters(params: Record<string, Cfn>, data: Cfn): Record<string, Cfn> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) =>
      k.endsWith('.$') ? [k.slice(0, -2), path(data, v as string)] : [k, v],
    ),
  );
}
