import { FIQA_LEVELS, type FiqaLevel } from '../face/types';
import { ContractError, invalidArgument } from './errors';
import { FIELD_CAPS } from './eventFields';
import { parseTime, toNumber } from './timeWindow';

/** The contract's defaults (CONTRACT.md, "Request"). */
export const SEARCH_DEFAULTS = {
  fiqaLevel: 'low',
  threshold: 82,
  windowMs: 24 * 3_600_000,
  reverse: true,
} as const;

/** DynamoDB allows 100 operands in an IN filter; more devices than that is not a sensible filter anyway. */
export const MAX_DEVICE_IDS = 100;

export const THRESHOLD_RULE = 'must be a number from 0 to 100';

export type ImageSource = { kind: 'bytes'; bytes: Buffer } | { kind: 'path'; path: string };

/** A validated search request, in the service's units (ms, score 0..100). */
export interface SearchQuery {
  image: ImageSource;
  fiqaLevel: FiqaLevel;
  startMs: number;
  endMs: number;
  /** The previous call's endtimestamp, if resuming. */
  resumeMs?: number;
  threshold: number;
  /** Undefined: all devices. */
  deviceIds?: string[];
  reverse: boolean;
}

const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[\w.-]+)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes the contract's base64 image (a data: URL prefix and whitespace allowed), rejecting malformed
 * input and images over maxBytes with INVALID_ARGUMENTS naming `field`.
 */
export function decodeBase64Image(text: string, field: string, maxBytes: number): Buffer {
  const clean = text.replace(DATA_URL, '').replace(/\s+/g, '');
  if (!BASE64.test(clean) || clean.length % 4 === 1 || clean.length === 0) {
    throw invalidArgument(field, 'must be a non-empty base64 image (a data: URL prefix is allowed)');
  }
  if (Math.floor((clean.length * 3) / 4) - (clean.match(/=/g)?.length ?? 0) > maxBytes) {
    throw invalidArgument(field, `must be an image of at most ${maxBytes} bytes`);
  }
  return Buffer.from(clean, 'base64');
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (!present(v)) return undefined;
  if (typeof v !== 'string') throw invalidArgument(key, 'must be a string');
  return v;
}

function parseBool(v: unknown, key: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw invalidArgument(key, 'must be true or false');
}

/** The query image: exactly one of face_image_base64 and face_image_path. */
export function parseImageSource(body: Record<string, unknown>, maxBytes: number): ImageSource {
  const b64 = optionalString(body, 'face_image_base64');
  const path = optionalString(body, 'face_image_path');
  if (b64 === undefined && path === undefined)
    throw new ContractError('MISSING_ARGUMENTS', 'face_image_base64: required (or face_image_path instead)');
  if (b64 !== undefined && path !== undefined)
    throw invalidArgument('face_image_path', 'must not be given with face_image_base64 (send one)');
  if (path !== undefined) return { kind: 'path', path };
  return { kind: 'bytes', bytes: decodeBase64Image(b64!, 'face_image_base64', maxBytes) };
}

/** Accepts any JSON value; only an object is a request. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArgument('body', 'must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** `fiqa_level`, case-insensitive, the contract's default when absent or null (search and detect). */
export function parseFiqaLevel(body: Record<string, unknown>): FiqaLevel {
  if (body.fiqa_level === undefined || body.fiqa_level === null) return SEARCH_DEFAULTS.fiqaLevel;
  const level = typeof body.fiqa_level === 'string' ? body.fiqa_level.trim().toLowerCase() : undefined;
  if (!FIQA_LEVELS.includes(level as FiqaLevel))
    throw invalidArgument('fiqa_level', `must be one of ${FIQA_LEVELS.join(', ')}`);
  return level as FiqaLevel;
}

/**
 * Validates a searchbyimage body against the contract and fills its defaults. Unknown fields are
 * ignored; every failure is a ContractError whose message is the offending key, then what is allowed.
 *
 * @example parseSearchRequest({ face_image_path: '/data/a.jpg' }, Date.now(), 8e6).threshold === 82
 */
export function parseSearchRequest(raw: unknown, nowMs: number, maxImageBytes: number): SearchQuery {
  const body = requireObject(raw);
  const image = parseImageSource(body, maxImageBytes);

  const fiqaLevel = parseFiqaLevel(body);

  let threshold: number = SEARCH_DEFAULTS.threshold;
  if (body.threshold !== undefined && body.threshold !== null) {
    const t = toNumber(body.threshold);
    if (t === undefined || t < 0 || t > 100) throw invalidArgument('threshold', THRESHOLD_RULE);
    threshold = t;
  }

  const endMs = parseTime(body.endtime, 'endtime') ?? nowMs;
  const startMs = parseTime(body.starttime, 'starttime') ?? nowMs - SEARCH_DEFAULTS.windowMs;
  if (startMs > endMs) throw invalidArgument('starttime', 'must not be after endtime');
  const resumeMs = parseTime(body.last_end_timestamp, 'last_end_timestamp');

  let deviceIds: string[] | undefined;
  const ids = body.media_device_ids;
  if (ids !== undefined && ids !== null) {
    // An id longer than any stored media_device_id could never match; refusing it keeps the filter small.
    const badId = (d: unknown) => typeof d !== 'string' || d.length > FIELD_CAPS.media_device_id;
    if (!Array.isArray(ids) || ids.length > MAX_DEVICE_IDS || ids.some(badId)) {
      throw invalidArgument(
        'media_device_ids',
        `must be a list of at most ${MAX_DEVICE_IDS} strings of at most ${FIELD_CAPS.media_device_id} characters`,
      );
    }
    // An empty list filters nothing, as if the field were absent.
    if (ids.length > 0) deviceIds = [...new Set(ids as string[])];
  }

  const reverse = parseBool(body.reverse, 'reverse', SEARCH_DEFAULTS.reverse);
  return { image, fiqaLevel, startMs, endMs, resumeMs, threshold, deviceIds, reverse };
}
