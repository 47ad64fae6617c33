/**
 * compare_score: a monotone, piecewise-linear map from cosine similarity to 0..100, with knots at
 * operating points measured on ../shared/faces/dev (1,480 photos, 212 people, 1,087,287 impostor pairs;
 * `npm run eval -- ../shared/faces/dev`):
 *
 * | score | cosine | meaning on dev |
 * |---|---|---|
 * | 70 | 0.357 | false accept rate ≤ 1e-3 (cosine at FAR 1e-3: 0.3562) |
 * | 82 | 0.448 | false accept rate ≤ 1e-4 (cosine at FAR 1e-4: 0.4459, + 0.002 for int8 storage error) |
 * | 90 | 0.523 | false accept rate ≤ 1e-5 (cosine at FAR 1e-5: 0.5221) |
 *
 * The default threshold 82 is thus a strict operating point.
 *
 * The top knot sits at 1 − IDENTICAL_TOLERANCE rather than 1: a stored embedding is int8 (embeddingCodec.ts)
 * and the scan's query int16, so the same photo, searched against its own event, meets a cosine a hair under
 * 1 (0.99986 measured). Everything within the storage error of 1 scores exactly 100, so `threshold: 100`
 * finds the same photo; the knots below it, and so every calibrated operating point, are unchanged.
 */
/** The largest cosine error of int8 storage measured on dev (docs/face-engine.md: 0.0019), rounded up. */
export const IDENTICAL_TOLERANCE = 0.002;

export const SCORE_KNOTS: ReadonlyArray<readonly [cosine: number, score: number]> = [
  [-1, 0],
  [0, 40],
  [0.357, 70],
  [0.448, 82],
  [0.523, 90],
  [1 - IDENTICAL_TOLERANCE, 100],
];

function interpolate(x: number, from: 0 | 1, to: 0 | 1): number {
  const k = SCORE_KNOTS;
  if (x <= k[0][from]) return k[0][to];
  for (let i = 1; i < k.length; i++) {
    const a = k[i - 1];
    const b = k[i];
    if (x <= b[from]) return a[to] + ((x - a[from]) * (b[to] - a[to])) / (b[from] - a[from]);
  }
  return k[k.length - 1][to];
}

/**
 * A template of K photos (face_images_base64; core/template.ts) meets impostors at higher cosines than one
 * photo does: averaging removes noise from the genuine and the impostor side alike. Its scores are read
 * off the same knots after subtracting this shift, the rise of the cosine at FAR 1e-4 on dev
 * (`npm run eval -- ../shared/faces/dev --query-photos K`: 0.4459 at K = 1, 0.4575 at 2, 0.4659 at 3,
 * 0.4729 at 4, 0.4784 at 5), so 82 still means FAR ≤ 1e-4 (the knot keeps its 0.002 margin for int8
 * storage). The rise at FAR 1e-3 and 1e-5 is the same within 0.003, so one shift keeps every knot's meaning.
 */
export const TEMPLATE_COSINE_SHIFT: Readonly<Record<number, number>> = {
  1: 0,
  2: 0.0116,
  3: 0.02,
  4: 0.027,
  5: 0.0325,
};

/** The cosine shift of a query of `photos` photos (0 for one photo or a stored event's face). */
export function cosineShift(photos: number): number {
  return TEMPLATE_COSINE_SHIFT[photos] ?? TEMPLATE_COSINE_SHIFT[5];
}

/** @example compareScore(0.9999) === 100 */
export function compareScore(cosine: number, shift = 0): number {
  return interpolate(cosine - shift, 0, 1);
}

/** The smallest cosine whose score is ≥ `score`: lets the scan compare raw dot products. */
export function cosineForScore(score: number, shift = 0): number {
  return interpolate(score, 1, 0) + shift;
}
