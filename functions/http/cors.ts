import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { type ApiEvent, type ApiResult, header } from './apiGateway';

/**
 * CORS for the browser console on its own origin (CloudFront) calling the API: a Lambda proxy integration
 * answers for itself, so the allow header has to come from here, on successes and errors alike. API
 * Gateway answers the preflight (OPTIONS) and its own rejections (infra/constructs/api.ts).
 *
 * Origins are compared exactly; a request from any other origin gets no CORS header, so a browser on
 * that origin cannot read the answer.
 *
 * @example middy().use(allowOrigins(() => config().CORS_ORIGINS)).use(contractErrors())
 */
export function allowOrigins(origins: () => readonly string[]): MiddlewareObj<ApiEvent, ApiResult> {
  const stamp = ({ event, response }: { event: ApiEvent; response: ApiResult | undefined | null }) => {
    const allowed = origins();
    if (!response || allowed.length === 0) return;
    const origin = header(event, 'origin');
    response.headers = { ...response.headers, Vary: 'Origin' };
    if (origin && allowed.includes(origin)) response.headers['Access-Control-Allow-Origin'] = origin;
  };
  // Used first, so these run last: after contractErrors has turned an error into its response.
  return { name: 'allowOrigins', after: stamp, onError: stamp };
}
