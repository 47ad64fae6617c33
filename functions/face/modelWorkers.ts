import { Worker } from 'node:worker_threads';
import { type ModelName, type ModelRunner, ModelSessions, sessionOptions } from './sessions';

/**
 * Which worker runs which model. The recognition chain (detect → landmarks → embed) is one after the
 * other; the pose (a query's angle check) and the attributes (ingest) need only the decoded face, so on
 * a lane of their own they run beside the chain instead of after it.
 */
const LANES: Record<ModelName, number> = {
  fr_detect: 0,
  fr_landmark: 0,
  fr_feature: 0,
  fr_pose: 1,
  fr_age: 1,
  fr_gender: 1,
  fr_expression: 1,
};
const LANE_COUNT = 2;

/**
 * The worker: plain JavaScript evaluated in the thread (no file to locate in a bundle, no TypeScript
 * loader), given onnxruntime-node's resolved path. One session per model, loaded on first use.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { join } = require('node:path');
const ort = require(workerData.ort);
const sessions = new Map();
function session(name) {
  let s = sessions.get(name);
  if (!s) {
    s = ort.InferenceSession.create(join(workerData.modelDir, name + '.onnx'), workerData.options);
    s.catch(() => sessions.delete(name));
    sessions.set(name, s);
  }
  return s;
}
parentPort.on('message', async ({ id, name, input, dims }) => {
  try {
    const out = await (await session(name)).run({ input: new ort.Tensor('float32', input, dims) });
    const result = {};
    for (const [k, v] of Object.entries(out)) result[k] = v.data;
    parentPort.postMessage({ id, result });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
`;

interface Pending {
  resolve: (r: Record<string, Float32Array>) => void;
  reject: (e: Error) => void;
}

/** One worker thread and the runs it owes; it holds the process open only while it owes one. */
class Lane {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly data: { ort: string; modelDir: string; options: object }) {}

  run(name: ModelName, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
    const w = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      // The input is copied (not transferred): the caller may run it through another model too.
      w.postMessage({ id, name, input, dims });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: this.data });
    w.unref();
    w.on('message', (m: { id: number; result?: Record<string, Float32Array>; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(`ONNX Runtime: ${m.error}`));
      else p.resolve(m.result!);
    });
    // A dead worker fails what it owed; the next run starts a new one.
    const fail = (why: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`ONNX Runtime worker exited (${code})`)));
    this.worker = w;
    return w;
  }
}

/**
 * Where the models run: `all` on two worker threads (LANES), off the event loop, the pose beside the
 * embedding; `attributes`: the recognition chain on this thread as before and only the pose and
 * attributes on a worker, so the pose still runs beside landmarks, align and embed while the chain pays
 * no thread hand-offs (each one a wake-up, costly on a busy machine: docs/speed.md).
 */
export type WorkerPlacement = 'attributes' | 'all';

/**
 * ONNX Runtime on worker threads, as `placement` says. Each model is loaded once, in the thread that
 * runs it. Inputs and outputs are copied between threads (under a megabyte a run).
 */
export class WorkerModelSessions implements ModelRunner {
  private readonly lanes: Array<Lane | ModelSessions>;

  constructor(modelDir: string, threads: number, placement: WorkerPlacement = 'all') {
    const data = { ort: require.resolve('onnxruntime-node'), modelDir, options: sessionOptions(threads) };
    this.lanes = Array.from({ length: LANE_COUNT }, (_, i) =>
      i === 0 && placement === 'attributes' ? new ModelSessions(modelDir, threads) : new Lane(data),
    );
  }

  run(name: ModelName, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
    return this.lanes[LANES[name]].run(name, input, dims);
  }

  /** Ends the workers (their models are loaded again on the next run). */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => (l instanceof Lane ? l.close() : Promise.resolve())));
  }
}
