import { json } from '../http/apiGateway';
import { apiHandler } from '../http/middy';
import { apiMetrics, type Metrics } from '../observability/metrics';
import { cancelSearchJob, createSearchJob, type JobDeps, readSearchJob } from './searchJobs';

/**
 * The search jobs' routes (POST /searchjobs, GET and DELETE /searchjobs/{id}) for a set of dependencies,
 * behind the same authorisation and error handling as the search; only a POST carries a body. With
 * `metrics`, each request publishes its embedded-metric record (requests, refusals, errors by code).
 */
export function createJobsHandler(
  deps: () => JobDeps,
  corsOrigins: () => string[] = () => [],
  metrics?: Metrics,
) {
  return apiHandler({ metrics: metrics && apiMetrics(metrics), corsOrigins, body: 'json-on-post' }).handler(
    async (event) => {
      const id = event.pathParameters?.id;
      if (event.httpMethod === 'POST') return json(202, await createSearchJob(event.json, deps()));
      if (event.httpMethod === 'DELETE') return json(200, await cancelSearchJob(id ?? '', deps()));
      const token = event.queryStringParameters?.page_token ?? undefined;
      return json(200, await readSearchJob(id ?? '', token, deps()));
    },
  );
}
