/**
 * compare_score: a monotone, piecewise-linear map from cosine similarity to 0..100.
 * The knots come from the calibration on ../shared/faces/dev (see README, "Scores"): the default
 * threshold 82 sits at the cosine where the false accept rate over all impostor pairs is ≤ 1e-4.
 * Identical photos (cosine 1) score 100.
 */
export const SCORE_KNOTS: ReadonlyArray<readonly [cosine: number, score: number]> = [
  [-1, 0],
  [0, 30],
  [0.3, 60],
  [0.45, 82],
  [1, 100],
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

/** @example compareScore(1) === 100 */
export function compareScore(cosine: number): number {
  return interpolate(cosine, 0, 1);
}

/** The smallest cosine whose score is ≥ `score`: lets the scan compare raw dot products. */
export function cosineForScore(score: number): number {
  return interpolate(score, 1, 0);
}
