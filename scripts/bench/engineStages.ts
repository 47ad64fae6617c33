/** Part 1: query embedding latency per photo size, split by stage (the engine's own stage timings). */
import type { FaceEngine, StageTimings } from '../../functions/face/types';
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

/** analyzeQuery(photo, 'no') `runs` times after `warmup` unmeasured runs; total is wall time per call. */
export async function benchStages(
  engine: FaceEngine,
  photos: QueryPhoto[],
  runs: number,
  warmup = 2,
): Promise<StageFigures[]> {
  const out: StageFigures[] = [];
  for (const p of photos) {
    for (let i = 0; i < warmup; i++) await engine.analyzeQuery(p.bytes, 'no');
    const totals: number[] = [];
    const timings: StageTimings[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const face = await engine.analyzeQuery(p.bytes, 'no');
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

/** How far the opt-in partial decode moves the engine's output on the group photos. */
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
