import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type ModelName =
  'fr_detect' | 'fr_landmark' | 'fr_feature' | 'fr_pose' | 'fr_age' | 'fr_gender' | 'fr_expression';

/**
 * Owns the ONNX Runtime sessions: one per model per process, created on first use and reused by every
 * invocation after. Creation is memoized as a promise so concurrent first calls share one load.
 */
export class ModelSessions {
  private readonly sessions = new Map<ModelName, Promise<ort.InferenceSession>>();

  constructor(
    private readonly modelDir: string,
    private readonly threads: number,
  ) {}

  get(name: ModelName): Promise<ort.InferenceSession> {
    let s = this.sessions.get(name);
    if (!s) {
      s = ort.InferenceSession.create(join(this.modelDir, `${name}.onnx`), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        logSeverityLevel: 3,
      });
      s.catch(() => this.sessions.delete(name));
      this.sessions.set(name, s);
    }
    return s;
  }

  /** Runs one model on one float32 NCHW input named `input`. */
  async run(name: ModelName, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
    const session = await this.get(name);
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    const result: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(out)) result[k] = v.data as Float32Array;
    return result;
  }
}
