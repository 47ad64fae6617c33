import { logger } from '../shared/logger';
import type { Services } from '../store/services';
import type { EventLocation } from '../store/types';

/**
 * Best-effort undo of an ingest that failed after it may have stored images or the event record: the
 * record first (so no searchable event ever points at a deleted image), then the images, then the
 * event's intent (functions/store/types.ts, EventIntent). Nothing is
 * undone if the event's pointer exists, because then the event is complete: a concurrent ingest of the
 * same id finished it, or ours did and only its answer was lost. Never throws: what it cannot remove
 * (storage down) the reconcile step (functions/reconcile/reconcile.ts) removes later.
 *
 * @example catch (err) { await undoIngest(services, { eventId, timestampMs }, imageIds); throw err; }
 */
export async function undoIngest(
  services: Services,
  event: EventLocation,
  imageIds: string[],
): Promise<'undone' | 'complete' | 'left-for-reconcile'> {
  try {
    if (await services.events.find(event.eventId)) {
      // Complete after all; what is left of other attempts (our copy, if we lost a race) goes.
      await services.events.settle(event.eventId);
      return 'complete';
    }
    // The record is where the intent put it (an earlier stopped attempt's time). Without pointer and
    // intent (read consistently) the id has no record: every record is named by one of them
    // (docs/store.md, "Crashes"). Then the table is not written at all, which matters when it is the
    // part of storage that failed (a full table disk: the images still go).
    const intent = await services.events.intent(event.eventId);
    if (intent) await services.events.deleteRecord(intent);
    await services.images.delete(imageIds);
    // Last: until the record and images are gone, the intent is what lets DELETE and reconcile find them.
    if (intent) await services.events.deleteIntent(event.eventId);
    logger.warn({ eventId: event.eventId, images: imageIds.length }, 'failed ingest undone');
    return 'undone';
  } catch (err) {
    const e = err as { name?: string; message?: string } | null;
    logger.warn(
      { eventId: event.eventId, err: { name: e?.name, message: e?.message } },
      'failed ingest not undone: left for reconcile',
    );
    return 'left-for-reconcile';
  }
}
