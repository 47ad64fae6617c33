/** Part 1: query embedding latency per photo size, split by stage (the engine's own stage timings). */
import type { FaceEngine, FiqaLevel, StageTimings } from '../../functions/core/face';
import type { QueryPhoto } from './photos';
import { type Summary, summarize } from './stats';

export const STAGES = ['decodeMs', 'detectMs', 'landmarkMs', 'alignMs', 'embedMs', 'poseMs'] as const;

export interface StageFigures {
  photo: string;
  width: number;
  height: number;
  source: string;
  total: Summary;
  stages: Record<(typeof STAGES)[number], Summary>;
}

/**
 * analyzeQuery(photo, level) `runs` times after `warmup` unmeasured runs; total is wall time per call.
 * At 'no' the engine skips the pose model (no angle check), at the other levels it runs it.
 */
export async function benchStages(
  engine: FaceEngine,
  photos: QueryPhoto[],
  runs: number,
  { level = 'no', warmup = 2 }: { level?: FiqaLevel; warmup?: number } = {},
): Promise<StageFigures[]> {
  const out: StageFigures[] = [];
  for (const p of photos) {
    for (let i = 0; i < warmup; i++) await engine.analyzeQuery(p.bytes, level);
    const totals: number[] = [];
    const timings: StageTimings[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const face = await engine.analyzeQuery(p.bytes, level);
      totals.push(performance.now() - t);
      timings.push(face.timings);
    }
    out.push({
      photo: p.name,
      width: p.width,
      height: p.height,
      source: p.source,
      total: summarize(totals),
      stages: Object.fromEntries(STAGES.map((s) => [s, summarize(timings.map((t) => t[s]))])) as Record<
        (typeof STAGES)[number],
        Summary
      >,
    });
  }
  return out;
}

export interface PartialDecodeAgreement {
  photos: number;
  /** Cosine between the query embeddings of the two decode paths, per photo. */
  cosines: number[];
  /** Photos where detectAll counted a different number of faces. */
  faceCountDiffers: number;
}

/** How far the partial decode (the default) moves the engine's output from the whole decode's. */
export async function partialDecodeAgreement(
  exact: FaceEngine,
  partial: FaceEngine,
  photos: Buffer[],
): Promise<PartialDecodeAgreement> {
  const cosines: number[] = [];
  let faceCountDiffers = 0;
  for (const bytes of photos) {
    const [a, b] = [await exact.analyzeQuery(bytes, 'no'), await partial.analyzeQuery(bytes, 'no')];
    cosines.push(a.embedding.reduce((s, x, i) => s + x * b.embedding[i], 0));
    const [da, db] = [await exact.detectAll(bytes), await partial.detectAll(bytes)];
    if (da.faces.length !== db.faces.length) faceCountDiffers++;
  }
  return { photos: photos.length, cosines, faceCountDiffers };
}
