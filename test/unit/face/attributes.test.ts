import { ageBand, binnedAngle, genderLabel, softmax, ssrMerge } from '../../../functions/face/attributes';

describe('ssrMerge (soft stagewise regression)', () => {
  it('gives 0 when all mass is on the first bin of every stage with no shift or scale', () => {
    const x = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(ssrMerge(x, 101)).toBe(0);
  });

  it('adds up the three stages: stage 1 at bin 2 alone gives 2/3 of the range', () => {
    const x = [0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(ssrMerge(x, 101)).toBeCloseTo((2 / 3) * 101, 9);
  });

  it('is shifted by the index offsets', () => {
    const base = [0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const shifted = [...base];
    shifted[13] = 0.5;
    expect(ssrMerge(shifted, 1)).toBeGreaterThan(ssrMerge(base, 1));
  });
});

describe('labels', () => {
  it('maps years to the contract age bands', () => {
    expect([5, 15, 30, 50, 70].map(ageBand)).toEqual(['child', 'juvenile', 'youth', 'middle-aged', 'aged']);
  });

  it('maps the gender score at 0.5', () => {
    expect(genderLabel(0.2)).toBe('female');
    expect(genderLabel(0.8)).toBe('male');
  });
});

describe('binnedAngle', () => {
  it('is the expected value over 66 bins of 3° from −99°', () => {
    const peaked = Array.from({ length: 66 }, (_, i) => (i === 33 ? 50 : 0));
    expect(binnedAngle(peaked)).toBeCloseTo(0, 6);
    const uniform = new Array(66).fill(0);
    expect(binnedAngle(uniform)).toBeCloseTo(-1.5, 9); // mean bin 32.5 → 97.5 − 99
  });

  it('softmax sums to 1 and survives large logits', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
  });
});
