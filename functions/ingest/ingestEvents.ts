import { randomUUID } from 'node:crypto';
import { isContractError, translateFaceErrors } from '../core/errors';
import { type EventDoc, type IngestRequest, parseIngestBody } from '../core/event';
import { encodeEmbedding } from '../core/embeddingCodec';
import { expiresAtSeconds, imageRetentionDays, refuseFutureTime } from '../core/retention';
import type { FaceEngine } from '../core/face';
import { uploadImagePolicy } from '../shared/config';
import { logger } from '../shared/logger';
import { readImageSource } from '../store/imageSource';
import type { Services } from '../store/services';
import { undoIngest } from './undoIngest';

export interface IngestDeps {
  services: Services;
  engine: () => FaceEngine;
  now?: () => number;
  newId?: () => string;
}

export interface IngestResult {
  event_id: string;
  status: 'created' | 'duplicate';
  timestamp?: number;
  recognize_face_image_id?: string;
  spot_image_id?: string;
}

export type BatchItemResult = IngestResult | { event_id?: string; error: { code: string; message: string } };

/** Image ids of an event: deterministic, so a retried ingest overwrites rather than leaks objects. */
export const faceImageId = (eventId: string) => `${eventId}.face`;
export const spotImageId = (eventId: string) => `${eventId}.scene`;

export function sniffImageType(b: Buffer): string {
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 4).toString('latin1') === '\x89PNG') return 'image/png';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') {
    return 'image/webp';
  }
  return 'application/octet-stream';
}

/**
 * Ingests one validated event: skip if its id exists, else find and embed the face, store the crop and
 * the scene photo, then write the event. If storing fails part-way, what was stored is removed again
 * (undoIngest.ts) before the error goes out.
 */
export async function ingestOne(req: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const { events, images, config: c } = deps.services;
  const eventId = req.eventId ?? (deps.newId ?? randomUUID)();
  if (await events.find(eventId)) return { event_id: eventId, status: 'duplicate' };

  const nowMs = (deps.now ?? Date.now)();
  refuseFutureTime(req.timestampMs, nowMs, c.MAX_FUTURE_SECONDS, 'timestamp');
  refuseFutureTime(req.outTimestampMs, nowMs, c.MAX_FUTURE_SECONDS, 'out_timestamp');
  const bytes = await readImageSource(req.image, uploadImagePolicy(c), images, c.MAX_IMAGE_BYTES);
  // A face_box picks among the detected faces; a photo without one is refused (NO_FACE_ERROR) either way.
  const face = await translateFaceErrors(deps.engine().analyzeEvent(bytes, { box: req.faceBox }));
  const doc: EventDoc = {
    timestamp: req.timestampMs / 1000,
    ...(req.outTimestampMs !== undefined ? { out_timestamp: req.outTimestampMs / 1000 } : {}),
    identity_name: req.identityName,
    identity_id: req.identityId,
    register_image_id: req.registerImageId,
    recognize_face_image_id: faceImageId(eventId),
    spot_image_id: spotImageId(eventId),
    user_type: req.userType,
    media_device_info: req.device,
    recognize_face_attr: { ...face.attributes, ...req.attributes },
  };
  const stored = {
    eventId,
    timestampMs: req.timestampMs,
    ingestedAtMs: nowMs,
    deviceId: req.device.media_device_id,
    code: encodeEmbedding(face.embedding),
    doc,
  };
  const imageIds = [doc.recognize_face_image_id, doc.spot_image_id];
  // The images' lifecycle tag: they expire no later than the event (core/retention.ts).
  const expiresAt = expiresAtSeconds(req.timestampMs, nowMs, c.RETENTION_DAYS);
  const imageMeta = {
    eventTimestampMs: req.timestampMs,
    retentionDays: imageRetentionDays(expiresAt, nowMs, c.RETENTION_DAYS),
  };
  let status: 'created' | 'duplicate';
  let storedAt = req.timestampMs;
  try {
    // Images before the event: a stored event never points at an image that is not there yet.
    // allSettled, not all: an undo must not race a put that is still running.
    const puts = await Promise.allSettled([
      images.put(imageIds[0], face.crop, 'image/jpeg', imageMeta),
      images.put(imageIds[1], bytes, sniffImageType(bytes), imageMeta),
    ]);
    const failed = puts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed) throw failed.reason;
    // A retry of an ingest that stopped part-way is stored at that attempt's time (its key).
    ({ status, timestampMs: storedAt } = await events.putEvent(stored));
  } catch (err) {
    await undoIngest(deps.services, stored, imageIds);
    throw err;
  }
  return {
    event_id: eventId,
    status,
    timestamp: storedAt / 1000,
    recognize_face_image_id: doc.recognize_face_image_id,
    spot_image_id: doc.spot_image_id,
  };
}

/**
 * POST /sophon/v2/face/events. One event: its result, or its error as the HTTP error. A batch: every
 * event's result or error in order (HTTP 200), so one bad photo does not fail the others; a malformed
 * batch as a whole is still INVALID_ARGUMENTS.
 */
export async function ingestEvents(
  body: unknown,
  deps: IngestDeps,
): Promise<{ statusCode: number; body: IngestResult | { events: BatchItemResult[] } }> {
  const { batch, events } = parseIngestBody(
    body,
    (deps.now ?? Date.now)(),
    deps.services.config.MAX_IMAGE_BYTES,
  );
  if (!batch) {
    const r = await ingestOne(events[0], deps);
    return { statusCode: r.status === 'created' ? 201 : 200, body: r };
  }
  const results: BatchItemResult[] = [];
  // One at a time: the engine is CPU-bound, parallel calls would only contend.
  for (const e of events) {
    try {
      results.push(await ingestOne(e, deps));
    } catch (err) {
      if (!isContractError(err)) throw err;
      logger.info({ code: err.code }, 'batch event rejected');
      results.push({ event_id: e.eventId, error: err.toBody().error });
    }
  }
  return { statusCode: 200, body: { events: results } };
}
