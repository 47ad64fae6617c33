import { StandardRetryStrategy, type StandardRetryStrategyOptions } from '@smithy/core/retry';

export interface RetryPolicyOptions {
  /** Attempts per call, the first one included. */
  maxAttempts: number;
  /** Ceiling of the first retry's delay for transient failures (timeouts, refused connections, 5xx). */
  baseDelayMs: number;
  /** No retry waits longer than this, so a few retries fit in API Gateway's 29 s. */
  maxDelayMs: number;
  random: () => number;
}

export const defaults: RetryPolicyOptions = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  random: Math.random,
};

/**
 * "Equal jitter": the n-th retry (0-based) waits between half and all of min(max, base·2ⁿ). The random
 * half keeps instances that failed together from retrying together; the fixed half guarantees the wait
 * grows, which full jitter (anything from 0) does not.
 *
 * @example backoffDelay(2, 100, 2000) // 200..400 ms
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The SDK's standard strategy (which retries throttling, timeouts, connection errors and 5xx, and stops
 * retrying for a while when most calls fail: its retry-token bucket) with our backoff. The SDK sets the
 * base per failure: `baseDelayMs` for transient errors, its own 1 s for throttling.
 */
export function createRetryStrategy(opts: Partial<RetryPolicyOptions> = {}): StandardRetryStrategy {
  const o = { ...defaults, ...opts };
  let base = o.baseDelayMs;
  const backoff: NonNullable<StandardRetryStrategyOptions['backoff']> = {
    computeNextBackoffDelay: (retry) => backoffDelay(retry, base, o.maxDelayMs, o.random),
    setDelayBase: (ms) => {
      base = ms;
    },
  };
  return new StandardRetryStrategy({ maxAttempts: o.maxAttempts, baseDelay: o.baseDelayMs, backoff });
}
