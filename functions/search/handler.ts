import { engineDeps } from '../composition/faceLambda';
import { json } from '../http/apiGateway';
import { apiHandler } from '../http/middy';
import { apiMetrics, createMetrics, type Metrics, recordSearch } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { config } from '../shared/config';
import { type SearchDeps, searchByImage } from './searchByImage';

/** What the search reads of its invocation's context; `abortSignal` is the local server's (client gone). */
interface SearchContext {
  getRemainingTimeInMillis(): number;
  abortSignal: AbortSignal;
}

/**
 * The search Lambda for a set of dependencies (the local server and tests pass their own). With
 * `metrics`, each request publishes its embedded-metric record, the search's figures taken from the
 * use case's response.
 */
export function createSearchHandler(
  deps: () => SearchDeps,
  corsOrigins: () => string[] = () => [],
  metrics?: Metrics,
) {
  return apiHandler({ metrics: metrics && apiMetrics(metrics), corsOrigins, body: 'json' }).handler(
    async (event, context: Partial<SearchContext>) => {
      const response = await searchByImage(event.json, {
        ...deps(),
        signal: context.abortSignal,
        remainingMs: context.getRemainingTimeInMillis && (() => context.getRemainingTimeInMillis!()),
      });
      if (metrics) recordSearch(metrics, response);
      return json(200, response);
    },
  );
}

/** API Gateway REST proxy → POST /sophon/v2/face/searchbyimage. */
export const handler = withRequestContext(
  createSearchHandler(engineDeps, () => config().CORS_ORIGINS, createMetrics('search')),
);
