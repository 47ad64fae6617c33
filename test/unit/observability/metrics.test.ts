import { ContractError } from '../../../functions/core/errors';
import { json } from '../../../functions/http/apiGateway';
import { contractErrors } from '../../../functions/http/middlewares';
import { middy } from '../../../functions/http/middy';
import { apiMetrics, createMetrics, recordSearch } from '../../../functions/observability/metrics';
import { currentRequest, withRequestContext } from '../../../functions/observability/requestContext';
import { logger, setLogDestination } from '../../../functions/shared/logger';
import type { ApiEvent, ApiResult } from '../../../functions/http/apiGateway';

/** What the handler wrote to stdout (Powertools writes its records there), as parsed JSON lines. */
async function stdoutOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l));
}

const event = { httpMethod: 'POST', path: '/x', headers: {}, body: '{}' } as unknown as ApiEvent;
const context = (id: string) => ({ awsRequestId: id, functionName: 'fn' }) as never;
const names = (r: Record<string, unknown>) =>
  (r._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0].Metrics.map(
    (m) => m.Name,
  );

function handler(body: () => Promise<ApiResult>) {
  const metrics = createMetrics('search');
  return withRequestContext(
    middy<ApiEvent, ApiResult>().use(apiMetrics(metrics)).use(contractErrors()).handler(body),
  );
}

describe('apiMetrics', () => {
  it("counts a refused search (429) and its contract code, with the request's id", async () => {
    const h = handler(async () => {
      throw new ContractError('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR');
    });
    const records = await stdoutOf(() => h(event, context('req-429')));
    const main = records.find((r) => names(r).includes('Requests'))!;
    expect(main).toMatchObject({
      service: 'search',
      Requests: 1,
      Refused: 1,
      ClientErrors: 0,
      ServerErrors: 0,
    });
    expect(main.requestId).toBe('req-429');
    expect(records.find((r) => names(r).includes('Errors'))).toMatchObject({
      code: 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR',
      Errors: 1,
      requestId: 'req-429',
    });
  });

  it('counts an unexpected failure as a server error (INTERNAL_ERROR)', async () => {
    const h = handler(async () => {
      throw new Error('boom');
    });
    const records = await stdoutOf(() => h(event, context('req-500')));
    expect(records.find((r) => names(r).includes('Requests'))).toMatchObject({ ServerErrors: 1, Refused: 0 });
    expect(records.find((r) => names(r).includes('Errors'))).toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it("publishes a search's figures from its response", async () => {
    const metrics = createMetrics('search');
    const h = withRequestContext(
      middy<ApiEvent, ApiResult>()
        .use(apiMetrics(metrics))
        .handler(async () => {
          const r = {
            events: [{}, {}],
            total_time: 0.1234,
            timings: { face_ms: 80, scan_ms: 30 },
            records_examined: 5000,
            records_read: 6000,
          };
          recordSearch(metrics, r);
          return json(200, r);
        }),
    );
    const [record] = await stdoutOf(() => h(event, context('req-ok')));
    expect(record).toMatchObject({
      SearchTime: 123,
      FaceTime: 80,
      ScanTime: 30,
      RecordsExamined: 5000,
      RecordsRead: 6000,
      Matches: 2,
      Requests: 1,
      requestId: 'req-ok',
    });
  });
});

describe('request context', () => {
  it('stamps every log line of an invocation with its request id, and none outside', async () => {
    const lines: string[] = [];
    const restore = setLogDestination({ write: (l) => lines.push(l) });
    try {
      const h = withRequestContext(async (_e: unknown, _c: { awsRequestId: string }) => {
        logger.info('inside');
        await new Promise((r) => setTimeout(r, 5));
        logger.info('after a wait');
        return currentRequest()?.requestId;
      });
      // Two at once, as the local server runs them: each keeps its own id.
      const ids = await Promise.all([h({}, { awsRequestId: 'a' }), h({}, { awsRequestId: 'b' })]);
      expect(ids).toEqual(['a', 'b']);
      logger.info('outside');
    } finally {
      restore();
    }
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.filter((l) => l.requestId === 'a').map((l) => l.msg)).toEqual(['inside', 'after a wait']);
    expect(parsed.filter((l) => l.requestId === 'b').map((l) => l.msg)).toEqual(['inside', 'after a wait']);
    expect(parsed.find((l) => l.msg === 'outside').requestId).toBeUndefined();
  });
});
