import { z } from 'zod';
import { FIQA_LEVELS } from './face';
import { ContractError } from './errors';
import { ATTRIBUTE_CAPS, FIELD_CAPS, textRule } from './eventFields';
import { MAX_TIMESTAMP_MS, toNumber } from './timeWindow';

/**
 * The request bodies as zod schemas: the one description of what each endpoint accepts. The parsers
 * (contract.ts, detectRequest.ts, event.ts) validate with them and then only convert (units, defaults);
 * the OpenAPI document (http/openapi.ts) is generated from them. Each field's rule is both its error
 * message (`<key>: <rule>`) and its description.
 */

export const MAX_DEVICE_IDS = 100;
export const MAX_BATCH_EVENTS = 25;
/** face_images_base64: a template needs two photos; five is plenty (and bounds the engine's work). */
export const MIN_QUERY_PHOTOS = 2;
export const MAX_QUERY_PHOTOS = 5;
/** Ids of events and images: safe as S3 key parts and in URLs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const USER_TYPES = ['employee', 'visitor', 'blacklist', 'stranger', 'vip'] as const;

export const RULES = {
  face_image_base64: 'must be a non-empty base64 image (a data: URL prefix is allowed)',
  face_image_path: 'must be a string',
  face_images_base64: `must be a list of ${MIN_QUERY_PHOTOS} to ${MAX_QUERY_PHOTOS} base64 images of one person`,
  fiqa_level: `must be one of ${FIQA_LEVELS.join(', ')}`,
  threshold: 'must be a number from 0 to 100',
  time: `must be a time: seconds (below 1e11) or milliseconds, from 0 to ${MAX_TIMESTAMP_MS} ms`,
  media_device_ids: `must be a list of at most ${MAX_DEVICE_IDS} strings of at most ${FIELD_CAPS.media_device_id} characters`,
  reverse: 'must be true or false',
  event_id: 'must be 1 to 128 of A-Z a-z 0-9 . _ : - (not starting with . _ : -)',
  face_box: 'must be [x1, y1, x2, y2]: pixels, x2 > x1 ≥ 0, y2 > y1 ≥ 0',
  user_type: `must be one of ${USER_TYPES.join(', ')}`,
  media_device_info: 'must be an object',
  recognize_face_attr:
    `must be an object of at most ${ATTRIBUTE_CAPS.keys} keys (each 1 to ${ATTRIBUTE_CAPS.keyChars} of A-Z a-z 0-9 _)` +
    ` and ${ATTRIBUTE_CAPS.jsonBytes} bytes as JSON`,
  attribute_value:
    `must be null, true/false, a number, a string of at most ${ATTRIBUTE_CAPS.valueChars} characters` +
    ` or a list of at most ${ATTRIBUTE_CAPS.listItems} numbers`,
  events: `must be a list of 1 to ${MAX_BATCH_EVENTS} events`,
  body: 'must be a JSON object',
} as const;

// Control characters have no place in a name and cost 6 bytes each as JSON; lone surrogates are not text.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(NO_CONTROL)
    .refine((s) => !LONE_SURROGATE.test(s))
    .meta({ description: textRule(max) });

const numberOrNumeric = (ok: (n: number) => boolean) =>
  z.union([
    z.number().refine(ok),
    z.string().refine((s) => {
      const n = toNumber(s);
      return n !== undefined && ok(n);
    }),
  ]);

const time = numberOrNumeric((n) => n >= 0)
  .nullish()
  .meta({ description: `${RULES.time}; null or absent: the default` });

const imageFields = {
  face_image_base64: z
    .string()
    .nullish()
    .meta({ description: 'the photo, base64 (a data: URL prefix is allowed); exactly one image field' }),
  face_image_path: z.string().nullish().meta({
    description: 'a path under the image root or a key of the image bucket; exactly one image field',
  }),
};

const fiqaLevel = z
  .string()
  .refine((s) => (FIQA_LEVELS as readonly string[]).includes(s.trim().toLowerCase()))
  .nullish()
  .meta({ description: `${FIQA_LEVELS.join(', ')} (case-insensitive); default low` });

/** POST /sophon/v2/face/detect. Other fields are ignored, so a search body may be sent as is. */
export const DetectRequest = z.looseObject({ ...imageFields, fiqa_level: fiqaLevel });

/** POST /sophon/v2/face/searchbyimage (CONTRACT.md, "Request"). Unknown fields are ignored. */
export const SearchRequest = z.looseObject({
  ...imageFields,
  face_images_base64: z
    .array(z.string())
    .min(MIN_QUERY_PHOTOS)
    .max(MAX_QUERY_PHOTOS)
    .nullish()
    .meta({
      description:
        `${MIN_QUERY_PHOTOS} to ${MAX_QUERY_PHOTOS} photos of one person, base64: the largest face of each, ` +
        'searched as one template; instead of the other query fields',
    }),
  event_id: z
    .string()
    .regex(ID_PATTERN)
    .nullish()
    .meta({
      description: `a stored event (${RULES.event_id}): its face is searched, no photo; instead of the other query fields`,
    }),
  fiqa_level: fiqaLevel,
  threshold: numberOrNumeric((n) => n >= 0 && n <= 100)
    .nullish()
    .meta({ description: `${RULES.threshold}; default 82` }),
  endtime: time,
  starttime: time,
  last_end_timestamp: time,
  media_device_ids: z
    .array(text(FIELD_CAPS.media_device_id))
    .max(MAX_DEVICE_IDS)
    .nullish()
    .meta({ description: RULES.media_device_ids }),
  reverse: z
    .union([z.boolean(), z.literal(0), z.literal(1), z.string().regex(/^(true|false)$/i)])
    .nullish()
    .meta({ description: 'true/false, "true"/"false" or 1/0; default true (newest first)' }),
});

