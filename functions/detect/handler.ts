import { detectDeps } from '../composition/faceLambda';
import { json } from '../http/apiGateway';
import { apiHandler } from '../http/middy';
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
  return apiHandler({ metrics: metrics && apiMetrics(metrics), corsOrigins, body: 'json' }).handler(
    async (event) => json(200, await detectFace(event.json, deps())),
  );
}

/** API Gateway REST proxy → POST /sophon/v2/face/detect. */
export const handler = withRequestContext(
  createDetectHandler(detectDeps, () => config().CORS_ORIGINS, createMetrics('detect')),
);
