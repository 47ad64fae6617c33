import { StorageUnavailableError } from '../../../functions/core/errors';
import { accessLog } from '../../../functions/http/accessLog';
import { type ApiEvent, type ApiResult, json } from '../../../functions/http/apiGateway';
import { contractErrors, requireJson } from '../../../functions/http/middlewares';
import { middy } from '../../../functions/http/middy';
import { setLogDestination } from '../../../functions/shared/logger';

/** The access log outside the contract's errors, as the handlers wire it. */
function handler(fail?: Error) {
  return middy<ApiEvent, ApiResult>()
    .use(accessLog())
    .use(contractErrors())
    .use(requireJson())
    .handler(async () => {
      if (fail) throw fail;
      return json(200, { ok: true });
    });
}

async function requestLines(run: (event: ApiEvent) => Promise<unknown>, contentType = 'application/json') {
  const lines: string[] = [];
  const restore = setLogDestination({ write: (l) => lines.push(l) });
  try {
    await run({
      httpMethod: 'POST',
      path: '/sophon/v2/face/searchbyimage',
      resource: '/sophon/v2/face/searchbyimage',
      headers: { 'content-type': contentType },
      body: '{"face_image_base64":"AAAA"}',
      isBase64Encoded: false,
      requestContext: { requestId: 'api-req-1' },
    } as unknown as ApiEvent);
  } finally {
    restore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
}

describe('accessLog', () => {
  it("logs one line per request with both request ids, the route, the body's size and the status", async () => {
    const h = handler();
    const lines = await requestLines((e) => h(e, { awsRequestId: 'lambda-req-1' } as never));
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'lambda-req-1',
        apiRequestId: 'api-req-1',
        method: 'POST',
        path: '/sophon/v2/face/searchbyimage',
        bytes: 28,
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('code');
    expect(JSON.stringify(lines)).not.toContain('AAAA');
  });

  it.each([
    ['a refusal raised by a middleware', undefined, 'text/plain', 415, 'UNSUPPORT_CONTENT_TYPE'],
    [
      'unreachable storage',
      new StorageUnavailableError('down'),
      'application/json',
      503,
      'SERVICE_UNAVAILABLE',
    ],
    ['an unexpected failure', new TypeError('bug'), 'application/json', 500, 'INTERNAL_ERROR'],
  ])('logs %s with the status and code the client got', async (_, fail, type, status, code) => {
    const h = handler(fail);
    const lines = await requestLines((e) => h(e, {} as never), type);
    expect(lines).toEqual([expect.objectContaining({ apiRequestId: 'api-req-1', status, code })]);
  });
});
