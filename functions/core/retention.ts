import { invalidArgument } from './errors';

/**
 * Epoch seconds at which an event expires: retention counts from the earlier of its event time and the
 * time it was ingested, so neither a clock set ahead nor a forged time can keep it longer.
 */
export function expiresAtSeconds(eventMs: number, ingestedMs: number, retentionDays: number): number {
  return Math.floor(Math.min(eventMs, ingestedMs) / 1000) + retentionDays * 86_400;
}

/**
 * The first event time (ms) a search may return at `nowMs`: an event expires at `expiresAtSeconds`,
 * which counts from its event time (or its ingest, when earlier: an event time ahead of the clock, by
 * at most MAX_FUTURE_SECONDS), and DynamoDB's TTL removes it only up to days later. Reading from here
 * makes retention exact by the event time whatever the sweep has done.
 */
export function retainedFromMs(nowMs: number, retentionDays: number): number {
  return (Math.floor(nowMs / 1000) - retentionDays * 86_400) * 1000;
}

/**
 * Refuses an event time more than `maxFutureSeconds` ahead of `nowMs`: a time far in the future would
 * push the event's expiry past the retention (an event "of 2286" would never expire).
 */
export function refuseFutureTime(
  ms: number | undefined,
  nowMs: number,
  maxFutureSeconds: number,
  field: string,
) {
  if (ms !== undefined && ms > nowMs + maxFutureSeconds * 1000)
    throw invalidArgument(field, `must not be more than ${maxFutureSeconds} s in the future`);
}

/**
 * Whole days an image written at `nowMs` may live so that it never outlives its event (expiring at
 * `expiresAtS`): the value of its `retention-days` tag, which the bucket's lifecycle rules of the same
 * name expire. At least 1 (S3's smallest expiration); at most `retentionDays`.
 */
export function imageRetentionDays(expiresAtS: number, nowMs: number, retentionDays: number): number {
  // In whole seconds, as expiresAt is: a fresh event's images get the full retention, not a day less.
  const days = Math.floor((expiresAtS - Math.floor(nowMs / 1000)) / 86_400);
  const values = retentionTagValues(retentionDays);
  // The largest value with a lifecycle rule that is not past the event's expiry.
  let best = values[0];
  for (const v of values) if (v <= days) best = v;
  return best;
}

/**
 * The `retention-days` values that have a lifecycle rule: every day up to a year, then every 90 days,
 * and the retention itself. An S3 bucket holds at most 1,000 lifecycle rules; at the largest retention
 * setting (36,500 days) this is 771.
 */
export function retentionTagValues(retentionDays: number): number[] {
  const values = new Set<number>();
  for (let d = 1; d <= Math.min(retentionDays, 365); d++) values.add(d);
  for (let d = 450; d < retentionDays; d += 90) values.add(d);
  values.add(retentionDays);
  return [...values].sort((a, b) => a - b);
}

/** The tag key the ingest functions set and the stack's lifecycle rules filter on. */
export const RETENTION_TAG = 'retention-days';
