import type { FaceAttributes } from './face';
import { ContractError, invalidArgument } from './errors';
import { IMAGE_KEYS, parseImageSource, requireObject, type ImageSource } from './contract';
import { IngestEvent, issuesOf, MAX_BATCH_EVENTS, RULES, USER_TYPES } from './requestSchemas';
import { parseTime } from './timeWindow';

/** A recognition event as the contract shows it (without compare_score), and as it is stored. */
export interface EventDoc {
  timestamp: number;
  out_timestamp?: number;
  identity_name: string;
  identity_id: string;
  register_image_id: string;
  recognize_face_image_id: string;
  spot_image_id: string;
  user_type: UserType;
  media_device_info: MediaDeviceInfo;
  recognize_face_attr: Partial<FaceAttributes>;
}

export interface MediaDeviceInfo {
  media_device_id: string;
  media_device_name: string;
  media_device_ip: string;
  media_device_type: string;
}

export { ID_PATTERN, MAX_BATCH_EVENTS, USER_TYPES } from './requestSchemas';
export type UserType = (typeof USER_TYPES)[number];

/** Image ids are event ids with a suffix. */
export const IMAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,139}$/;

/** One event to ingest, validated. */
export interface IngestRequest {
  /** Client-supplied id (idempotency key); generated when absent. */
  eventId?: string;
  image: ImageSource;
  faceBox?: [number, number, number, number];
  timestampMs: number;
  outTimestampMs?: number;
  identityName: string;
  identityId: string;
  registerImageId: string;
  userType: UserType;
  device: MediaDeviceInfo;
  /** Attributes the client already knows; they override the engine's. */
  attributes: Partial<FaceAttributes>;
}

/**
 * Validates one event of POST /sophon/v2/face/events. `prefix` names the event in a batch
 * (`events[3].`) so the error message still says which key is wrong.
 */
export function parseIngestEvent(
  raw: unknown,
  nowMs: number,
  maxImageBytes: number,
  prefix = '',
): IngestRequest {
  let body: Record<string, unknown>;
  try {
    body = requireObject(raw);
  } catch {
    throw invalidArgument(prefix ? prefix.replace(/\.$/, '') : 'body', RULES.body);
  }
  const named = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ContractError && prefix) throw new ContractError(err.code, prefix + err.message);
      throw err;
    }
  };
  return named(() => {
    const failOn = issuesOf(IngestEvent, body);
    failOn(['event_id', 'user_type', 'recognize_face_attr', ...IMAGE_KEYS]);
    const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
    const device = (body.media_device_info ?? {}) as Record<string, unknown>;
    const image = parseImageSource(body, maxImageBytes);
    failOn(Object.keys(IngestEvent.shape));
    return {
      eventId: text(body.event_id, '') || undefined,
      image,
      faceBox: (body.face_box ?? undefined) as IngestRequest['faceBox'],
      timestampMs: parseTime(body.timestamp, 'timestamp') ?? nowMs,
      outTimestampMs: parseTime(body.out_timestamp, 'out_timestamp'),
      identityName: text(body.identity_name, 'stranger'),
      identityId: text(body.identity_id, ''),
      registerImageId: text(body.register_image_id, ''),
      userType: text(body.user_type, 'employee') as UserType,
      device: {
        media_device_id: text(device.media_device_id, ''),
        media_device_name: text(device.media_device_name, ''),
        media_device_ip: text(device.media_device_ip, ''),
        media_device_type: text(device.media_device_type, ''),
      },
      attributes: body.recognize_face_attr ?? {},
    };
  });
}

/**
 * A body with one event (an object) or a batch (`{ "events": [...] }` or a bare array). An object with
 * an `events` field is a batch whatever that field holds, so `{"events": "x"}` is a malformed batch.
 */
export function parseIngestBody(
  raw: unknown,
  nowMs: number,
  maxImageBytes: number,
): { batch: boolean; events: IngestRequest[] } {
  const events =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as { events?: unknown }).events
      : undefined;
  const list = Array.isArray(raw) ? raw : events;
  if (list === undefined || list === null)
    return { batch: false, events: [parseIngestEvent(raw, nowMs, maxImageBytes)] };
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_EVENTS)
    throw invalidArgument('events', RULES.events);
  return {
    batch: true,
    events: list.map((e, i) => parseIngestEvent(e, nowMs, maxImageBytes, `events[${i}].`)),
  };
}

/** The contract's event (with compare_score first, as in the original's example order is irrelevant). */
export function toContractEvent(
  doc: EventDoc,
  eventId: string,
  compareScore: number,
): Record<string, unknown> {
  return { compare_score: compareScore, ...doc, event_id: eventId };
}
