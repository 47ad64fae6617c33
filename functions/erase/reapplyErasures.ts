import { eraseEvent } from './eraseEvent';
import { erasureCovers } from '../store/erasureLog';
import type { Services } from '../store/services';

export interface ReapplyReport {
  /** Ids in the erasure list. */
  listed: number;
  /** Of those, events found in the table and erased again (a restore had brought them back). */
  erased: number;
  /** Of those, events ingested again after their erasure (new data under the same id): left alone. */
  kept: number;
}

/**
 * What a listed erasure means for its id now: nothing stored ('absent'), an event the erasure covers
 * (ingested at or before it, or at an unknown time: 'covered'), or one ingested after it ('newer').
 */
export async function listedErasureState(
  services: Pick<Services, 'events' | 'erasures'>,
  eventId: string,
): Promise<'absent' | 'covered' | 'newer'> {
  const [pointer, intent] = await Promise.all([
    services.events.find(eventId),
    services.events.intent(eventId),
  ]);
  if (!pointer && !intent) return 'absent';
  // Read only when something is stored: most listed ids cost one GetItem pair and no HeadObject.
  const erasedAt = await services.erasures.erasedAt(eventId);
  if (erasedAt === undefined) return 'absent'; // the marker expired since the listing
  return erasureCovers(erasedAt, pointer, intent) ? 'covered' : 'newer';
}

/**
 * Erases again every event of the erasure list that was stored when it was erased: the step after a
 * point-in-time (or backup) restore of the table, which brings back events erased after the restore
 * point (docs/security.md, "Restore"). An event of a listed id ingested after its erasure is new data
 * and stays (docs/store.md, "Erasure and a later ingest of the same id"). Ids whose event is absent
 * cost two GetItems each and change nothing, so it is safe to run at any time.
 */
export async function reapplyErasures(
  services: Pick<Services, 'events' | 'images' | 'erasures'>,
): Promise<ReapplyReport> {
  const report: ReapplyReport = { listed: 0, erased: 0, kept: 0 };
  for await (const page of services.erasures.ids()) {
    for (const id of page) {
      report.listed++;
      const state = await listedErasureState(services, id);
      if (state === 'newer') report.kept++;
      else if (state === 'covered' && (await eraseEvent(services, id))) report.erased++;
    }
  }
  return report;
}
