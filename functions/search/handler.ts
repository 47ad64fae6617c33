import { getFaceEngine } from '../face';
import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { json } from '../http/apiGateway';
import { allowOrigins } from '../http/cors';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { personRoles } from '../http/authorize';
import { config } from '../shared/config';
import { defaultServices } from '../store/services';
import { type SearchDeps, searchByImage } from './searchByImage';

/** The search Lambda for a set of dependencies (the local server and tests pass their own). */
export function createSearchHandler(deps: () => SearchDeps, corsOrigins: () => string[] = () => []) {
  return middy<ApiEvent, ApiResult>()
    .use(allowOrigins(corsOrigins))
    .use(contractErrors())
    .use(personRoles())
    .use(requireJson())
    .use(parseJsonBody())
    .handler(async (event) => json(200, await searchByImage(event.json, deps())));
}

/** API Gateway REST proxy → POST /sophon/v2/face/searchbyimage. */
export const handler = createSearchHandler(
  () => ({ services: defaultServices(), engine: getFaceEngine }),
  () => config().CORS_ORIGINS,
);
