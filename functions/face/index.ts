import { config } from '../shared/config';
import { DEFAULT_ENGINE, OnnxFaceEngine } from './engine';
import { ModelSessions } from './sessions';
import { WorkerModelSessions } from './modelWorkers';
import type { FaceEngine } from '../core/face';

export type * from '../core/face';

let engine: FaceEngine | undefined;

/**
 * The process's face engine, created on first use; its ONNX sessions load lazily and live as long as
 * the process (one Lambda container), so only a cold start pays for them.
 *
 * @example const face = await getFaceEngine().analyzeQuery(jpegBytes, 'low');
 */
export function getFaceEngine(): FaceEngine {
  if (!engine) {
    const c = config();
    const models =
      c.ORT_WORKERS === 'none'
        ? new ModelSessions(c.MODEL_DIR, c.ORT_THREADS)
        : new WorkerModelSessions(c.MODEL_DIR, c.ORT_THREADS, c.ORT_WORKERS);
    engine = new OnnxFaceEngine(models, {
      ...DEFAULT_ENGINE,
      maxPixels: c.MAX_IMAGE_PIXELS,
      expression: c.FACE_EXPRESSION,
    });
  }
  return engine;
}
