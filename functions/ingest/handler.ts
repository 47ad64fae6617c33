import { performance } from 'node:perf_hooks';
import { isContractError } from '../core/errors';
import { engineDeps } from '../composition/faceLambda';
import { json } from '../http/apiGateway';
import { apiHandler } from '../http/middy';
import { apiMetrics, createMetrics, type Metrics, recordIngest } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { type IngestDeps, ingestEvents } from './ingestEvents';

/** Events stored and rejected in an ingest answer (one event, or a batch with per-event errors). */
function counts(body: Awaited<ReturnType<typeof ingestEvents>>['body']): {
  ingested: number;
  rejected: number;
} {
  if (!('events' in body)) return { ingested: 1, rejected: 0 };
  const rejected = body.events.filter((e) => 'error' in e).length;
  return { ingested: body.events.length - rejected, rejected };
}

export function createIngestHandler(deps: () => IngestDeps, metrics?: Metrics) {
  return apiHandler({ metrics: metrics && apiMetrics(metrics), body: 'json' }).handler(async (event) => {
    const t0 = performance.now();
    try {
      const { statusCode, body } = await ingestEvents(event.json, deps());
      if (metrics) {
        const c = counts(body);
        recordIngest(metrics, c.ingested, c.rejected, performance.now() - t0);
      }
      return json(statusCode, body);
    } catch (err) {
      // A single event the service refuses (no face, bad field) is a rejection, not a failure.
      if (metrics && isContractError(err)) recordIngest(metrics, 0, 1, performance.now() - t0);
      throw err;
    }
  });
}

/** API Gateway REST proxy → POST /sophon/v2/face/events. */
export const handler = withRequestContext(createIngestHandler(engineDeps, createMetrics('ingest')));
