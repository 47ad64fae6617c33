import { ContractError } from '../../../functions/core/errors';
import { TIME_RULE } from '../../../functions/core/timeWindow';
import {
  BUCKET_MS,
  hourLabel,
  endOfCall,
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

  it('resumes at the previous endtimestamp, inclusive, when reverse', () => {
    expect(remainingRange(1000, 5000, 3000, true)).toEqual({ fromMs: 1000, toMs: 3000 });
  });

  it('resumes at the previous endtimestamp, inclusive, when forward', () => {
    expect(remainingRange(1000, 5000, 3000, false)).toEqual({ fromMs: 3000, toMs: 5000 });
  });

  it('is empty once the resume point passes the far edge', () => {
    expect(remainingRange(1000, 5000, 999, true)).toBeUndefined();
    expect(remainingRange(1000, 5000, 5001, false)).toBeUndefined();
  });
});

describe('endOfCall', () => {
  const win = (reverse: boolean) => ({ startMs: 1000, endMs: 5000, reverse });
  const all = { fromMs: 1000, toMs: 5000 };

  it('continues one millisecond beyond what the call covered', () => {
    expect(endOfCall(win(true), true, 3000, all)).toEqual({ haveMore: true, endtimestamp: 2999 });
    expect(endOfCall(win(false), true, 3000, all)).toEqual({ haveMore: true, endtimestamp: 3001 });
  });

  it('gives the far edge when nothing remains, or the call covered up to it', () => {
    expect(endOfCall(win(true), false, 3000, all)).toEqual({ haveMore: false, endtimestamp: 1000 });
    expect(endOfCall(win(false), false, undefined, all)).toEqual({ haveMore: false, endtimestamp: 5000 });
    expect(endOfCall(win(true), true, 1000, all)).toEqual({ haveMore: false, endtimestamp: 1000 });
  });

  it('repeats the starting point when the call covered nothing', () => {
    expect(endOfCall(win(true), true, undefined, { fromMs: 1000, toMs: 4000 })).toEqual({
      haveMore: true,
      endtimestamp: 4000,
    });
  });
});

describe('buckets and keys', () => {
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
