import { backoffDelay, createRetryStrategy } from '../../../functions/store/retryPolicy';

describe('backoffDelay (equal jitter)', () => {
  it('waits between half and all of base·2ⁿ, capped', () => {
    expect(backoffDelay(0, 100, 2000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 2000, () => 0.999999)).toBe(99);
    expect(backoffDelay(3, 100, 2000, () => 0)).toBe(400);
    expect(backoffDelay(3, 100, 2000, () => 0.999999)).toBe(799);
    expect(backoffDelay(10, 100, 2000, () => 0)).toBe(1000);
    expect(backoffDelay(10, 100, 2000, () => 0.999999)).toBe(1999);
  });

  it('grows with each retry: its shortest wait is at least the longest wait of the retry before', () => {
    for (let n = 1; n < 6; n++) {
      expect(backoffDelay(n, 100, 1e9, () => 0)).toBeGreaterThan(
        backoffDelay(n - 1, 100, 1e9, () => 0.99999),
      );
    }
  });

  it('spreads the retries of instances that failed together', () => {
    const waits = new Set(Array.from({ length: 200 }, () => backoffDelay(4, 100, 2000)));
    expect(waits.size).toBeGreaterThan(100);
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(800);
      expect(w).toBeLessThan(1600);
    }
  });
});

describe('createRetryStrategy', () => {
  const throttled = { errorType: 'THROTTLING' as const };
  const transient = { errorType: 'TRANSIENT' as const };

  it('retries throttling and transient failures up to maxAttempts, waiting our backoff (SDK base 1 s for throttling)', async () => {
    const strategy = createRetryStrategy({ maxAttempts: 3, baseDelayMs: 10, random: () => 0 });
    let token = await strategy.acquireInitialRetryToken('');
    const t0 = Date.now();
    token = await strategy.refreshRetryTokenForRetry(token, transient); // retry 0: 5 ms
    token = await strategy.refreshRetryTokenForRetry(token, throttled); // retry 1: 1000 ms
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await expect(strategy.refreshRetryTokenForRetry(token, transient)).rejects.toThrow();
  });

  it('does not retry client errors (validation, conditional checks)', async () => {
    const strategy = createRetryStrategy({ maxAttempts: 4 });
    const token = await strategy.acquireInitialRetryToken('');
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
  });
});
