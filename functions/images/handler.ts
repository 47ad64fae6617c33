import { IMAGE_ID_PATTERN, ID_PATTERN } from '../core/event';
import { invalidArgument } from '../core/errors';
import { type ApiEvent, type ApiResult, binary, json } from '../http/apiGateway';
import { apiHandler } from '../http/middy';
import { openApiDocument, OPENAPI_PATH } from '../http/openapi';
import { apiMetrics, createMetrics, type Metrics } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { config } from '../shared/config';
import { eraseEvent } from '../erase/eraseEvent';
import { lambdaServices } from '../composition/lambda';
import type { Services } from '../store/services';

const notFound = (what: string) =>
  json(404, { error: { code: 'NOT_FOUND', message: `id: no ${what} has this id` } });

/**
 * The last path segment: API Gateway gives it as pathParameters.id, the local server as well. Malformed
 * percent-encoding gives '', which no stored id matches.
 */
function idOf(event: ApiEvent): string {
  if (event.pathParameters?.id !== undefined) return event.pathParameters.id;
  try {
    return decodeURIComponent(event.path.split('/').pop() ?? '');
  } catch {
    return '';
  }
}

/** GET /sophon/v2/face/images/{id}: a stored face crop or scene image. */
export async function getImage(event: ApiEvent, services: Services): Promise<ApiResult> {
  const id = idOf(event);
  if (!IMAGE_ID_PATTERN.test(id)) return notFound('stored image');
  const img = await services.images.get(id);
  if (!img) return notFound('stored image');
  // no-store: an erased event's face must not live on in a browser's or a proxy's cache.
  return binary(img.bytes, img.contentType, { 'Cache-Control': 'no-store' });
}

/** DELETE /sophon/v2/face/events/{id}: the event, its images and its pointer (right to erasure). */
export async function deleteEvent(event: ApiEvent, services: Services): Promise<ApiResult> {
  const id = idOf(event);
  if (!ID_PATTERN.test(id)) return notFound('event');
  // The pointer, or (an ingest or erasure a crash stopped) only the intent: either is erasable.
  const [pointer, intent] = await Promise.all([services.events.find(id), services.events.intent(id)]);
  if (!pointer && !intent) return notFound('event');
  // Recorded before anything is erased, outside the table: a restore of the table re-applies it
  // (erase/reapplyErasures.ts), and an erasure that stops right after it is finished by reconcile.
  await services.erasures.record(id);
  if (!(await eraseEvent(services, id))) return notFound('event');
  return json(200, { event_id: id, deleted: true });
}

export function createImagesHandler(
  services: () => Services,
  corsOrigins: () => string[] = () => [],
  metrics?: Metrics,
) {
  return apiHandler({ metrics: metrics && apiMetrics(metrics), corsOrigins, body: 'none' }).handler(
    async (event) => {
      const read = event.httpMethod === 'GET' || event.httpMethod === 'HEAD';
      if (read && (event.resource ?? event.path) === OPENAPI_PATH) return json(200, openApiDocument());
      if (read) return getImage(event, services());
      if (event.httpMethod === 'DELETE') return deleteEvent(event, services());
      throw invalidArgument('method', 'must be GET or HEAD (images) or DELETE (events)');
    },
  );
}

/**
 * API Gateway REST proxy → GET /sophon/v2/face/images/{id}, DELETE /sophon/v2/face/events/{id} and
 * GET /sophon/v2/openapi.json (the API's description: small, and a read like the images).
 */
export const handler = withRequestContext(
  createImagesHandler(lambdaServices, () => config().CORS_ORIGINS, createMetrics('images')),
);
