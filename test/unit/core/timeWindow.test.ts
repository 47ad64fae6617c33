import { ContractError } from '../../../functions/core/errors';
import { TIME_RULE } from '../../../functions/core/timeWindow';
import {
  BUCKET_MS,
  hourLabel,
  hoursToScan,
  parseTime,
  remainingRange,
  sortKey,
} from '../../../functions/core/timeWindow';

describe('parseTime', () => {
  it('reads numbers below 10^11 as seconds and others as milliseconds', () => {
    expect(parseTime(1628066406.608, 'starttime')).toBeCloseTo(1628066406608, 3);
    expect(parseTime(1628066406608, 'starttime')).toBe(1628066406608);
    expect(parseTime('1628066406608', 'starttime')).toBe(1628066406608);
  });

  it('treats null and absent as not given', () => {
    expect(parseTime(null, 'endtime')).toBeUndefined();
    expect(parseTime(undefined, 'endtime')).toBeUndefined();
  });

  it.each([['abc'], [-1], [true], [{}], [''], [Infinity], [1e14]])('rejects %p naming the field', (v) => {
    expect(() => parseTime(v, 'endtime')).toThrow(
      new ContractError('INVALID_ARGUMENTS', `endtime: ${TIME_RULE}`),
    );
  });
});

describe('remainingRange', () => {
  it('covers the whole window, both edges inclusive, without a resume point', () => {
    expect(remainingRange(1000.2, 5000.7, undefined, true)).toEqual({ fromMs: 1001, toMs: 5000 });
  });

  it('resumes strictly before the previous endtimestamp when reverse', () => {
    expect(remainingRange(1000, 5000, 3000, true)).toEqual({ fromMs: 1000, toMs: 2999 });
  });

  it('resumes strictly after the previous endtimestamp when forward', () => {
    expect(remainingRange(1000, 5000, 3000, false)).toEqual({ fromMs: 3001, toMs: 5000 });
  });

  it('is empty once the resume point reaches the far edge', () => {
    expect(remainingRange(1000, 5000, 1000, true)).toBeUndefined();
    expect(remainingRange(1000, 5000, 5000, false)).toBeUndefined();
  });
});

describe('buckets and keys', () => {
  it('lists the hours of a range in scan order', () => {
    const h = 480_000;
    const range = { fromMs: h * BUCKET_MS + 5, toMs: (h + 2) * BUCKET_MS };
    expect(hoursToScan(range, false)).toEqual([h, h + 1, h + 2]);
    expect(hoursToScan(range, true)).toEqual([h + 2, h + 1, h]);
  });

  it('labels hours as UTC yyyyMMddHH', () => {
    expect(hourLabel(Date.UTC(2026, 10, 24, 18) / BUCKET_MS)).toBe('2026112418');
  });

  it('orders sort keys lexically as timestamps', () => {
    const keys = [
      sortKey(999, 'b'),
      sortKey(1_000, 'a'),
      sortKey(1_000, 'b'),
      sortKey(1_700_000_000_000, 'a'),
    ];
    expect([...keys].sort()).toEqual(keys);
  });
});
