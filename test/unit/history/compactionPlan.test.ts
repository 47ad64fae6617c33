import { BUCKET_MS } from '../../../functions/core/timeWindow';
import { compactableHours, planCompaction } from '../../../functions/history/compactor';
import { parseSegmentKey, segmentKey } from '../../../functions/history/segmentStore';

const seg = (hour: number, version: string) => ({ hour, version, key: segmentKey(hour, version) });

describe('compaction plan', () => {
  it('takes hours that ended at least the settle time ago and are still within retention', () => {
    const now = 1000 * BUCKET_MS + 4 * 60_000; // 4 minutes into hour 1000
    expect(compactableHours(now, { settleMs: 5 * 60_000, retentionDays: 1 })).toEqual({
      first: 977,
      last: 998,
    });
    expect(compactableHours(now + 60_000, { settleMs: 5 * 60_000, retentionDays: 1 }).last).toBe(999);
  });

  it('builds settled hours without a current segment, newest first, and removes stale, expired and orphaned ones', () => {
    const versions = new Map([
      [10, '3'],
      [11, '5'],
      [12, '1'],
      [13, '0'],
    ]);
    const plan = planCompaction({ first: 10, last: 13 }, versions, [
      seg(9, '4'), // past retention
      seg(10, '3'), // current: kept
      seg(11, '4'), // a write or delete since: stale
      seg(14, '1'), // not settled (cannot be built, so a leftover)
      seg(15, '2'), // no version item (expired)
    ]);
    expect(plan.remove.map((s) => [s.hour, s.version])).toEqual([
      [9, '4'],
      [11, '4'],
      [14, '1'],
      [15, '2'],
    ]);
    expect(plan.build).toEqual([
      { hour: 12, version: '1' },
      { hour: 11, version: '5' },
    ]);
  });

  it('names segments by hour label and version, and parses its keys only', () => {
    const hour = Date.UTC(2026, 0, 15, 9) / BUCKET_MS;
    expect(segmentKey(hour, '12')).toBe('segments/2026011509/12.seg');
    expect(parseSegmentKey('segments/2026011509/12.seg')).toEqual({ hour, version: '12' });
    expect(parseSegmentKey('images/2026011509/12.seg')).toBeUndefined();
    expect(parseSegmentKey('segments/2026011509/x.seg')).toBeUndefined();
  });
});
