import { invalidArgument } from './errors';

/** Hour buckets: one DynamoDB partition (per shard) holds one UTC hour of events. */
export const BUCKET_MS = 3_600_000;
/** Largest timestamp a 13-digit sort key can order (year 2286). */
export const MAX_TIMESTAMP_MS = 9_999_999_999_999;
const SECONDS_BELOW = 1e11;
/** What a time field allows, in its error message. */
export const TIME_RULE = `must be a time: seconds (below 1e11) or milliseconds, from 0 to ${MAX_TIMESTAMP_MS} ms`;

/**
 * A contract time in milliseconds: numbers (or numeric strings) below 10^11 are seconds, others
 * milliseconds. `null`/absent gives undefined; anything else is INVALID_ARGUMENTS naming the field.
 *
 * @example parseTime(1628066406.608, 'starttime') === 1628066406608
 */
export function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = toNumber(value);
  if (n === undefined || n < 0 || (n < SECONDS_BELOW ? n * 1000 : n) > MAX_TIMESTAMP_MS)
    throw invalidArgument(field, TIME_RULE);
  const ms = n < SECONDS_BELOW ? n * 1000 : n;
  return ms;
}

/** A finite number from a number or a numeric string; undefined otherwise. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The hour number (ms / 1 h, floored) a timestamp falls in. */
export function hourOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

/** `yyyyMMddHH` (UTC) of an hour number: readable partition keys. */
export function hourLabel(hour: number): string {
  return new Date(hour * BUCKET_MS).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

/** Sort key: zero-padded ms then the event id, so lexical order is time order with a stable tie-break. */
export function sortKey(ms: number, eventId: string): string {
  return `${String(Math.floor(ms)).padStart(13, '0')}#${eventId}`;
}

/** Inclusive integer-ms range still to examine, or undefined when nothing is left. */
export interface ScanRange {
  fromMs: number;
  toMs: number;
}

/**
 * The part of [startMs, endMs] (both inclusive) a call examines, given the previous call's
 * `endtimestamp`: the inclusive edge where this call continues (that call examined everything before
 * it, in scan order, and pages never split a millisecond).
 */
export function remainingRange(
  startMs: number,
  endMs: number,
  resumeMs: number | undefined,
  reverse: boolean,
): ScanRange | undefined {
  let from = Math.ceil(startMs);
  let to = Math.floor(endMs);
  if (resumeMs !== undefined) {
    const r = Math.floor(resumeMs);
    if (reverse) to = Math.min(to, r);
    else from = Math.max(from, r);
  }
  return from <= to ? { fromMs: from, toMs: to } : undefined;
}

/**
 * What a call answers as `have_more` and `endtimestamp`: where the next call continues, inclusive, one
 * millisecond beyond `through` (the last millisecond this call covered, in scan direction); the window's
 * far edge when nothing remains. Without progress (nothing covered), the point this call started from.
 *
 * @example endOfCall({ startMs: 0, endMs: 99, reverse: true }, true, 40, { fromMs: 0, toMs: 99 }) // { haveMore: true, endtimestamp: 39 }
 */
export function endOfCall(
  window: { startMs: number; endMs: number; reverse: boolean },
  haveMore: boolean,
  through: number | undefined,
  range: ScanRange | undefined,
): { haveMore: boolean; endtimestamp: number } {
  const first = Math.ceil(window.startMs);
  const last = Math.floor(window.endMs);
  const farEdge = window.reverse ? first : last;
  if (!haveMore || !range) return { haveMore: false, endtimestamp: farEdge };
  if (through === undefined) {
    return { haveMore: true, endtimestamp: window.reverse ? range.toMs : range.fromMs };
  }
  const next = window.reverse ? through - 1 : through + 1;
  if (next < first || next > last) return { haveMore: false, endtimestamp: farEdge };
  return { haveMore: true, endtimestamp: next };
}
