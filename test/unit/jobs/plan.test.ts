import { BUCKET_MS } from '../../../functions/core/timeWindow';
import { settledPrefix } from '../../../functions/jobs/coordinator';
import type { PieceMarker } from '../../../functions/jobs/jobStore';
import { planPieces } from '../../../functions/jobs/plan';

const H = BUCKET_MS;

describe('planPieces', () => {
  const range = { fromMs: 10 * H + 123, toMs: 30 * H - 7 };
  const hours = [11, 12, 13, 20, 21, 29].map((hour) => ({ hour, count: 400 }));

  it.each([true, false])('tiles the window without gap or overlap, in scan order (reverse %s)', (reverse) => {
    const pieces = planPieces(hours, range, reverse, 1000);
    const asc = reverse ? [...pieces].reverse() : pieces;
    expect(asc[0].fromMs).toBe(range.fromMs);
    expect(asc[asc.length - 1].toMs).toBe(range.toMs);
    for (let i = 1; i < asc.length; i++) expect(asc[i].fromMs).toBe(asc[i - 1].toMs + 1);
    expect(pieces.map((p) => p.index)).toEqual(pieces.map((_, i) => i));
    expect(pieces.reduce((a, p) => a + p.records, 0)).toBe(2400);
    // Whole hours, about the target each: 800 + 800 + 800 (never an hour split).
    expect(asc.map((p) => p.records)).toEqual([800, 800, 800]);
    for (const p of asc.slice(1)) expect(p.fromMs % H).toBe(0);
  });

  it('keeps an hour above the target whole, and plans one piece for a window without events', () => {
    expect(planPieces([{ hour: 12, count: 5000 }], range, true, 1000)).toHaveLength(1);
    expect(planPieces([], range, true, 1000)).toEqual([{ index: 0, ...range, records: 0 }]);
    // Hours outside the window are not counted; an entry without a count counts as a whole hour.
    const p = planPieces([{ hour: 5, count: 9 }, { hour: 15 }], range, false, 100_000);
    expect(p).toEqual([{ index: 0, ...range, records: 20_000 }]);
  });
});

describe('settledPrefix', () => {
  const m = (index: number, matches: number, more = false): [number, PieceMarker] => [
    index,
    { index, matches, examined: 0, covered: 0, more },
  ];

  it('serves only the leading finished pieces', () => {
    const markers = new Map([m(0, 3), m(2, 4)]);
    expect(settledPrefix(3, markers, 100)).toEqual({
      through: 1,
      matches: 3,
      complete: false,
      truncated: false,
    });
    markers.set(...m(1, 0));
    expect(settledPrefix(3, markers, 100)).toEqual({
      through: 3,
      matches: 7,
      complete: true,
      truncated: false,
    });
  });

  it('is complete once the leading pieces reach max_results, or one held more', () => {
    expect(settledPrefix(5, new Map([m(0, 6), m(1, 6)]), 10)).toMatchObject({
      through: 2,
      complete: true,
      truncated: true,
    });
    expect(settledPrefix(5, new Map([m(0, 2, true)]), 10)).toMatchObject({
      through: 1,
      complete: true,
      truncated: true,
    });
    expect(settledPrefix(5, new Map([m(0, 10)]), 10)).toMatchObject({ through: 1, complete: true });
  });
});
