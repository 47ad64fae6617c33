import {
  REFERENCE_112,
  applyAffine,
  fivePointsFrom68,
  invertAffine,
  similarityTransform,
  warpAffine,
} from '../../../functions/face/align';
import type { Point } from '../../../functions/core/face';

describe('similarityTransform', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const angle = 0.3,
      scale = 1.7,
      tx = 12,
      ty = -5;
    const src: Point[] = [
      [10, 20],
      [40, 22],
      [25, 35],
      [14, 50],
      [38, 51],
    ];
    const dst = src.map(
      ([x, y]) =>
        [
          scale * (Math.cos(angle) * x - Math.sin(angle) * y) + tx,
          scale * (Math.sin(angle) * x + Math.cos(angle) * y) + ty,
        ] as Point,
    );
    const m = similarityTransform(src, dst);
    for (let i = 0; i < src.length; i++) {
      const p = applyAffine(m, src[i]);
      expect(p[0]).toBeCloseTo(dst[i][0], 9);
      expect(p[1]).toBeCloseTo(dst[i][1], 9);
    }
  });

  it('is the least-squares fit when the points are noisy (residual no worse than the true transform)', () => {
    const src: Point[] = [
      [0, 0],
      [10, 0],
      [5, 5],
      [1, 10],
      [9, 10],
    ];
    const noisy: Point[] = src.map(([x, y], i) => [
      2 * x + 3 + (i % 2 ? 0.4 : -0.3),
      2 * y - 1 + (i % 3 ? 0.2 : -0.5),
    ]);
    const fit = similarityTransform(src, noisy);
    const resid = (m: ReturnType<typeof similarityTransform>) =>
      src.reduce(
        (s, p, i) =>
          s + (applyAffine(m, p)[0] - noisy[i][0]) ** 2 + (applyAffine(m, p)[1] - noisy[i][1]) ** 2,
        0,
      );
    expect(resid(fit)).toBeLessThanOrEqual(resid([2, 0, 3, 0, 2, -1]) + 1e-9);
  });

  it('maps the template onto itself with the identity', () => {
    const m = similarityTransform(REFERENCE_112, REFERENCE_112);
    [1, 0, 0, 0, 1, 0].forEach((v, i) => expect(m[i]).toBeCloseTo(v, 9));
  });

  it('refuses degenerate landmarks', () => {
    expect(() =>
      similarityTransform(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    ).toThrow('degenerate');
  });
});

describe('invertAffine', () => {
  it('undoes the transform', () => {
    const m: [number, number, number, number, number, number] = [1.2, -0.4, 7, 0.4, 1.2, -3];
    const p = applyAffine(invertAffine(m), applyAffine(m, [13, 29]));
    expect(p[0]).toBeCloseTo(13, 9);
    expect(p[1]).toBeCloseTo(29, 9);
  });
});

describe('fivePointsFrom68', () => {
  it('averages the eye lids, takes the nose tip and averages the mouth corners', () => {
    const p = new Float32Array(136);
    for (let i = 0; i < 68; i++) [p[i * 2], p[i * 2 + 1]] = [i, 100 + i];
    const [le, re, nose, lm, rm] = fivePointsFrom68(p);
    expect(le).toEqual([(37 + 38 + 40 + 41) / 4, 100 + (37 + 38 + 40 + 41) / 4]);
    expect(re).toEqual([(43 + 44 + 46 + 47) / 4, 100 + (43 + 44 + 46 + 47) / 4]);
    expect(nose).toEqual([30, 130]);
    expect(lm).toEqual([54, 154]);
    expect(rm).toEqual([59, 159]);
  });
});

describe('warpAffine', () => {
  const img = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i * 7) };

  it('copies pixels under the identity', () => {
    expect(Array.from(warpAffine(img, [1, 0, 0, 0, 1, 0], 4, 3).data)).toEqual(Array.from(img.data));
  });

  it('shifts by whole pixels and fills outside with black', () => {
    const out = warpAffine(img, [1, 0, 1, 0, 1, 0], 4, 3); // x' = x + 1
    expect(Array.from(out.data.slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(out.data.slice(3, 6))).toEqual(Array.from(img.data.slice(0, 3)));
  });

  it('interpolates bilinearly between pixels', () => {
    const out = warpAffine(img, [1, 0, -0.5, 0, 1, 0], 1, 1); // samples x = 0.5
    expect(out.data[0]).toBe(Math.round((img.data[0] + img.data[3]) / 2));
  });
});
