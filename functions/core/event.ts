import type { FaceAttributes } from '../face/types';
import { ContractError } from './errors';
import { MAX_FIELD_CHARS, parseImageSource, requireObject, type ImageSource } from './contract';
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
export const MAX_BATCH_EVENTS = 25;
/** recognize_face_attr as JSON: the engine's own attributes take a few hundred bytes; DynamoDB items end at 400 KB. */
export const MAX_ATTRIBUTES_JSON = 4096;

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

function str(body: Record<string, unknown>, key: string, fallback: string, field = key): string {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || v.length > MAX_FIELD_CHARS)
    throw new ContractError('INVALID_ARGUMENTS', field);
  return v;
}

function parseDevice(v: unknown, field: string): MediaDeviceInfo {
  if (v === undefined || v === null) v = {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ContractError('INVALID_ARGUMENTS', field);
  const d = v as Record<string, unknown>;
  return {
    media_device_id: str(d, 'media_device_id', '', `${field}.media_device_id`),
    media_device_name: str(d, 'media_device_name', '', `${field}.media_device_name`),
    media_device_ip: str(d, 'media_device_ip', '', `${field}.media_device_ip`),
    media_device_type: str(d, 'media_device_type', '', `${field}.media_device_type`),
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
  if (!ok) throw new ContractError('INVALID_ARGUMENTS', field);
  return v as [number, number, number, number];
}

/**
 * Whether `value` as JSON would take more than `limit` characters (a close over-estimate). Iterative and
 * stopping early, so neither a huge nor a deeply nested value costs more than `limit` steps.
 */
export function jsonLongerThan(value: unknown, limit: number): boolean {
  let size = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'object' && v !== null) {
      size += 2;
      for (const key in v) {
        size += key.length + 4;
        if (size > limit) return true;
        pending.push((v as Record<string, unknown>)[key]);
      }
    } else {
      size += typeof v === 'string' ? v.length + 2 : String(v).length;
    }
    if (size > limit) return true;
  }
  return false;
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
    throw new ContractError('INVALID_ARGUMENTS', prefix ? prefix.replace(/\.$/, '') : 'body');
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
    const eventId = str(body, 'event_id', '') || undefined;
    if (eventId !== undefined && !ID_PATTERN.test(eventId))
      throw new ContractError('INVALID_ARGUMENTS', 'event_id');
    const userType = str(body, 'user_type', 'employee') as UserType;
    if (!USER_TYPES.includes(userType)) throw new ContractError('INVALID_ARGUMENTS', 'user_type');
    const attrs = body.recognize_face_attr;
    if (
      attrs !== undefined &&
      attrs !== null &&
      (typeof attrs !== 'object' || Array.isArray(attrs) || jsonLongerThan(attrs, MAX_ATTRIBUTES_JSON))
    ) {
      throw new ContractError('INVALID_ARGUMENTS', 'recognize_face_attr');
    }
    return {
      eventId,
      image: parseImageSource(body, maxImageBytes),
      faceBox: parseBox(body.face_box, 'face_box'),
      timestampMs: parseTime(body.timestamp, 'timestamp') ?? nowMs,
      outTimestampMs: parseTime(body.out_timestamp, 'out_timestamp'),
      identityName: str(body, 'identity_name', 'stranger'),
      identityId: str(body, 'identity_id', ''),
      registerImageId: str(body, 'register_image_id', ''),
      userType,
      device: parseDevice(body.media_device_info, 'media_device_info'),
      attributes: (attrs ?? {}) as Partial<FaceAttributes>,
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
    throw new ContractError('INVALID_ARGUMENTS', 'events');
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
