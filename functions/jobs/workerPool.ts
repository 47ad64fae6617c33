import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

interface Task<I, O> {
  input: I;
  resolve(out: O): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot<I, O> {
  worker: Worker;
  task?: Task<I, O>;
  /** When the task in hand was handed over (performance.now()). */
  since?: number;
}

/** A worker thread died (or threw) with a task in hand: the task may be retried on another. */
export class WorkerFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}

/**
 * A fixed number of worker threads running one task at a time each, tasks queued in order beyond that.
 * A task whose signal aborts leaves the queue, or, when running, has its worker terminated (and replaced
 * when needed), so a cancelled job frees its workers at once. A worker that dies fails its task with
 * WorkerFailedError. Emits 'dispatch' (task input, worker) as a worker takes a task, and 'done' (input,
 * output, ms in the worker) as it answers one.
 *
 * @example const pool = new WorkerPool(2, () => new Worker(file)); const out = await pool.run(input);
 */
export class WorkerPool<I, O> extends EventEmitter {
  private readonly slots: Array<Slot<I, O>> = [];
  private readonly queue: Array<Task<I, O>> = [];
  private closed = false;

  constructor(
    readonly size: number,
    private readonly spawn: () => Worker,
  ) {
    super();
  }

  /** Workers busy with a task now. */
  get busy(): number {
    return this.slots.filter((s) => s.task).length;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  run(input: I, signal?: AbortSignal): Promise<O> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    // An abort's reason is an AbortError (a DOMException, an Error) unless a caller chose otherwise.
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<O>((resolve, reject) => {
      const task: Task<I, O> = { input, resolve, reject, signal };
      if (signal) {
        task.onAbort = () => this.abort(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) this.settle(t, undefined, new Error('worker pool closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.add();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.since = performance.now();
      this.emit('dispatch', task.input, slot.worker);
      slot.worker.postMessage(task.input);
    }
  }

  private add(): Slot<I, O> {
    const worker = this.spawn();
    const slot: Slot<I, O> = { worker };
    worker.unref(); // an idle pool never holds the process open
    worker.on('message', (msg: { ok: true; out: O } | { ok: false; error: string; name: string }) => {
      const task = slot.task;
      if (!task) return;
      slot.task = undefined;
      if (msg.ok) {
        this.emit('done', task.input, msg.out, performance.now() - (slot.since ?? 0));
        this.settle(task, msg.out);
      } else this.settle(task, undefined, Object.assign(new Error(msg.error), { name: msg.name }));
      this.pump();
    });
    const gone = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      const task = slot.task;
      slot.task = undefined;
      if (task) this.settle(task, undefined, new WorkerFailedError(why));
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => gone(`worker failed: ${err.name}`));
    worker.on('exit', (code) => gone(`worker exited (${code})`));
    this.slots.push(slot);
    return slot;
  }

  private abort(task: Task<I, O>): void {
    const q = this.queue.indexOf(task);
    if (q >= 0) this.queue.splice(q, 1);
    const slot = this.slots.find((s) => s.task === task);
    if (slot) {
      // The worker cannot be interrupted mid-scan: it goes, and a fresh one takes its place when needed.
      slot.task = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }
    this.settle(task, undefined, task.signal?.reason ?? new DOMException('aborted', 'AbortError'));
    this.pump();
  }

  private settle(task: Task<I, O>, out: O | undefined, err?: unknown): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (err !== undefined) task.reject(err);
    else task.resolve(out as O);
  }
}
