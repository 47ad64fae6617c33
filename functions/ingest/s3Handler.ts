import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isContractError } from '../core/errors';
import { parseIngestEvent } from '../core/event';
import { s3IngestDeps } from '../composition/faceLambda';
import { METRICS } from '../observability/metricNames';
import { createMetrics, type Metrics, MetricUnit, recordIngest } from '../observability/metrics';
import { withRequestContext } from '../observability/requestContext';
import { logger } from '../shared/logger';
import { translateStorageError } from '../store/errors';
import { type IngestDeps, ingestOne } from './ingestEvents';

/**
 * An ingest request from an uploaded object's user metadata (x-amz-meta-*): event-id, timestamp,
 * out-timestamp, identity-name, identity-id, register-image-id, user-type, media-device-id,
 * media-device-name, media-device-ip, media-device-type, face-box ("x1,y1,x2,y2"). Without event-id the
 * id derives from the object's key and ETag, so a redelivered notification is a duplicate.
 */
export function eventFromMetadata(meta: Record<string, string>, bucket: string, key: string, etag: string) {
  const num = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
  return {
    event_id:
      meta['event-id'] ||
      `s3-${createHash('sha256').update(`${bucket}/${key}#${etag}`).digest('hex').slice(0, 32)}`,
    timestamp: num(meta.timestamp),
    out_timestamp: num(meta['out-timestamp']),
    identity_name: meta['identity-name'],
    identity_id: meta['identity-id'],
    register_image_id: meta['register-image-id'],
    user_type: meta['user-type'],
    media_device_info: {
      media_device_id: meta['media-device-id'],
      media_device_name: meta['media-device-name'],
      media_device_ip: meta['media-device-ip'],
      media_device_type: meta['media-device-type'],
    },
    face_box: meta['face-box'] ? meta['face-box'].split(',').map(Number) : undefined,
  };
}

/** A notification's object key is URL-encoded with `+` for spaces; undefined when it is malformed. */
function objectKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * S3 ObjectCreated under UPLOAD_PREFIX → one event per object; the upload is deleted once stored (the
 * scene image is kept under images/). A photo the service rejects (no face, bad metadata) is logged and
 * left in place; a storage failure is thrown so Lambda retries the notification.
 */
export function createS3IngestHandler(deps: () => IngestDeps & { s3: S3Client }) {
  return async (event: S3Event): Promise<{ ingested: number; rejected: number }> => {
    const d = deps();
    const c = d.services.config;
    let ingested = 0;
    let rejected = 0;
    for (const record of event.Records) {
      const bucket = record.s3.bucket.name;
      const key = objectKey(record.s3.object.key);
      if (key === undefined) {
        // S3 never sends this; thrown, it would make Lambda retry a notification that cannot succeed.
        logger.warn('notification with a malformed object key, skipped');
        rejected++;
        continue;
      }
      if (bucket !== c.IMAGE_BUCKET || !key.startsWith(c.UPLOAD_PREFIX)) continue;
      const obj = await d.s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch((err: unknown) => {
          if (err instanceof Error && err.name === 'NoSuchKey') return undefined; // already ingested and removed
          throw err;
        });
      if (!obj) continue;
      if ((obj.ContentLength ?? 0) > c.MAX_IMAGE_BYTES) {
        logger.warn({ size: obj.ContentLength }, 'upload too large, left in place');
        rejected++;
        continue;
      }
      // The body is read after the client's middleware: a connection lost mid-body is translated here.
      const bytes = Buffer.from(
        await obj.Body!.transformToByteArray().catch((err: unknown) => {
          throw translateStorageError(err);
        }),
      );
      const raw = {
        ...eventFromMetadata(obj.Metadata ?? {}, bucket, key, obj.ETag ?? ''),
        face_image_base64: bytes.toString('base64'),
      };
      try {
        const r = await ingestOne(parseIngestEvent(raw, Date.now(), c.MAX_IMAGE_BYTES), d);
        logger.info({ eventId: r.event_id, status: r.status }, 'upload ingested');
        await d.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        ingested++;
      } catch (err) {
        if (!isContractError(err)) throw err;
        logger.warn({ code: err.code, message: err.message }, 'upload rejected, left in place');
        rejected++;
      }
    }
    return { ingested, rejected };
  };
}

/**
 * The S3 door's metrics: events ingested and rejected per notification and its duration, with the
 * cold start and the request id; a notification that throws (Lambda retries it) counts as a failure.
 */
export function withIngestMetrics(
  handler: (event: S3Event) => Promise<{ ingested: number; rejected: number }>,
  metrics: Metrics,
) {
  return async (event: S3Event, context: { awsRequestId?: string; functionName?: string }) => {
    metrics.captureColdStartMetric(context?.functionName);
    const t0 = performance.now();
    try {
      const r = await handler(event);
      recordIngest(metrics, r.ingested, r.rejected, performance.now() - t0);
      return r;
    } catch (err) {
      metrics.addMetric(METRICS.serverErrors, MetricUnit.Count, 1);
      throw err;
    } finally {
      if (context?.awsRequestId) metrics.addMetadata('requestId', context.awsRequestId);
      metrics.publishStoredMetrics();
    }
  };
}

/** S3 ObjectCreated notifications for IMAGE_BUCKET/UPLOAD_PREFIX. */
export const handler = withRequestContext(
  withIngestMetrics(createS3IngestHandler(s3IngestDeps), createMetrics('ingest-s3')),
);
