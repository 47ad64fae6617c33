import { compareScore, cosineForScore, cosineShift } from '../../../functions/core/score';
import { meanTemplate } from '../../../functions/core/template';
import { templateScores, templatesOf } from '../../../scripts/lib/evaluate';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe('meanTemplate', () => {
  it('is the normalised mean of the unit vectors, whatever their lengths', () => {
    const t = meanTemplate([Float32Array.from([3, 0]), Float32Array.from([0, 0.5])]);
    expect(t[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(t[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('is the embedding itself for one', () => {
    expect([...meanTemplate([unit(1, 2, 2)])]).toEqual([...unit(1, 2, 2)]);
  });

  it('refuses no embedding or mixed lengths', () => {
    expect(() => meanTemplate([])).toThrow();
    expect(() => meanTemplate([unit(1, 0), unit(1, 0, 0)])).toThrow();
  });
});

describe('templates of the eval', () => {
  const labels = ['a', 'a', 'a', 'b', 'b'];
  const vectors = [unit(1, 0), unit(1, 0.1), unit(1, -0.1), unit(0, 1), unit(0.1, 1)];

  it('builds one template per photo of identities with more than k photos', () => {
    const t = templatesOf(labels, vectors, 2);
    expect(t.map((x) => [x.identity, [...x.members]])).toEqual([
      ['a', [0, 1]],
      ['a', [1, 2]],
      ['a', [2, 0]],
    ]);
  });

  it('scores each template against the photos outside it only', () => {
    const { genuine, impostor } = templateScores(templatesOf(labels, vectors, 2), labels, vectors);
    expect(genuine).toHaveLength(3); // each template against a's one other photo
    expect(impostor).toHaveLength(6); // each against b's two
    expect(Math.min(...genuine)).toBeGreaterThan(Math.max(...impostor));
  });
});

describe('the score of a template', () => {
  it('asks more cosine of more photos, and the threshold maps back to itself', () => {
    const shifts = [1, 2, 3, 4, 5].map(cosineShift);
    expect(shifts).toEqual([...shifts].sort((a, b) => a - b));
    expect(shifts[0]).toBe(0);
    for (const s of shifts) {
      expect(compareScore(cosineForScore(82, s), s)).toBeCloseTo(82, 6);
      expect(cosineForScore(82, s)).toBeCloseTo(cosineForScore(82) + s, 9);
    }
  });
});
