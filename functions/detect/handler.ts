import { detectDeps } from '../composition/faceLambda';
import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { json } from '../http/apiGateway';
import { allowOrigins } from '../http/cors';
import { accessLog } from '../http/accessLog';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { personRoles } from '../http/authorize';
import { apiMetrics, createMetrics, type Metrics } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { config } from '../shared/config';
import { type DetectDeps, detectFace } from './detectFace';

/** The detect Lambda for a set of dependencies (the local server and tests pass their own). */
export function createDetectHandler(
  deps: () => DetectDeps,
  corsOrigins: () => string[] = () => [],
  metrics?: Metrics,
) {
  const h = middy<ApiEvent, ApiResult>();
  if (metrics) h.use(apiMetrics(metrics));
  return h
    .use(allowOrigins(corsOrigins))
    .use(accessLog())
    .use(contractErrors())
    .use(personRoles())
    .use(requireJson())
    .use(parseJsonBody())
    .handler(async (event) => json(200, await detectFace(event.json, deps())));
}

/** API Gateway REST proxy → POST /sophon/v2/face/detect. */
export const handler = withRequestContext(
  createDetectHandler(detectDeps, () => config().CORS_ORIGINS, createMetrics('detect')),
);
