import type { QueryFace } from './face';
import { round } from './round';

/** `query_face` of a response (search and detect): the face that was (or would be) searched. */
export interface QueryFaceJson {
  box: number[];
  det_score: number;
  quality: Record<string, number>;
}

/**
 * The engine's query face in the API's words, rounded: pixel boxes to 0.1 px, angles to 0.1°.
 *
 * @example toQueryFaceJson(await engine.analyzeQuery(bytes, 'low')).quality.face_size
 */
export function toQueryFaceJson(face: Pick<QueryFace, 'box' | 'detScore' | 'quality'>): QueryFaceJson {
  const { box, detScore, quality } = face;
  const measured: [string, number][] = [
    ['face_size', quality.faceSize],
    ['yaw', quality.yaw],
    ['pitch', quality.pitch],
    ['roll', quality.roll],
    ['brightness', quality.brightness],
  ];
  return {
    box: box.map((v) => round(v, 1)),
    det_score: round(detScore, 4),
    // What was not measured (the angles at fiqa_level "no") is left out rather than sent as null.
    quality: Object.fromEntries(
      measured.filter(([, v]) => Number.isFinite(v)).map(([k, v]) => [k, round(v, 1)]),
    ),
  };
}
