import { decodeEmbedding, EMBEDDING_DIM, encodeEmbedding } from '../../../functions/core/embeddingCodec';
import {
  IDENTICAL_TOLERANCE,
  SCORE_KNOTS,
  compareScore,
  cosineForScore,
} from '../../../functions/core/score';

/** A unit vector with a few large components, as real embeddings have: the int8 scale follows the largest. */
function embedding(seed: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  let x = seed;
  for (let i = 0; i < v.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    v[i] = (x / 2 ** 31 - 0.5) * (i % 50 === 0 ? 6 : 1);
  }
  const n = Math.hypot(...v);
  return v.map((y) => y / n);
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, y, i) => s + y * b[i], 0);

describe('compareScore', () => {
  it('gives 100 for the same photo (cosine 1) and 0 at cosine −1', () => {
    expect(compareScore(1)).toBe(100);
    expect(compareScore(-1)).toBe(0);
  });

  it('is monotone over the whole cosine range', () => {
    let prev = -Infinity;
    for (let c = -1; c <= 1.0000001; c += 0.001) {
      const s = compareScore(c);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
  });

  it('gives exactly 100 to an embedding against its own int8-stored copy', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const v = embedding(seed);
      const stored = decodeEmbedding(encodeEmbedding(v));
      const cos = dot(v, stored) / Math.hypot(...stored);
      expect(cos).toBeLessThan(1); // quantisation does cost something...
      expect(cos).toBeGreaterThan(1 - IDENTICAL_TOLERANCE); // ...but less than the tolerance
      expect(compareScore(cos)).toBe(100);
    }
  });

  it('keeps the calibrated operating points (docs/face-engine.md) where they were', () => {
    expect(cosineForScore(70)).toBeCloseTo(0.357, 12);
    expect(cosineForScore(82)).toBeCloseTo(0.448, 12);
    expect(cosineForScore(90)).toBeCloseTo(0.523, 12);
    expect(compareScore(0.448)).toBeCloseTo(82, 12);
    // Just under the top knot is not 100: a near-duplicate is not the same photo.
    expect(compareScore(1 - IDENTICAL_TOLERANCE - 0.001)).toBeLessThan(100);
  });

  it('stays within 0..100 for values past the ends (rounding in stored embeddings)', () => {
    expect(compareScore(1.02)).toBe(100);
    expect(compareScore(-3)).toBe(0);
  });

  it('has knots in strictly increasing order', () => {
    for (let i = 1; i < SCORE_KNOTS.length; i++) {
      expect(SCORE_KNOTS[i][0]).toBeGreaterThan(SCORE_KNOTS[i - 1][0]);
      expect(SCORE_KNOTS[i][1]).toBeGreaterThan(SCORE_KNOTS[i - 1][1]);
    }
  });
});

describe('cosineForScore', () => {
  it('inverts compareScore', () => {
    for (const score of [0, 10, 50, 70, 82, 90, 99.5, 100]) {
      expect(compareScore(cosineForScore(score))).toBeCloseTo(score, 9);
    }
  });

  it('puts the default threshold 82 at a positive cosine below 1', () => {
    expect(cosineForScore(82)).toBeGreaterThan(0);
    expect(cosineForScore(82)).toBeLessThan(1);
  });
});
