import type { FaceAttributes } from '../face/types';
import { invalidArgument } from './errors';

/**
 * Caps on an event's free-text fields, in characters (UTF-16 code units). They keep one stored event, and
 * so one search result, at a few KB however a client fills it (docs/api.md, "Field caps"), which bounds a
 * page of 1,000 results. Ids are machine keys, names are for people, device ip and type are short codes.
 */
export const FIELD_CAPS = {
  identity_name: 256,
  identity_id: 128,
  register_image_id: 128,
  media_device_id: 128,
  media_device_name: 256,
  media_device_ip: 64,
  media_device_type: 64,
} as const;

/** recognize_face_attr: the engine's own take ~250 bytes; a client's, merged over them, at most this. */
export const ATTRIBUTE_CAPS = {
  /** The whole object as JSON, in UTF-8 bytes. */
  jsonBytes: 1024,
  keys: 16,
  keyChars: 32,
  /** A string value (`hat`, `expression`, ...). */
  valueChars: 64,
  /** A list value: `point` (5 landmarks, x and y: 10) and `box` (4). */
  listItems: 20,
} as const;

// Control characters have no place in a name and cost 6 bytes each as JSON; lone surrogates are not text.
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const textRule = (max: number) => `must be a string of at most ${max} characters, without control characters`;

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max && !CONTROL.test(v) && !LONE_SURROGATE.test(v);
}

/**
 * A capped free-text field of `body`: `fallback` when absent or null, INVALID_ARGUMENTS naming `field`
 * (the key, with its parents) and the cap otherwise.
 *
 * @example cappedText({ identity_name: 'Ann' }, 'identity_name', 'stranger') === 'Ann'
 */
export function cappedText(
  body: Record<string, unknown>,
  key: keyof typeof FIELD_CAPS,
  fallback: string,
  field: string = key,
): string {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (!isText(v, FIELD_CAPS[key])) throw invalidArgument(field, textRule(FIELD_CAPS[key]));
  return v;
}

const ATTRIBUTE_RULE =
  `must be an object of at most ${ATTRIBUTE_CAPS.keys} keys (${ATTRIBUTE_CAPS.keyChars} characters each)` +
  ` and ${ATTRIBUTE_CAPS.jsonBytes} bytes as JSON`;

function attributeValueOk(v: unknown): boolean {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v))
    return (
      v.length <= ATTRIBUTE_CAPS.listItems && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    );
  return isText(v, ATTRIBUTE_CAPS.valueChars);
}

/**
 * recognize_face_attr as a client may give it: a flat object whose values are null, booleans, numbers,
 * short strings or short lists of numbers. No nesting, so a hostile value is refused after one pass over
 * its top level, whatever its depth or size.
 *
 * @example parseAttributes({ gender: 'female', box: [1, 2, 3, 4] }).gender === 'female'
 */
export function parseAttributes(v: unknown): Partial<FaceAttributes> {
  const key = 'recognize_face_attr';
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(key, ATTRIBUTE_RULE);
  const entries = Object.entries(v);
  if (entries.length > ATTRIBUTE_CAPS.keys) throw invalidArgument(key, ATTRIBUTE_RULE);
  for (const [k, value] of entries) {
    if (!isText(k, ATTRIBUTE_CAPS.keyChars) || k === '') throw invalidArgument(key, ATTRIBUTE_RULE);
    if (!attributeValueOk(value)) {
      throw invalidArgument(
        `${key}.${k}`,
        `must be null, true/false, a number, a string of at most ${ATTRIBUTE_CAPS.valueChars} characters` +
          ` or a list of at most ${ATTRIBUTE_CAPS.listItems} numbers`,
      );
    }
  }
  if (Buffer.byteLength(JSON.stringify(v)) > ATTRIBUTE_CAPS.jsonBytes)
    throw invalidArgument(key, ATTRIBUTE_RULE);
  return v as Partial<FaceAttributes>;
}
