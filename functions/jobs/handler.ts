import type { ApiEvent, ApiResult } from '../http/apiGateway';
import { json } from '../http/apiGateway';
import { personRoles } from '../http/authorize';
import { allowOrigins } from '../http/cors';
import { accessLog } from '../http/accessLog';
import { contractErrors, parseJsonBody, requireJson } from '../http/middlewares';
import { middy } from '../http/middy';
import { apiMetrics, type Metrics } from '../observability/metrics';
import { cancelSearchJob, createSearchJob, type JobDeps, readSearchJob } from './searchJobs';

/** Only a POST carries a body: the JSON checks apply to it alone. */
function onPost(m: ReturnType<typeof requireJson>): ReturnType<typeof requireJson> {
  return {
    name: m.name,
    before: async (request) => {
      if (request.event.httpMethod === 'POST') await m.before?.(request);
    },
  };
}

/**
 * The search jobs' routes (POST /searchjobs, GET and DELETE /searchjobs/{id}) for a set of dependencies,
 * behind the same authorisation and error handling as the search. With `metrics`, each request
 * publishes its embedded-metric record (requests, refusals, errors by code).
 */
export function createJobsHandler(
  deps: () => JobDeps,
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
    .use(onPost(requireJson()))
    .use(onPost(parseJsonBody()))
    .handler(async (event) => {
      const id = event.pathParameters?.id;
      if (event.httpMethod === 'POST') return json(202, await createSearchJob(event.json, deps()));
      if (event.httpMethod === 'DELETE') return json(200, await cancelSearchJob(id ?? '', deps()));
      const token = event.queryStringParameters?.page_token ?? undefined;
      return json(200, await readSearchJob(id ?? '', token, deps()));
    });
}
