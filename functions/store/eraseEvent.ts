import type { Services } from './services';
import type { EventPointer } from './types';

/**
 * Erases an event by id (DELETE, right to erasure) in the one order that never leaves a searchable event
 * pointing at a missing image: the record first (searches stop finding it), then its images, then the
 * pointer. The pointer goes last because it is what a retried DELETE (or the reconcile step) needs to
 * find the images if this erasure stops part-way. Undefined when the id is unknown.
 *
 * @example const erased = await eraseEvent(services, 'cam1-2024-05-01T10:00:00Z');
 */
export async function eraseEvent(
  services: Pick<Services, 'events' | 'images'>,
  eventId: string,
): Promise<EventPointer | undefined> {
  const pointer = await services.events.find(eventId);
  if (!pointer) return undefined;
  await services.events.deleteRecord(pointer);
  await services.images.delete(pointer.imageIds);
  await services.events.deletePointer(eventId);
  return pointer;
}
