import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { performance } from 'node:perf_hooks';
import { logger } from '../shared/logger';
import { type ApiEvent, type ApiResult, errorCode } from './apiGateway';

interface Finished {
  event: ApiEvent;
  response?: ApiResult | null;
  context?: { awsRequestId?: string };
}

/**
 * One `request` line per request: its shape (method, route, body size, never the body), its outcome
 * (status, the contract's error code) and time, and both ids that find it again: `requestId`, the Lambda
 * invocation's (the same on every other line of the request), and `apiRequestId`, API Gateway's (the one
 * in its access logs and the client's x-amzn-RequestId). Use it outside contractErrors, so it logs the
 * body a failure was mapped to.
 */
export function accessLog(): MiddlewareObj<ApiEvent, ApiResult> {
  const started = new WeakMap<object, number>();
  const log = ({ event, response, context }: Finished) => {
    const status = response?.statusCode ?? 0;
    const t0 = started.get(event);
    logger.info(
      {
        requestId: context?.awsRequestId,
        apiRequestId: event.requestContext?.requestId,
        method: event.httpMethod,
        path: event.resource ?? event.path,
        bytes: event.body?.length ?? 0,
        status,
        code: status >= 400 ? errorCode(response?.body) : undefined,
        ms: t0 === undefined ? undefined : Math.round(performance.now() - t0),
      },
      'request',
    );
  };
  return {
    name: 'accessLog',
    before: ({ event }) => {
      started.set(event, performance.now());
    },
    after: log,
    onError: log,
  };
}
