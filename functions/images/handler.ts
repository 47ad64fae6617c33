import { IMAGE_ID_PATTERN, ID_PATTERN } from '../core/event';
import { ContractError } from '../core/errors';
import { type ApiEvent, type ApiResult, binary, json } from '../http/apiGateway';
import { contractErrors } from '../http/middlewares';
import { middy } from '../http/middy';
import { defaultServices, type Services } from '../store/services';

const notFound = () => json(404, { error: { code: 'NOT_FOUND', message: '' } });

/** The last path segment: API Gateway gives it as pathParameters.id, the local server as well. */
function idOf(event: ApiEvent): string {
  const id = event.pathParameters?.id ?? decodeURIComponent(event.path.split('/').pop() ?? '');
  return id;
}

/** GET /sophon/v2/face/images/{id}: a stored face crop or scene image. */
export async function getImage(event: ApiEvent, services: Services): Promise<ApiResult> {
  const id = idOf(event);
  if (!IMAGE_ID_PATTERN.test(id)) return notFound();
  const img = await services.images.get(id);
  if (!img) return notFound();
  // Ids are never reused for other content, so a client may cache an image for as long as it likes.
  return binary(img.bytes, img.contentType, { 'Cache-Control': 'private, max-age=86400' });
}

/** DELETE /sophon/v2/face/events/{id}: the event, its pointer and its images (right to erasure). */
export async function deleteEvent(event: ApiEvent, services: Services): Promise<ApiResult> {
  const id = idOf(event);
  if (!ID_PATTERN.test(id)) return notFound();
  const found = await services.events.find(id);
  if (!found) return notFound();
  // Images first: if that fails the event still points at them and a retried DELETE finishes the job.
  await services.images.delete(found.imageIds);
  await services.events.delete(id);
  return json(200, { event_id: id, deleted: true });
}

export function createImagesHandler(services: () => Services) {
  return middy<ApiEvent, ApiResult>()
    .use(contractErrors())
    .handler(async (event) => {
      if (event.httpMethod === 'GET' || event.httpMethod === 'HEAD') return getImage(event, services());
      if (event.httpMethod === 'DELETE') return deleteEvent(event, services());
      throw new ContractError('INVALID_ARGUMENTS', 'method');
    });
}

/** API Gateway REST proxy → GET /sophon/v2/face/images/{id} and DELETE /sophon/v2/face/events/{id}. */
export const handler = createImagesHandler(defaultServices);
