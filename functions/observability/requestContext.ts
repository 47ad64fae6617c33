import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of one request carries. */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The request being served on this async path, if any (the logger stamps its id on each line). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs a Lambda handler inside its invocation's context, so every log line written while it runs (its
 * middlewares' included) carries the Lambda request id. AsyncLocalStorage rather than a module variable:
 * the local server runs several requests in one process at once.
 *
 * @example export const handler = withRequestContext(createSearchHandler(deps));
 */
export function withRequestContext<E, R, C extends { awsRequestId?: string }>(
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  return (event, context) =>
    storage.run({ requestId: context?.awsRequestId ?? 'unknown' }, () => handler(event, context));
}
