import { SCORE_KNOTS, compareScore, cosineForScore } from '../../../functions/core/score';

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
