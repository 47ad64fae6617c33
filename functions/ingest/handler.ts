import { getFaceEngine } from '../face';
import { type ApiEvent, type ApiResult, json } from '../http/apiGateway';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { personRoles } from '../http/authorize';
import { defaultServices } from '../store/services';
import { type IngestDeps, ingestEvents } from './ingestEvents';

export function createIngestHandler(deps: () => IngestDeps) {
  return middy<ApiEvent, ApiResult>()
    .use(contractErrors())
    .use(personRoles())
    .use(requireJson())
    .use(parseJsonBody())
    .handler(async (event) => {
      const { statusCode, body } = await ingestEvents(event.json, deps());
      return json(statusCode, body);
    });
}

/** API Gateway REST proxy → POST /sophon/v2/face/events. */
export const handler = createIngestHandler(() => ({ services: defaultServices(), engine: getFaceEngine }));
