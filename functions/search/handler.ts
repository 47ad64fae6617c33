import { getFaceEngine } from '../face';
import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { json } from '../http/apiGateway';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { defaultServices } from '../store/services';
import { type SearchDeps, searchByImage } from './searchByImage';

/** The search Lambda for a set of dependencies (the local server and tests pass their own). */
export function createSearchHandler(deps: () => SearchDeps) {
  return middy<ApiEvent, ApiResult>()
    .use(contractErrors())
    .use(requireJson())
    .use(parseJsonBody())
    .handler(async (event) => json(200, await searchByImage(event.json, deps())));
}

/** API Gateway REST proxy → POST /sophon/v2/face/searchbyimage. */
export const handler = createSearchHandler(() => ({ services: defaultServices(), engine: getFaceEngine }));
