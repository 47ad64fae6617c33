import { ContractError } from '../../../functions/core/errors';
import { type ApiEvent, type ApiResult, json } from '../../../functions/http/apiGateway';
import { allowOrigins } from '../../../functions/http/cors';
import { contractErrors, requireJson } from '../../../functions/http/middlewares';
import { middy } from '../../../functions/http/middy';

const CONSOLE = 'https://d111111abcdef8.cloudfront.net';

/** A handler wired like the real ones: CORS first, then the contract's errors. */
function handler(origins: string[], fail?: ContractError) {
  const h = middy<ApiEvent, ApiResult>()
    .use(allowOrigins(() => origins))
    .use(contractErrors())
    .use(requireJson())
    .handler(async () => {
      if (fail) throw fail;
      return json(200, { ok: true });
    });
  return (headers: Record<string, string>) =>
    h(
      { httpMethod: 'POST', path: '/x', headers, body: '{}', isBase64Encoded: false } as unknown as ApiEvent,
      {} as never,
    );
}

const fromConsole = { Origin: CONSOLE, 'Content-Type': 'application/json' };

describe('allowOrigins', () => {
  it('lets the console origin read a success', async () => {
    const r = await handler([CONSOLE])(fromConsole);
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({ 'Access-Control-Allow-Origin': CONSOLE, Vary: 'Origin' });
  });

  it("lets it read the contract's errors too, including the ones the middlewares raise", async () => {
    const low = await handler([CONSOLE], new ContractError('LOW_QUALITY_ERROR', 'face size'))(fromConsole);
    expect(low.statusCode).toBe(400);
    expect(low.headers?.['Access-Control-Allow-Origin']).toBe(CONSOLE);
    const wrongType = await handler([CONSOLE])({ origin: CONSOLE, 'content-type': 'text/plain' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.headers?.['Access-Control-Allow-Origin']).toBe(CONSOLE);
    const crash = await handler([CONSOLE], new Error('boom') as ContractError)(fromConsole);
    expect(crash.statusCode).toBe(500);
    expect(crash.headers?.['Access-Control-Allow-Origin']).toBe(CONSOLE);
  });

  it('gives any other origin nothing to read with', async () => {
    for (const origin of ['https://evil.example', `${CONSOLE}.evil.example`, 'null', CONSOLE.toUpperCase()]) {
      const r = await handler([CONSOLE])({ ...fromConsole, Origin: origin });
      expect(r.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    }
  });

  it('adds no CORS header at all where no origin is configured (local server, IAM stack)', async () => {
    const r = await handler([])(fromConsole);
    expect(r.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    expect(r.headers?.Vary).toBeUndefined();
  });
});
