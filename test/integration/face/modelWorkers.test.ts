/**
 * The models on worker threads (ORT_WORKERS) against the same models on this thread: the
 * same outputs for the same input, concurrent runs on both lanes each answered with its own result, and
 * a failing run answered with an error that leaves the worker serving the next.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENGINE, OnnxFaceEngine } from '../../../functions/face/engine';
import { WorkerModelSessions } from '../../../functions/face/modelWorkers';
import { ModelSessions } from '../../../functions/face/sessions';
import { config } from '../../../functions/shared/config';

const here = new ModelSessions(config().MODEL_DIR, 1);
const workers = new WorkerModelSessions(config().MODEL_DIR, 1, 'all');
const poseWorker = new WorkerModelSessions(config().MODEL_DIR, 1, 'attributes');
afterAll(() => Promise.all([workers.close(), poseWorker.close()]));

/** A deterministic input of n values in [-1, 1]. */
function input(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.37 + seed);
  return out;
}

describe('WorkerModelSessions', () => {
  it('gives the outputs the models give on this thread, for runs in flight together on both lanes', async () => {
    const grey = [input(64 * 64, 1), input(64 * 64, 2)];
    const rgb = input(3 * 64 * 64, 3);
    const [a, b, age] = await Promise.all([
      workers.run('fr_landmark', grey[0], [1, 1, 64, 64]),
      workers.run('fr_landmark', grey[1], [1, 1, 64, 64]),
      workers.run('fr_age', rgb, [1, 3, 64, 64]),
    ]);
    expect(a.output).toEqual((await here.run('fr_landmark', grey[0], [1, 1, 64, 64])).output);
    expect(b.output).toEqual((await here.run('fr_landmark', grey[1], [1, 1, 64, 64])).output);
    expect(a.output).not.toEqual(b.output);
    expect(age).toEqual(await here.run('fr_age', rgb, [1, 3, 64, 64]));
  });

  it('rejects a run the model refuses and serves the next', async () => {
    await expect(workers.run('fr_landmark', input(10, 0), [1, 1, 2, 5])).rejects.toThrow(/ONNX Runtime/);
    const ok = await workers.run('fr_landmark', input(64 * 64, 1), [1, 1, 64, 64]);
    expect(ok.output).toHaveLength(136);
  });

  it('runs the engine to the same query face as this thread does, pose included, in either placement', async () => {
    const photo = readFileSync(join(__dirname, '../../../build/fixtures/photos/sample1.jpg'));
    const [mine, ...theirs] = await Promise.all(
      [here, workers, poseWorker].map((m) =>
        new OnnxFaceEngine(m, DEFAULT_ENGINE).analyzeQuery(photo, 'low'),
      ),
    );
    for (const face of theirs) {
      expect(Array.from(face.embedding)).toEqual(Array.from(mine.embedding));
      expect(face.quality).toEqual(mine.quality);
    }
    expect(Number.isFinite(mine.quality.yaw)).toBe(true);
  });
});
