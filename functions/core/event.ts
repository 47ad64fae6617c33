import type { FaceAttributes } from '../face/types';
import { ContractError, invalidArgument } from './errors';
import { parseImageSource, requireObject, type ImageSource } from './contract';
import { cappedText, parseAttributes } from './eventFields';
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

export const USER_TYPES = ['employee', 'visitor', 'blacklist', 'stranger', 'vip'] as const;
export type UserType = (typeof USER_TYPES)[number];

/** Ids of events and images: safe as S3 key parts and in URLs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Image ids are event ids with a suffix. */
export const IMAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,139}$/;
const ID_RULE = 'must be 1 to 128 of A-Z a-z 0-9 . _ : - (not starting with . _ : -)';
export const MAX_BATCH_EVENTS = 25;

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

function parseDevice(v: unknown, field: string): MediaDeviceInfo {
  if (v === undefined || v === null) v = {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(field, 'must be an object');
  const d = v as Record<string, unknown>;
  const text = (key: keyof MediaDeviceInfo) => cappedText(d, key, '', `${field}.${key}`);
  return {
    media_device_id: text('media_device_id'),
    media_device_name: text('media_device_name'),
    media_device_ip: text('media_device_ip'),
    media_device_type: text('media_device_type'),
  };
}

function parseBox(v: unknown, field: string): [number, number, number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  const ok =
    Array.isArray(v) &&
    v.length === 4 &&
    v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) &&
    v[2] > v[0] &&
    v[3] > v[1];
  if (!ok) throw invalidArgument(field, 'must be [x1, y1, x2, y2]: pixels, x2 > x1 ≥ 0, y2 > y1 ≥ 0');
  return v as [number, number, number, number];
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
    throw invalidArgument(prefix ? prefix.replace(/\.$/, '') : 'body', 'must be a JSON object');
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
    const rawId = body.event_id;
    const eventId = rawId === undefined || rawId === null || rawId === '' ? undefined : rawId;
    if (eventId !== undefined && (typeof eventId !== 'string' || !ID_PATTERN.test(eventId)))
      throw invalidArgument('event_id', ID_RULE);
    const userType = body.user_type ?? 'employee';
    if (!USER_TYPES.includes(userType as UserType))
      throw invalidArgument('user_type', `must be one of ${USER_TYPES.join(', ')}`);
    const attributes = parseAttributes(body.recognize_face_attr);
    return {
      eventId,
      image: parseImageSource(body, maxImageBytes),
      faceBox: parseBox(body.face_box, 'face_box'),
      timestampMs: parseTime(body.timestamp, 'timestamp') ?? nowMs,
      outTimestampMs: parseTime(body.out_timestamp, 'out_timestamp'),
      identityName: cappedText(body, 'identity_name', 'stranger'),
      identityId: cappedText(body, 'identity_id', ''),
      registerImageId: cappedText(body, 'register_image_id', ''),
      userType: userType as UserType,
      device: parseDevice(body.media_device_info, 'media_device_info'),
      attributes,
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
    throw invalidArgument('events', `must be a list of 1 to ${MAX_BATCH_EVENTS} events`);
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
