import { getFaceEngine } from '../face';
import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { json } from '../http/apiGateway';
import { allowOrigins } from '../http/cors';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { personRoles } from '../http/authorize';
import { apiMetrics, createMetrics, type Metrics } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { config } from '../shared/config';
import { createAwsClients } from '../store/clients';
import { S3ImageStore } from '../store/s3ImageStore';
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
    .use(contractErrors())
    .use(personRoles())
    .use(requireJson())
    .use(parseJsonBody())
    .handler(async (event) => json(200, await detectFace(event.json, deps())));
}

let deps: DetectDeps | undefined;

/** The function's dependencies: an S3 client for face_image_path only; no table, no search slots. */
function defaultDeps(): DetectDeps {
  if (!deps) {
    const c = config();
    deps = {
      config: c,
      images: new S3ImageStore(createAwsClients(c).s3, c.IMAGE_BUCKET),
      engine: getFaceEngine,
    };
  }
  return deps;
}

/** API Gateway REST proxy → POST /sophon/v2/face/detect. */
export const handler = withRequestContext(
  createDetectHandler(defaultDeps, () => config().CORS_ORIGINS, createMetrics('detect')),
);
