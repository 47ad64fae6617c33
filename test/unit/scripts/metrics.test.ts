import { pairScores, ratesAt, rocCurve, sortedDesc, tarAtFar } from '../../../scripts/lib/metrics';

describe('verification metrics', () => {
  const genuine = Float64Array.from([0.9, 0.8, 0.7, 0.4]);
  const impostor = sortedDesc(Float64Array.from({ length: 1000 }, (_, i) => i / 2000)); // 0 .. 0.4995

  it('tarAtFar picks the threshold that lets at most FAR × N impostors through', () => {
    const { tar, threshold } = tarAtFar(genuine, impostor, 0.01); // 10 impostors may pass
    expect(threshold).toBeCloseTo(0.4945, 9);
    expect(impostor.filter((s) => s > threshold).length).toBeLessThanOrEqual(10);
    expect(tar).toBe(0.75);
  });

  it('ratesAt counts score ≥ threshold', () => {
    expect(ratesAt(genuine, impostor, 0.4)).toEqual({ tar: 1, far: 200 / 1000 });
  });

  it('pairScores splits all unordered pairs by label', () => {
    const { genuine: g, impostor: i } = pairScores(['a', 'a', 'b'], (x, y) => x * 10 + y);
    expect(Array.from(g)).toEqual([1]);
    expect(Array.from(i)).toEqual([2, 12]);
  });

  it('rocCurve is non-decreasing in TAR as FAR grows', () => {
    const roc = rocCurve(genuine, impostor, 20);
    for (let k = 1; k < roc.length; k++) expect(roc[k].tar).toBeGreaterThanOrEqual(roc[k - 1].tar);
  });
});
