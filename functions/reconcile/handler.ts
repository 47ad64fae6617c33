import { performance } from 'node:perf_hooks';
import { METRICS } from '../observability/metricNames';
import { createMetrics, type Metrics, MetricUnit } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { logger } from '../shared/logger';
import { reconcile, type ReconcileReport } from './reconcile';
import { lambdaServices } from '../composition/lambda';
import type { Services } from '../store/services';

/** Images younger than this may belong to an ingest still running (as `npm run reconcile`'s default). */
const GRACE_MS = 60 * 60_000;

/** A report's counts as metrics. */
export function recordReconcile(metrics: Metrics, r: ReconcileReport, ms: number): void {
  metrics.addMetric(METRICS.imagesListed, MetricUnit.Count, r.imagesListed);
  metrics.addMetric(METRICS.orphanImagesRemoved, MetricUnit.Count, r.orphanImagesRemoved);
  metrics.addMetric(METRICS.orphanRecordsRemoved, MetricUnit.Count, r.orphanRecordsRemoved);
  // Both kinds of stopped DELETE: after its record (pointer left), or right after its erasure marker.
  metrics.addMetric(
    METRICS.erasuresFinished,
    MetricUnit.Count,
    r.erasuresFinished + r.listedErasuresFinished,
  );
  metrics.addMetric(METRICS.unverifiedImages, MetricUnit.Count, r.unverified);
  metrics.addMetric(METRICS.reconcileTime, MetricUnit.Milliseconds, Math.round(ms));
}

/**
 * The scheduled clean-up (EventBridge, infra/constructs/reconcileSchedule.ts): what failed ingests and
 * interrupted erasures left behind (functions/reconcile/reconcile.ts), its counts logged and published as
 * metrics. A run that fails is counted (ReconcileFailures, alarmed) and rethrown.
 */
export function createReconcileHandler(
  services: () => Pick<Services, 'events' | 'images'>,
  metrics: Metrics,
) {
  return async (_event: unknown, context: { awsRequestId?: string; functionName?: string }) => {
    metrics.captureColdStartMetric(context?.functionName);
    const t0 = performance.now();
    // The same publish-in-finally shape as the S3 ingest handler's; what each records differs.
    try {
      const report = await reconcile(services(), { graceMs: GRACE_MS });
      recordReconcile(metrics, report, performance.now() - t0);
      metrics.addMetric(METRICS.reconcileFailures, MetricUnit.Count, 0);
      logger.info({ ...report }, 'reconcile done');
      return report;
    } catch (err) {
      metrics.addMetric(METRICS.reconcileFailures, MetricUnit.Count, 1);
      throw err;
    } finally {
      if (context?.awsRequestId) metrics.addMetadata('requestId', context.awsRequestId);
      metrics.publishStoredMetrics();
    }
  };
}

/** EventBridge schedule → reconcile the events table and the image bucket. */
export const handler = withRequestContext(createReconcileHandler(lambdaServices, createMetrics('reconcile')));