/**
 * POST /sophon/v2/face/searchjobs: the search's body plus `max_results` (an extension: docs/api.md,
 * "Search jobs"). The cap is a setting (JOB_MAX_RESULTS), checked by the parser.
 */
export const SearchJobRequest = SearchRequest.extend({
  max_results: z
    .number()
    .int()
    .min(1)
    .nullish()
    .meta({ description: 'results kept at most, in scan order; default 10,000, capped by JOB_MAX_RESULTS' }),
});

const attributeValue = z.union([
  z.null(),
  z.boolean(),
  z.number(),
  text(ATTRIBUTE_CAPS.valueChars),
  z.array(z.number()).max(ATTRIBUTE_CAPS.listItems),
]);

const attributes = z
  .record(
    // Plain names only: a key is echoed in error messages (`recognize_face_attr.point`).
    z.string().regex(new RegExp(`^[A-Za-z0-9_]{1,${ATTRIBUTE_CAPS.keyChars}}$`)),
    attributeValue.meta({ description: RULES.attribute_value }),
  )
  .refine(
    (v) =>
      Object.keys(v).length <= ATTRIBUTE_CAPS.keys &&
      Buffer.byteLength(JSON.stringify(v)) <= ATTRIBUTE_CAPS.jsonBytes,
  )
  .nullish()
  .meta({ description: `${RULES.recognize_face_attr}; overrides the engine's attributes key by key` });

const device = z
  .looseObject({
    media_device_id: text(FIELD_CAPS.media_device_id).nullish(),
    media_device_name: text(FIELD_CAPS.media_device_name).nullish(),
    media_device_ip: text(FIELD_CAPS.media_device_ip).nullish(),
    media_device_type: text(FIELD_CAPS.media_device_type).nullish(),
  })
  .nullish();

const box = z
  .tuple([z.number().min(0), z.number().min(0), z.number().min(0), z.number().min(0)])
  .refine((b) => b[2] > b[0] && b[3] > b[1]);

/** One event of POST /sophon/v2/face/events. Unknown fields are ignored. */
export const IngestEvent = z.looseObject({
  event_id: z
    .union([z.literal(''), z.string().regex(ID_PATTERN)])
    .nullish()
    .meta({ description: `the idempotency key: ${RULES.event_id}; default a new UUID` }),
  ...imageFields,
  face_box: box.nullish().meta({ description: `${RULES.face_box}; default the largest face` }),
  timestamp: time,
  out_timestamp: time,
  identity_name: text(FIELD_CAPS.identity_name).nullish(),
  identity_id: text(FIELD_CAPS.identity_id).nullish(),
  register_image_id: text(FIELD_CAPS.register_image_id).nullish(),
  user_type: z.enum(USER_TYPES).nullish(),
  media_device_info: device,
  recognize_face_attr: attributes,
});

/** A batch: `{"events": [...]}` or a bare list. */
export const IngestBatch = z.union([
  z.looseObject({ events: z.array(IngestEvent).min(1).max(MAX_BATCH_EVENTS) }),
  z.array(IngestEvent).min(1).max(MAX_BATCH_EVENTS),
]);

export const IngestRequest = z.union([IngestEvent, IngestBatch]);

/**
 * The message of an issue in the contract's words: the key (with its parent for a device field or an
 * attribute, `media_device_info.media_device_ip`, `recognize_face_attr.point`), then what is allowed.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  const [top, second] = issue.path;
  const key = top === undefined ? 'body' : String(top);
  const nested =
    (key === 'media_device_info' || key === 'recognize_face_attr') &&
    typeof second === 'string' &&
    issue.code !== 'invalid_key';
  if (!nested) {
    const rule =
      key in FIELD_CAPS
        ? textRule(FIELD_CAPS[key as keyof typeof FIELD_CAPS])
        : /time(stamp)?$/.test(key)
          ? RULES.time
          : ((RULES as Record<string, string>)[key] ?? 'has a wrong type or value');
    return `${key}: ${rule}`;
  }
  const rule =
    key === 'recognize_face_attr'
      ? RULES.attribute_value
      : textRule(FIELD_CAPS[second as keyof typeof FIELD_CAPS] ?? 0);
  return `${key}.${second}: ${rule}`;
}

/**
 * The issues of `body` against `schema` and a function that throws INVALID_ARGUMENTS for the first one
 * about any of `keys` (in the order of `keys`), so a parser can interleave its own checks in the
 * contract's order.
 *
 * @example const failOn = issuesOf(SearchRequest, body); failOn(['threshold']);
 */
export function issuesOf(schema: z.ZodType, body: unknown): (keys: readonly string[]) => void {
  const r = schema.safeParse(body);
  const issues = r.success ? [] : r.error.issues;
  return (keys) => {
    for (const k of keys) {
      const issue = issues.find((i) => String(i.path[0]) === k);
      if (issue) throw new ContractError('INVALID_ARGUMENTS', issueMessage(issue));
    }
  };
}
