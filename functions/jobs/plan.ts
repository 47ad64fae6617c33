import { BUCKET_MS, type ScanRange } from '../core/timeWindow';

/** One worker task of a job: a stretch of the window, scanned whole in scan order. */
export interface Piece {
  /** Position in scan order: results are merged by it. */
  index: number;
  fromMs: number;
  toMs: number;
  /** Records the hour directory counts in it (a hint: counts, progress). */
  records: number;
}

/** An hour of the directory with events, and how many it holds (undefined: an entry without a count). */
export interface HourCount {
  hour: number;
  count?: number;
}

/** What an hour without a count is taken to hold (the block reader's whole-hour limit). */
const UNCOUNTED_HOUR_RECORDS = 20_000;

/**
 * Splits a window into pieces of whole hours of about `target` records each (an hour is never split), in
 * scan order. The pieces tile the window without gap or overlap, so an hour written after planning is
 * still scanned by the piece whose stretch holds it, exactly as the contract's iterated calls would; empty
 * stretches join the piece before them (in time). No hour with events: one piece over the whole window.
 *
 * @example planPieces([{ hour: 10, count: 5 }], { fromMs: 0, toMs: 99e6 }, true, 1000)
 */
export function planPieces(hours: HourCount[], range: ScanRange, reverse: boolean, target: number): Piece[] {
  const sorted = hours
    .filter((h) => (h.hour + 1) * BUCKET_MS > range.fromMs && h.hour * BUCKET_MS <= range.toMs)
    .sort((a, b) => a.hour - b.hour);
  // Groups of consecutive listed hours, ascending; each becomes the stretch up to the next group's start.
  const groups: Array<{ first: number; records: number }> = [];
  let open: { first: number; records: number } | undefined;
  for (const h of sorted) {
    const n = h.count ?? UNCOUNTED_HOUR_RECORDS;
    if (open && open.records > 0 && open.records + n > target) open = undefined;
    if (!open) {
      open = { first: h.hour, records: 0 };
      groups.push(open);
    }
    open.records += n;
  }
  if (groups.length === 0) return [{ index: 0, ...range, records: 0 }];
  const ascending = groups.map((g, i) => ({
    fromMs: i === 0 ? range.fromMs : g.first * BUCKET_MS,
    toMs: i === groups.length - 1 ? range.toMs : groups[i + 1].first * BUCKET_MS - 1,
    records: g.records,
  }));
  if (reverse) ascending.reverse();
  return ascending.map((p, index) => ({ index, ...p }));
}
