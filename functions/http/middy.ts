import type middyType from '@middy/core' with { 'resolution-mode': 'import' };
import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { accessLog } from './accessLog';
import type { ApiEvent, ApiResult } from './apiGateway';
import { personRoles } from './authorize';
import { allowOrigins } from './cors';
import { contractErrors, parseJsonBody, requireJson } from './middlewares';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const middy = (require('@middy/core') as { default: typeof middyType }).default;

export interface ApiHandlerOptions {
  /** The embedded-metric middleware (observability/metrics.ts `apiMetrics`): outermost, it sees the final body. */
  metrics?: MiddlewareObj<ApiEvent, ApiResult>;
  /** The console's origins; without, no CORS headers (a route the console does not call). */
  corsOrigins?: () => string[];
  /**
   * 'json': a JSON body is required and parsed into event.json; 'json-on-post': the same for a POST only
   * (a resource whose GET and DELETE carry no body); 'none': the route reads no body.
   */
  body: 'json' | 'json-on-post' | 'none';
}

type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult>;

/** The body checks of a POST: a GET or DELETE of the same resource passes them untouched. */
function onPost(m: ApiMiddleware): ApiMiddleware {
  return {
    name: m.name,
    before: async (request) => {
      if (request.event.httpMethod === 'POST') await m.before?.(request);
    },
  };
}

/**
 * An API route's middy chain, the same for every route, outermost first: metrics, CORS, the access log,
 * the contract's errors, the person's roles; then, for a JSON route (or a POST), the content type and the body.
 *
 * @example export const h = apiHandler({ body: 'json', corsOrigins }).handler(async (e) => json(200, e.json));
 */
export function apiHandler(opts: ApiHandlerOptions) {
  const h = middy<ApiEvent, ApiResult>();
  if (opts.metrics) h.use(opts.metrics);
  if (opts.corsOrigins) h.use(allowOrigins(opts.corsOrigins));
  h.use(accessLog()).use(contractErrors()).use(personRoles());
  if (opts.body === 'json') h.use(requireJson()).use(parseJsonBody());
  if (opts.body === 'json-on-post') h.use(onPost(requireJson())).use(onPost(parseJsonBody()));
  return h;
}
