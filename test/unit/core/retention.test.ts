import {
  expiresAtSeconds,
  imageRetentionDays,
  refuseFutureTime,
  retentionTagValues,
} from '../../../functions/core/retention';

const DAY = 86_400_000;
const now = Date.UTC(2026, 5, 1, 12, 0, 0, 345);

describe('retention', () => {
  it('counts from the earlier of event time and ingest time', () => {
    expect(expiresAtSeconds(now - 10 * DAY, now, 90)).toBe(Math.floor((now - 10 * DAY) / 1000) + 90 * 86_400);
    expect(expiresAtSeconds(now + 60_000, now, 90)).toBe(Math.floor(now / 1000) + 90 * 86_400);
  });

  it('refuses times more than the allowed skew ahead', () => {
    expect(() => refuseFutureTime(now + 301_000, now, 300, 'timestamp')).toThrow(
      'timestamp: must not be more than 300 s in the future',
    );
    expect(() => refuseFutureTime(now + 299_000, now, 300, 'timestamp')).not.toThrow();
    expect(() => refuseFutureTime(undefined, now, 300, 'out_timestamp')).not.toThrow();
  });

  it("tags images with days that never pass their event's expiry", () => {
    const fresh = expiresAtSeconds(now, now, 90);
    expect(imageRetentionDays(fresh, now, 90)).toBe(90);
    const backdated = expiresAtSeconds(now - 30.5 * DAY, now, 90);
    expect(imageRetentionDays(backdated, now, 90)).toBe(59);
    // Already (nearly) expired: S3's smallest expiration.
    expect(imageRetentionDays(expiresAtSeconds(now - 95 * DAY, now, 90), now, 90)).toBe(1);
    // Long retentions: the largest rule value not past the expiry.
    const long = expiresAtSeconds(now - 100 * DAY, now, 3650);
    const days = imageRetentionDays(long, now, 3650);
    expect(days).toBeLessThanOrEqual(3550);
    expect(retentionTagValues(3650)).toContain(days);
    expect(3550 - days).toBeLessThan(90);
  });

  it('has a lifecycle rule value for every day up to a year, and fits S3’s 1,000 rules at the largest retention', () => {
    expect(retentionTagValues(90)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(retentionTagValues(36500).length).toBeLessThan(995);
    expect(retentionTagValues(36500).at(-1)).toBe(36500);
  });
});
