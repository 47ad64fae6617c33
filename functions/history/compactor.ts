import { ENCODED_BYTES } from '../core/embeddingCodec';
import { BUCKET_MS } from '../core/timeWindow';
import { logger } from '../shared/logger';
import type { HourItems } from './hourItems';
import { PIECE_RECORDS, WHOLE_HOUR_RECORDS, encodePiecedSegment, encodeSegment } from './segmentFormat';
import type { SegmentStore, StoredSegment } from './segmentStore';

export interface CompactorOptions {
  /** An hour is compacted once it ended this long ago (late ingests of the last minutes land first). */
  settleMs: number;
  /** Days an event is kept: hours older than that have no segments. */
  retentionDays: number;
  /** A run starts no new hour after this long (removals always run: they are what erasure needs). */
  budgetMs: number;
  /** The clock (tests move it). */
  now: () => number;
  /** Hours of more records are packed as pieces of `pieceRecords` (read by range); others whole. */
  wholeHourRecords: number;
  pieceRecords: number;
}

export const defaults: CompactorOptions = {
  settleMs: 5 * 60_000,
  retentionDays: 90,
  budgetMs: 3 * 60_000,
  now: Date.now,
  wholeHourRecords: WHOLE_HOUR_RECORDS,
  pieceRecords: PIECE_RECORDS,
};

/** What a run does: stale or expired segments to remove, then hours to (re)build, newest first. */
export interface CompactionPlan {
  remove: StoredSegment[];
  build: Array<{ hour: number; version: string }>;
}

export interface CompactionReport {
  removed: number;
  built: number;
  /** Hours skipped because a write landed while they were read (stale before written: next run). */
  raced: number;
  /** Hours left for the next run (budget spent). */
  deferred: number;
  records: number;
}

/** The settled hours still in retention: [first, last]. */
export function compactableHours(now: number, o: Pick<CompactorOptions, 'settleMs' | 'retentionDays'>) {
  // Hour h is settled when (h + 1) × 1 h + settle ≤ now; retained while h × 1 h + retention > now.
  const last = Math.floor((now - o.settleMs) / BUCKET_MS) - 1;
  const first = Math.floor((now - o.retentionDays * 86_400_000) / BUCKET_MS) + 1;
  return { first, last };
}

/**
 * Pure: which segments go and which hours get built, from the hours' current versions and the stored
 * segments. A segment goes when its hour left [first, last] (expired, or not settled), has no version
 * item any more, or was built at another version (a late ingest or a delete came since: it may hold an
 * erased face code). An hour is built when it has a version and no segment at that version.
 */
export function planCompaction(
  range: { first: number; last: number },
  versions: ReadonlyMap<number, string>,
  stored: readonly StoredSegment[],
): CompactionPlan {
  const current = (s: StoredSegment) =>
    s.hour >= range.first && s.hour <= range.last && versions.get(s.hour) === s.version;
  const remove = stored.filter((s) => !current(s));
  const have = new Set(stored.filter(current).map((s) => s.hour));
  const build: CompactionPlan['build'] = [];
  for (let hour = range.last; hour >= range.first; hour--) {
    const version = versions.get(hour);
    if (version !== undefined && version !== '0' && !have.has(hour)) build.push({ hour, version });
  }
  return { remove, build };
}

/**
 * Builds history segments for settled hours and removes stale ones (docs/store.md, "Segments"). The
 * same code runs in the compactor Lambda (EventBridge schedule) and on the local server's timer.
 *
 * Safety: an hour's version is read before and after its items (all strongly consistent); a segment is
 * written only when both agree, tagged with that version. Every write or delete bumps the version
 * after it lands, so a write racing the read leaves a segment that is stale (never served), never wrong.
 * A segment is one PUT, stored whole or not at all: a crash leaves the old segment or none.
 */
export class Compactor {
  private readonly opts: CompactorOptions;

  constructor(
    private readonly items: HourItems,
    private readonly segments: SegmentStore,
    opts: Partial<CompactorOptions> = {},
  ) {
    this.opts = { ...defaults, ...opts };
  }

  /**
   * One pass over the settled hours still in retention, or over `hours` (inclusive) when given (the
   * bench: its window lies beyond the default retention); segments of other hours are then left alone.
   */
  async run(hours?: { first: number; last: number }): Promise<CompactionReport> {
    const started = this.opts.now();
    const range = hours ?? compactableHours(started, this.opts);
    const all: number[] = [];
    for (let h = range.first; h <= range.last; h++) all.push(h);
    const [versions, listed] = await Promise.all([this.items.versions(all), this.segments.list()]);
    const stored = hours ? listed.filter((s) => s.hour >= hours.first && s.hour <= hours.last) : listed;
    const plan = planCompaction(range, versions, stored);
    // Removals first: a stale segment may hold a face code erased since, and removing is quick.
    await this.segments.remove(plan.remove.map((s) => s.key));
    const report: CompactionReport = {
      removed: plan.remove.length,
      built: 0,
      raced: 0,
      deferred: 0,
      records: 0,
    };
    for (const [i, { hour, version }] of plan.build.entries()) {
      if (this.opts.now() - started > this.opts.budgetMs) {
        report.deferred = plan.build.length - i;
        break;
      }
      const n = await this.buildHour(hour, version);
      if (n === undefined) report.raced++;
      else {
        report.built++;
        report.records += n;
      }
    }
    logger.info({ ...report, ms: Math.round(this.opts.now() - started) }, 'compaction run');
    return report;
  }

  /** Writes the hour's segment at `version`; its record count, or undefined when a write raced the read. */
  async buildHour(hour: number, version: string): Promise<number | undefined> {
    // A damaged item (no 516-byte code) is left out, as a search leaves it out.
    const records = (await this.items.records(hour)).filter((r) => r.code.length === ENCODED_BYTES);
    const after = (await this.items.versions([hour])).get(hour);
    if (after !== version) return undefined;
    const bytes =
      records.length > this.opts.wholeHourRecords
        ? encodePiecedSegment(hour, version, records, this.opts.pieceRecords)
        : encodeSegment(hour, version, records);
    await this.segments.put(hour, version, bytes);
    return records.length;
  }
}

/**
 * Runs `compactor` every `intervalMs` (the local server and the appliance), one run at a time; a failed
 * run is logged and the next one tries again. `stop` waits for a run in progress.
 *
 * @example const timer = startCompactionTimer(compactor, 300_000); ... await timer.stop();
 */
export function startCompactionTimer(compactor: Compactor, intervalMs: number): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = compactor
      .run()
      .then(
        () => undefined,
        (err) => logger.warn({ err: (err as Error)?.name }, 'compaction run failed: next run retries'),
      )
      .finally(() => {
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
