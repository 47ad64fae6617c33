import { eraseEvent } from '../erase/eraseEvent';
import { listedErasureState } from '../erase/reapplyErasures';
import type { Services } from '../store/services';
import type { EventIntent, ListedImage } from '../store/types';

export interface ReconcileOptions {
  /** Images younger than this may belong to an ingest still running: never touched. */
  graceMs: number;
  /** Count what would be removed, remove nothing. */
  dryRun: boolean;
  /** Events checked at once. */
  concurrency: number;
  now: () => number;
  /** Called after each page of intents or images with the counts so far (progress, and what a failure had done). */
  onProgress?: (report: ReconcileReport) => void;
}

const defaults: ReconcileOptions = { graceMs: 60 * 60_000, dryRun: false, concurrency: 8, now: Date.now };

export interface ReconcileReport {
  imagesListed: number;
  /** Images whose event exists, or that are younger than the grace period. */
  kept: number;
  /** Images of events that have no pointer and are older than the grace period (failed ingests). */
  orphanImagesRemoved: number;
  /** Pointer-less event records of those failed ingests, removed before their images. */
  orphanRecordsRemoved: number;
  /** Erasures that stopped after removing the record (DELETE failed part-way, or TTL removed the record). */
  erasuresFinished: number;
  /** Orphan-looking images with no event time stored with them (older releases): left alone, counted. */
  unverified: number;
  /** Objects under images/ not named `<event id>.face|.scene`. */
  foreign: number;
  /** Intents (functions/store/types.ts, EventIntent) read. */
  intentsListed: number;
  /** Intents of complete events whose ingest stopped before settling: other attempts' records removed. */
  intentsSettled: number;
  /** Records of earlier attempts at other times than the pointer's (would be a second copy of the id). */
  staleRecordsRemoved: number;
  /** Ingests that stopped before their pointer, or erasures that stopped: erased whole (records, images, intent). */
  intentsErased: number;
  /** Ids of the erasure list whose event was still stored (a DELETE stopped after its marker): erased. */
  listedErasuresFinished: number;
  /** Ids of the erasure list ingested again after their erasure (new data under the same id): kept. */
  listedErasuresNewer: number;
  /** Intents younger than the grace period (an ingest or erasure may still be running): left alone. */
  intentsKept: number;
  dryRun: boolean;
}

const SUFFIX = /\.(face|scene)$/;

/**
 * Removes what failed ingests and interrupted erasures left behind, in the order that never leaves an
 * event pointing at a missing image (record, then images, then pointer):
 *
 * - intents older than the grace period: of a complete event, the records other attempts left at other
 *   times (then the intent); of an ingest that never got its pointer, or an erasure that stopped, the
 *   whole event (eraseEvent.ts);
 * - images whose event has no pointer and that are older than the grace period: the event's record (if
 *   the failed ingest got that far; found through the event time stored with the image) and then the
 *   images;
 * - events whose pointer remains but whose record is gone: their images, then the pointer.
 *
 * Run it as `npm run reconcile` (scripts/reconcile.ts) or on a schedule.
 *
 * @example const report = await reconcile(services, { graceMs: 3_600_000 });
 */
export async function reconcile(
  services: Pick<Services, 'events' | 'images'> & Partial<Pick<Services, 'erasures'>>,
  options: Partial<ReconcileOptions> = {},
): Promise<ReconcileReport> {
  const o = { ...defaults, ...options };
  const { events, images } = services;
  const report: ReconcileReport = {
    imagesListed: 0,
    kept: 0,
    orphanImagesRemoved: 0,
    orphanRecordsRemoved: 0,
    erasuresFinished: 0,
    unverified: 0,
    foreign: 0,
    intentsListed: 0,
    intentsSettled: 0,
    staleRecordsRemoved: 0,
    intentsErased: 0,
    intentsKept: 0,
    listedErasuresFinished: 0,
    listedErasuresNewer: 0,
    dryRun: o.dryRun,
  };
  const cutoff = o.now() - o.graceMs;

  // The erasure list first: a DELETE that stopped right after its marker left the event whole, its
  // intent unmarked; erasing it is what the DELETE had begun (eraseEvent is safe to repeat). An event
  // ingested after its erasure is new data and stays (erasureCovers).
  if (services.erasures) {
    const withList = { events, erasures: services.erasures };
    for await (const page of services.erasures.ids()) {
      for (const id of page) {
        const state = await listedErasureState(withList, id);
        if (state === 'newer') report.listedErasuresNewer++;
        if (state !== 'covered') continue;
        report.listedErasuresFinished++;
        if (!o.dryRun) await eraseEvent(services, id);
      }
    }
  }

  // Intents next: each names the time at which an attempt may have left a record, images or not.
  const settleIntent = async (intent: EventIntent): Promise<void> => {
    if (intent.touchedAt > cutoff) {
      report.intentsKept++;
      return;
    }
    const pointer = intent.erasing ? undefined : await events.find(intent.eventId);
    if (pointer) {
      report.intentsSettled++;
      if (o.dryRun) {
        report.staleRecordsRemoved += Number(
          Math.floor(intent.timestampMs) !== Math.floor(pointer.timestampMs),
        );
      } else report.staleRecordsRemoved += await events.settle(intent.eventId);
      return;
    }
    report.intentsErased++;
    if (!o.dryRun) await eraseEvent(services, intent.eventId);
  };
  for await (const page of events.intents()) {
    report.intentsListed += page.length;
    const queue = [...page];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await settleIntent(next);
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    o.onProgress?.({ ...report });
  }

  const settle = async (eventId: string, listed: ListedImage[]): Promise<void> => {
    const ids = listed.map((i) => i.imageId);
    const pointer = await events.find(eventId);
    if (pointer) {
      if (await events.recordExists(pointer)) {
        report.kept += ids.length;
        return;
      }
      if (!o.dryRun) {
        await images.delete([...new Set([...pointer.imageIds, ...ids])]);
        await events.deletePointer(eventId);
      }
      report.erasuresFinished++;
      return;
    }
    if (listed.some((i) => i.lastModified.getTime() > cutoff)) {
      report.kept += ids.length;
      return;
    }
    // An intent left after the pass above is young (an ingest under way): its images stay with it.
    if (await events.intent(eventId)) {
      report.kept += ids.length;
      return;
    }
    let timestampMs: number | undefined;
    for (const id of ids) {
      timestampMs ??= await images.eventTimestampOf(id);
    }
    if (timestampMs === undefined) {
      report.unverified += ids.length;
      return;
    }
    const location = { eventId, timestampMs };
    if (await events.recordExists(location)) {
      if (!o.dryRun) await events.deleteRecord(location);
      report.orphanRecordsRemoved++;
    }
    if (!o.dryRun) await images.delete(ids);
    report.orphanImagesRemoved += ids.length;
  };

  for await (const page of images.list()) {
    report.imagesListed += page.length;
    const byEvent = new Map<string, ListedImage[]>();
    for (const image of page) {
      if (!SUFFIX.test(image.imageId)) {
        report.foreign++;
        continue;
      }
      const eventId = image.imageId.replace(SUFFIX, '');
      byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), image]);
    }
    const queue = [...byEvent];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await settle(...next);
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    o.onProgress?.({ ...report });
  }
  return report;
}
