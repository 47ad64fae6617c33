/**
 * Per-route roles for people, through the real handlers: a request with Cognito claims (as API Gateway's
 * user-pool authorizer passes them) must carry the route's group; one without claims was authorized by
 * the gateway itself (IAM or a narrow key). A request that passes the check reaches the handler, whose
 * storage and engine answer a marker error here; a refused one never gets that far.
 */
import { ROUTES, roleOf } from '../../../infra/constructs/api';
import { createDetectHandler } from '../../../functions/detect/handler';
import type { ApiEvent, ApiResult } from '../../../functions/http/apiGateway';
import { createImagesHandler } from '../../../functions/images/handler';
import { createIngestHandler } from '../../../functions/ingest/handler';
import { createJobsHandler } from '../../../functions/jobs/handler';
import { createSearchHandler } from '../../../functions/search/handler';
import { ContractError } from '../../../functions/core/errors';
import { groupsOf } from '../../../functions/core/roles';

/** Storage and engine: reaching them answers this (409), so a 403 proves they were never reached. */
const REACHED = 'NOT_SUPPORT_IN_GRAB_MODE';
const unused = (): never => {
  throw new ContractError(REACHED, 'reached the handler');
};
type H = (e: ApiEvent, c: never) => Promise<ApiResult>;
const HANDLERS: Record<string, H> = {
  search: createSearchHandler(unused) as unknown as H,
  detect: createDetectHandler(unused) as unknown as H,
  ingest: createIngestHandler(unused) as unknown as H,
  images: createImagesHandler(unused) as unknown as H,
  jobs: createJobsHandler(unused) as unknown as H,
};

function call(route: (typeof ROUTES)[number], claims?: Record<string, unknown>) {
  const event = {
    httpMethod: route.method,
    resource: route.path,
    path: route.path.replace('{id}', '..bad..'),
    pathParameters: route.path.endsWith('{id}') ? { id: '..bad..' } : null,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    isBase64Encoded: false,
    requestContext: { authorizer: claims ? { claims } : undefined },
  } as unknown as ApiEvent;
  return HANDLERS[route.fn](event, { getRemainingTimeInMillis: () => 10_000 } as never);
}
const codeOf = (r: ApiResult) => (JSON.parse(r.body) as { error?: { code: string } }).error?.code;

describe('person roles per route', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: only its group passes; other groups and none are FORBIDDEN',
    async (_name, route) => {
      const role = roleOf(route);
      const allowed = await call(route, { sub: 'u1', 'cognito:groups': role });
      expect(allowed.statusCode).not.toBe(403);
      // Through to the handler: a marker, a 404 or 400 of the handler's own, or (openapi.json) the document.
      if (allowed.statusCode !== 200)
        expect(['MISSING_ARGUMENTS', 'NOT_FOUND', REACHED]).toContain(codeOf(allowed));
      for (const groups of ['', ...['searcher', 'operator', 'administrator'].filter((g) => g !== role)]) {
        const r = await call(route, { sub: 'u1', 'cognito:groups': groups });
        expect(r.statusCode).toBe(403);
        expect(codeOf(r)).toBe('FORBIDDEN');
      }
      const none = await call(route, { sub: 'u1' });
      expect(none.statusCode).toBe(403);
    },
  );

  it('lets groups add up, in every form API Gateway passes them', async () => {
    const erase = ROUTES.find((r) => r.method === 'DELETE' && r.fn === 'images')!;
    for (const groups of ['searcher,administrator', '[searcher administrator]', ['administrator']]) {
      expect((await call(erase, { 'cognito:groups': groups })).statusCode).not.toBe(403);
    }
    expect(groupsOf('[searcher, operator]')).toEqual(['searcher', 'operator']);
    expect(groupsOf(undefined)).toEqual([]);
    // A group whose name merely contains another's is not that group.
    expect((await call(erase, { 'cognito:groups': 'administrators' })).statusCode).toBe(403);
  });

  it('leaves machine calls (no claims: IAM or an API key decided) to the gateway', async () => {
    for (const route of ROUTES) expect((await call(route)).statusCode).not.toBe(403);
  });
});
