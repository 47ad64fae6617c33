import type { FiqaLevel } from './face';
import { ContractError, invalidArgument } from './errors';
import { issuesOf, RULES, SearchRequest } from './requestSchemas';
import { parseTime, toNumber } from './timeWindow';

/** The contract's defaults (CONTRACT.md, "Request"). */
export const SEARCH_DEFAULTS = {
  fiqaLevel: 'low',
  threshold: 82,
  windowMs: 24 * 3_600_000,
  reverse: true,
} as const;

// DynamoDB allows 100 operands in an IN filter; more devices than that is not a sensible filter anyway.
export { MAX_DEVICE_IDS } from './requestSchemas';

export type ImageSource = { kind: 'bytes'; bytes: Buffer } | { kind: 'path'; path: string };

/** What a search looks for: one photo, a template of several photos, or a stored event's face. */
export type QuerySource =
  ImageSource | { kind: 'photos'; photos: Buffer[] } | { kind: 'event'; eventId: string };

/** A validated search request, in the service's units (ms, score 0..100). */
export interface SearchQuery {
  query: QuerySource;
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
const IN_ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  IN_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * The number of `=` ending `s` (at most two) when every other character is of the base64 alphabet, else
 * -1: what /^[A-Za-z0-9+/]*={0,2}$/ tests, in a quarter of its time (about 0.7 ms of every search by a
 * 1920×1280 photo's 190,000 characters).
 */
function base64Padding(s: string): number {
  let end = s.length;
  while (end > 0 && end > s.length - 2 && s.charCodeAt(end - 1) === 61) end--;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || IN_ALPHABET[c] === 0) return -1;
  }
  return s.length - end;
}

/**
 * Decodes the contract's base64 image (a data: URL prefix and whitespace allowed), rejecting malformed
 * input and images over maxBytes with INVALID_ARGUMENTS naming `field`.
 */
export function decodeBase64Image(text: string, field: string, maxBytes: number): Buffer {
  let clean = text.replace(DATA_URL, '');
  if (/\s/.test(clean)) clean = clean.replace(/\s+/g, ''); // no copy of the usual unwrapped text
  const padding = base64Padding(clean);
  if (padding < 0 || clean.length % 4 === 1 || clean.length === 0) {
    throw invalidArgument(field, RULES.face_image_base64);
  }
  if (Math.floor((clean.length * 3) / 4) - padding > maxBytes) {
    throw invalidArgument(field, `must be an image of at most ${maxBytes} bytes`);
  }
  return Buffer.from(clean, 'base64');
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** A boolean the schema accepted: true/false, "true"/"false" (any case) or 1/0. */
function toBool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  return v === true || v === 1 || (typeof v === 'string' && v.toLowerCase() === 'true');
}

export const IMAGE_KEYS = ['face_image_base64', 'face_image_path'] as const;

/**
 * The query image: exactly one of face_image_base64 and face_image_path. `body` has passed its
 * schema's checks of these two keys (strings or null).
 */
export function parseImageSource(body: Record<string, unknown>, maxBytes: number): ImageSource {
  const given = (k: string) => (present(body[k]) ? (body[k] as string) : undefined);
  const b64 = given('face_image_base64');
  const path = given('face_image_path');
  if (b64 === undefined && path === undefined)
    throw new ContractError('MISSING_ARGUMENTS', 'face_image_base64: required (or face_image_path instead)');
  if (b64 !== undefined && path !== undefined)
    throw invalidArgument('face_image_path', 'must not be given with face_image_base64 (send one)');
  if (path !== undefined) return { kind: 'path', path };
  return { kind: 'bytes', bytes: decodeBase64Image(b64!, 'face_image_base64', maxBytes) };
}

/** The search's query fields, of which exactly one is given. */
export const QUERY_KEYS = ['face_image_base64', 'face_image_path', 'face_images_base64', 'event_id'] as const;

/**
 * The search's query: exactly one of QUERY_KEYS. `body` has passed its schema's checks of these keys;
 * each photo of face_images_base64 is named by its index in errors (`face_images_base64[2]: ...`).
 */
export function parseQuerySource(body: Record<string, unknown>, maxBytes: number): QuerySource {
  const given = QUERY_KEYS.filter((k) => present(body[k]));
  if (given.length === 0) {
    throw new ContractError(
      'MISSING_ARGUMENTS',
      'face_image_base64: required (or face_image_path, face_images_base64 or event_id instead)',
    );
  }
  if (given.length > 1) throw invalidArgument(given[1], `must not be given with ${given[0]} (send one)`);
  const key = given[0];
  if (key === 'event_id') return { kind: 'event', eventId: body.event_id as string };
  if (key === 'face_images_base64') {
    const photos = (body.face_images_base64 as string[]).map((text, i) =>
      decodeBase64Image(text, `face_images_base64[${i}]`, maxBytes),
    );
    return { kind: 'photos', photos };
  }
  return parseImageSource(body, maxBytes);
}

/** Accepts any JSON value; only an object is a request. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArgument('body', RULES.body);
  }
  return body as Record<string, unknown>;
}

/** `fiqa_level`, case-insensitive, the contract's default when absent or null (search and detect). */
export function parseFiqaLevel(body: Record<string, unknown>): FiqaLevel {
  if (body.fiqa_level === undefined || body.fiqa_level === null) return SEARCH_DEFAULTS.fiqaLevel;
  return (body.fiqa_level as string).trim().toLowerCase() as FiqaLevel;
}

/**
 * Validates a searchbyimage body against the contract and fills its defaults. Unknown fields are
 * ignored; every failure is a ContractError whose message is the offending key, then what is allowed.
 *
 * @example parseSearchRequest({ face_image_path: '/data/a.jpg' }, Date.now(), 8e6).threshold === 82
 */
export function parseSearchRequest(raw: unknown, nowMs: number, maxImageBytes: number): SearchQuery {
  const body = requireObject(raw);
  const failOn = issuesOf(SearchRequest, body);
  failOn(QUERY_KEYS);
  const query = parseQuerySource(body, maxImageBytes);
  failOn(['fiqa_level', 'threshold', 'endtime', 'starttime']);
  const fiqaLevel = parseFiqaLevel(body);
  const threshold = toNumber(body.threshold) ?? SEARCH_DEFAULTS.threshold;

  const endMs = parseTime(body.endtime, 'endtime') ?? nowMs;
  const startMs = parseTime(body.starttime, 'starttime') ?? nowMs - SEARCH_DEFAULTS.windowMs;
  if (startMs > endMs) throw invalidArgument('starttime', 'must not be after endtime');
  failOn(['last_end_timestamp', 'media_device_ids', 'reverse']);
  const resumeMs = parseTime(body.last_end_timestamp, 'last_end_timestamp');

  const ids = body.media_device_ids as string[] | null | undefined;
  // An empty list filters nothing, as if the field were absent.
  const deviceIds = ids && ids.length > 0 ? [...new Set(ids)] : undefined;

  const reverse = toBool(body.reverse, SEARCH_DEFAULTS.reverse);
  return { query, fiqaLevel, startMs, endMs, resumeMs, threshold, deviceIds, reverse };
}
