import { performance } from 'node:perf_hooks';
import { parseDetectRequest } from '../core/detectRequest';
import { ContractError, translateFaceErrors } from '../core/errors';
import { type QueryFaceJson, toQueryFaceJson } from '../core/queryFace';
import { round } from '../core/round';
import type { Box, FaceEngine, FiqaLevel } from '../core/face';
import { failedCheck } from '../core/qualityGate';
import { type Config, queryImagePolicy } from '../shared/config';
import { readImageSource } from '../store/imageSource';
import type { ImageStore } from '../store/types';

export interface DetectDeps {
  config: Pick<Config, 'GRAB_MODE' | 'MAX_IMAGE_BYTES' | 'IMAGE_BUCKET' | 'ALLOWED_BUCKETS' | 'IMAGE_ROOT'>;
  /** Only for face_image_path; base64 photos never touch storage. */
  images: ImageStore;
  engine: () => FaceEngine;
}

/** The response of POST /sophon/v2/face/detect (an extension beyond CONTRACT.md: docs/api.md). */
export interface DetectResponse {
  /** Every face found, largest first. */
  faces: { box: number[]; score: number }[];
  /** The face a search with this photo would use (the largest real face), measured as search measures it. */
  query_face: QueryFaceJson;
  fiqa_level: FiqaLevel;
  fiqa_passed: boolean;
  /** Why the face fails `fiqa_level`: the same text as search's LOW_QUALITY_ERROR message. */
  reason?: string;
  total_time: number;
}

const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);

/**
 * POST /sophon/v2/face/detect: the query analysis of a search and nothing else (no search slot, no
 * history). A face that fails the quality gate is an answer here, not an error: the caller wants to show
 * the box and say why, before anyone presses Search. The errors are search's: IMAGE_NOT_OPENED,
 * NO_FACE_ERROR, INVALID_ARGUMENTS, MISSING_ARGUMENTS, NOT_SUPPORT_IN_GRAB_MODE.
 *
 * @example const r = await detectFace({ face_image_base64: b64, fiqa_level: 'high' }, deps); r.fiqa_passed
 */
export async function detectFace(body: unknown, deps: DetectDeps): Promise<DetectResponse> {
  const t0 = performance.now();
  const c = deps.config;
  // Grab mode turns searching off; saying so on upload beats saying so after Search.
  if (c.GRAB_MODE) throw new ContractError('NOT_SUPPORT_IN_GRAB_MODE');
  const q = parseDetectRequest(body, c.MAX_IMAGE_BYTES);
  const bytes = await readImageSource(q.image, queryImagePolicy(c), deps.images, c.MAX_IMAGE_BYTES);
  const engine = deps.engine();
  // The gate is search's own; a face that fails it is an answer here, with the reason naming the failed check.
  const face = await translateFaceErrors(engine.analyzeQuery(bytes, q.fiqaLevel));
  const reason = failedCheck(face.quality, q.fiqaLevel) ?? undefined;
  const { faces } = await translateFaceErrors(engine.detectAll(bytes));
  return {
    faces: [...faces]
      .sort((a, b) => area(b.box) - area(a.box))
      .map((f) => ({ box: f.box.map((v) => round(v, 1)), score: round(f.score, 4) })),
    query_face: toQueryFaceJson(face),
    fiqa_level: q.fiqaLevel,
    fiqa_passed: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    total_time: (performance.now() - t0) / 1000,
  };
}
