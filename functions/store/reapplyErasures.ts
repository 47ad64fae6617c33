import { eraseEvent } from './eraseEvent';
import type { Services } from './services';

export interface ReapplyReport {
  /** Ids in the erasure list. */
  listed: number;
  /** Of those, events found in the table and erased again (a restore had brought them back). */
  erased: number;
}

/**
 * Erases again every event id of the erasure list: the step after a point-in-time (or backup) restore of
 * the table, which brings back events erased after the restore point (docs/security.md, "Restore").
 * Ids whose event is absent cost one GetItem each and change nothing, so it is safe to run at any time.
 */
export async function reapplyErasures(
  services: Pick<Services, 'events' | 'images' | 'erasures'>,
): Promise<ReapplyReport> {
  const report: ReapplyReport = { listed: 0, erased: 0 };
  for await (const page of services.erasures.ids()) {
    for (const id of page) {
      report.listed++;
      if (await eraseEvent(services, id)) report.erased++;
    }
  }
  return report;
}
