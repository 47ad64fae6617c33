/** Verification metrics over similarity scores: pure functions, unit-tested. */

export interface RocPoint {
  threshold: number;
  far: number;
  tar: number;
}

/**
 * The true accept rate at a false accept rate: the threshold is the lowest at which at most
 * `far` × impostors score above it, and a pair is accepted when its score is strictly above.
 */
export function tarAtFar(
  genuine: Float64Array,
  impostorDesc: Float64Array,
  far: number,
): { tar: number; threshold: number } {
  const k = Math.floor(far * impostorDesc.length);
  const threshold = k < impostorDesc.length ? impostorDesc[k] : -Infinity;
  return { tar: share(genuine, (s) => s > threshold), threshold };
}

/** Accept rates at "score ≥ threshold". */
export function ratesAt(
  genuine: Float64Array,
  impostor: Float64Array,
  threshold: number,
): { tar: number; far: number } {
  return { tar: share(genuine, (s) => s >= threshold), far: share(impostor, (s) => s >= threshold) };
}

export function sortedDesc(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort().reverse();
}

/** ROC points at FARs spaced logarithmically from 1/N to 1. */
export function rocCurve(genuine: Float64Array, impostorDesc: Float64Array, points = 60): RocPoint[] {
  const n = impostorDesc.length;
  const out: RocPoint[] = [];
  const lo = Math.log10(1 / n);
  for (let i = 0; i <= points; i++) {
    const far = 10 ** (lo + ((0 - lo) * i) / points);
    const { tar, threshold } = tarAtFar(genuine, impostorDesc, far);
    out.push({ far: Math.max(far, 1 / n), tar, threshold });
  }
  return out;
}

/** All unordered pairs of items, split into same-label (genuine) and different-label (impostor) scores. */
export function pairScores(
  labels: readonly string[],
  score: (i: number, j: number) => number,
): { genuine: Float64Array; impostor: Float64Array } {
  const n = labels.length;
  let g = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (labels[i] === labels[j]) g++;
  const total = (n * (n - 1)) / 2;
  const genuine = new Float64Array(g);
  const impostor = new Float64Array(total - g);
  let gi = 0,
    ii = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = score(i, j);
      if (labels[i] === labels[j]) genuine[gi++] = s;
      else impostor[ii++] = s;
    }
  }
  return { genuine, impostor };
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function share(values: Float64Array, pred: (v: number) => boolean): number {
  if (values.length === 0) return 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) if (pred(values[i])) c++;
  return c / values.length;
}
