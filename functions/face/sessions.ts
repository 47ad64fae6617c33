import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type ModelName =
  'fr_detect' | 'fr_landmark' | 'fr_feature' | 'fr_pose' | 'fr_age' | 'fr_gender' | 'fr_expression';

/** Runs one model on one float32 NCHW input named `input`: what the engine needs of ONNX Runtime. */
export interface ModelRunner {
  run(name: ModelName, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>>;
}

/** The session options every model is loaded with, in this thread or a worker's. */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
}

/**
 * Owns the ONNX Runtime sessions in this thread: one per model, created on first use and reused by every
 * invocation after. Creation is memoized as a promise so concurrent first calls share one load.
 * onnxruntime-node runs a model synchronously on the calling thread: here that blocks the event loop for
 * the model's whole run (modelWorkers.ts runs them on worker threads instead).
 */
export class ModelSessions implements ModelRunner {
  private readonly sessions = new Map<ModelName, Promise<ort.InferenceSession>>();

  constructor(
    private readonly modelDir: string,
    private readonly threads: number,
  ) {}

  get(name: ModelName): Promise<ort.InferenceSession> {
    let s = this.sessions.get(name);
    if (!s) {
      s = ort.InferenceSession.create(join(this.modelDir, `${name}.onnx`), sessionOptions(this.threads));
      s.catch(() => this.sessions.delete(name));
      this.sessions.set(name, s);
    }
    return s;
  }

  async run(name: ModelName, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
    const session = await this.get(name);
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    const result: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(out)) result[k] = v.data as Float32Array;
    return result;
  }
}
