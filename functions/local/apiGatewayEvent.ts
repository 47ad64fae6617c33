import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'aws-lambda';
import type { ApiEvent } from '../http/apiGateway';

/**
 * The API Gateway REST proxy event for a Node request, as API Gateway would build it, so the local
 * server calls the Lambda handlers unchanged.
 */
export function toApiEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: { resource: string; pathParameters: Record<string, string> | null },
): ApiEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values.join(', ');
    multiValueHeaders[k] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    resource: route.resource,
    pathParameters: route.pathParameters,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      resourcePath: route.resource,
      stage: 'local',
      // API Gateway's own id of the request (the access log's apiRequestId), distinct from the Lambda's.
      requestId: randomUUID(),
      identity: { sourceIp: req.socket.remoteAddress ?? '' },
    } as ApiEvent['requestContext'],
  };
}

/**
 * A Lambda context stand-in: the remaining time (middy's early timeout, the search's budget) and, beyond
 * Lambda's, `abortSignal`: aborted when the client goes away, so a search stops working for nobody.
 */
export function localContext(
  timeoutMs: number,
  abortSignal?: AbortSignal,
): Context & { abortSignal?: AbortSignal } {
  const deadline = Date.now() + timeoutMs;
  const gone = () => {
    throw new Error('the local server answers with the returned promise, not callbacks');
  };
  return {
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '0',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    abortSignal,
    awsRequestId: `local-${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: gone,
    fail: gone,
    succeed: gone,
  };
}
