import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { type ApiEvent, type ApiResult, errorCode } from '../http/apiGateway';
import { DEFAULT_NAMESPACE, METRICS, type ServiceName } from './metricNames';

export { Metrics, MetricUnit };

/**
 * One function's metrics, in CloudWatch's embedded metric format: Powertools buffers them and writes one
 * JSON line to stdout per invocation, which CloudWatch Logs turns into metrics. No CloudWatch API call
 * on the hot path and no permission beyond the function's own log group. The namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE (the stack sets one per stack).
 *
 * @example const metrics = createMetrics('search');
 */
export function createMetrics(service: ServiceName): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE,
    serviceName: service,
  });
}

/**
 * Per API request: its count, refusals (429), client and server errors, errors by contract code, the
 * cold start, and the Lambda request id as the record's metadata; published once the response is
 * final. Use it first (outermost), so it sees the body contractErrors maps a failure to.
 */
export function apiMetrics(metrics: Metrics): MiddlewareObj<ApiEvent, ApiResult> {
  const publish = (request: {
    response?: ApiResult | null;
    context: { awsRequestId?: string; functionName?: string };
  }) => {
    const status = request.response?.statusCode ?? 500;
    const requestId = request.context?.awsRequestId;
    metrics.addMetric(METRICS.requests, MetricUnit.Count, 1);
    metrics.addMetric(METRICS.refused, MetricUnit.Count, status === 429 ? 1 : 0);
    metrics.addMetric(
      METRICS.clientErrors,
      MetricUnit.Count,
      status >= 400 && status < 500 && status !== 429 ? 1 : 0,
    );
    metrics.addMetric(METRICS.serverErrors, MetricUnit.Count, status >= 500 ? 1 : 0);
    if (requestId) metrics.addMetadata('requestId', requestId);
    metrics.addMetadata('statusCode', String(status));
    const code = status >= 400 ? errorCode(request.response?.body) : undefined;
    if (code) {
      // A dimension per code needs its own record (EMF: one dimension set per record).
      const single = metrics.singleMetric();
      single.addDimension('code', code);
      if (requestId) single.addMetadata('requestId', requestId);
      single.addMetric(METRICS.errorsByCode, MetricUnit.Count, 1);
    }
    metrics.publishStoredMetrics();
  };
  return {
    name: 'apiMetrics',
    before: (request) => {
      metrics.captureColdStartMetric(request.context?.functionName);
    },
    after: publish,
    onError: publish,
  };
}

/** What the search use case reports about one search (its response's extra fields). */
export interface SearchFigures {
  total_time: number;
  timings?: { face_ms?: number; scan_ms?: number };
  records_examined?: number;
  records_read?: number;
  events: unknown[];
}

/** A successful search's figures, from its response; published with the request's record. */
export function recordSearch(metrics: Metrics, r: SearchFigures): void {
  metrics.addMetric(METRICS.searchTime, MetricUnit.Milliseconds, Math.round(r.total_time * 1000));
  if (r.timings?.face_ms !== undefined)
    metrics.addMetric(METRICS.faceTime, MetricUnit.Milliseconds, r.timings.face_ms);
  if (r.timings?.scan_ms !== undefined)
    metrics.addMetric(METRICS.scanTime, MetricUnit.Milliseconds, r.timings.scan_ms);
  if (r.records_examined !== undefined)
    metrics.addMetric(METRICS.recordsExamined, MetricUnit.Count, r.records_examined);
  if (typeof r.records_read === 'number')
    metrics.addMetric(METRICS.recordsRead, MetricUnit.Count, r.records_read);
  metrics.addMetric(METRICS.matches, MetricUnit.Count, r.events.length);
}

/** An ingest call's outcome: events stored (created or duplicate), rejected, and its duration. */
export function recordIngest(metrics: Metrics, ingested: number, rejected: number, ms: number): void {
  metrics.addMetric(METRICS.eventsIngested, MetricUnit.Count, ingested);
  metrics.addMetric(METRICS.eventsRejected, MetricUnit.Count, rejected);
  metrics.addMetric(METRICS.ingestTime, MetricUnit.Milliseconds, Math.round(ms));
}
