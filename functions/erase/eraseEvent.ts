import type { Services } from '../store/services';
import type { EventPointer } from '../store/types';

/**
 * Erases an event by id (DELETE, right to erasure), whatever state a crash left it in: a complete event
 * (pointer), an ingest that stopped part-way (intent only, its record possibly searchable), or an earlier
 * erasure that stopped part-way. Order: the intent is marked erasing with every time and image known
 * (so if this erasure stops, a retried DELETE or reconcile still finds what is left, even with the images
 * gone), then the records (searches stop finding the event), the images, the pointer, the intent.
 * Undefined when the id is unknown.
 *
 * @example const erased = await eraseEvent(services, 'cam1-2024-05-01T10:00:00Z');
 */
export async function eraseEvent(
  services: Pick<Services, 'events' | 'images'>,
  eventId: string,
): Promise<EventPointer | undefined> {
  const { events, images } = services;
  const [pointer, intent] = await Promise.all([events.find(eventId), events.intent(eventId)]);
  if (!pointer && !intent) return undefined;
  const records = [pointer, intent].filter((r) => r !== undefined);
  const times = [...new Set(records.map((r) => Math.floor(r.timestampMs)))];
  const imageIds = [...new Set(records.flatMap((r) => r.imageIds))];
  await events.markErasing({ eventId, timestampMs: (pointer ?? intent)!.timestampMs, imageIds });
  for (const timestampMs of times) await events.deleteRecord({ eventId, timestampMs });
  if (imageIds.length > 0) await images.delete(imageIds);
  await events.deletePointer(eventId);
  await events.deleteIntent(eventId);
  return pointer ?? { eventId, timestampMs: intent!.timestampMs, imageIds };
}
