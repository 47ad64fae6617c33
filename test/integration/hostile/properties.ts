/**
 * Property-based cases (fast-check) over bodies, fields, content types and ids, against the one local
 * server of hostile.test.ts. Each run's reply must pass checkReply (contract error or valid success,
 * never a 5xx, never non-JSON); where the contract fixes the answer (content type, JSON syntax, batch
 * size, unknown ids) the property asserts that exact answer.
 */
import fc from 'fast-check';
import { MAX_BATCH_EVENTS } from '../../../functions/core/event';
import type { LogCapture } from './logCapture';
import { checkReply, outcome, send, type Route } from './wire';

export interface PropertyContext {
  url: string;
  log: LogCapture;
  /** base64 of a one-face photo and of a photo without a face: the only valid images generated. */
  faceBase64: string;
  noFaceBase64: string;
  /** fast-check runs done, for the suite's count. */
  runs: { total: number };
}

const SEARCH = '/sophon/v2/face/searchbyimage';
const INGEST = '/sophon/v2/face/events';
const DETECT = '/sophon/v2/face/detect';

/** Values of every JSON type, the numeric strings and edge numbers a parser trips on, deep-ish nesting. */
const anything = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '-1', '1e300', '', ' ', '0x1F', '1_000', '٣'),
  fc.constantFrom(-1, 0, -0, 1e300, -1e300, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 63),
  fc.integer({ min: 0, max: 100_000 }).map((n) => new Array<string>(n).fill('x')),
);

const time = fc.oneof(
  fc.integer({ min: 0, max: 9_999_999_999_999 }),
  fc.double({ min: 0, max: 1e11, noNaN: true }),
  fc.integer({ min: 1e9, max: 2e9 }).map(String),
  anything,
);

function image(ctx: PropertyContext) {
  return fc.oneof(
    { arbitrary: fc.constant(ctx.faceBase64), weight: 1 },
    { arbitrary: fc.constant(ctx.noFaceBase64), weight: 3 },
    { arbitrary: fc.constant(`data:image/png;base64,${ctx.noFaceBase64}`), weight: 1 },
    { arbitrary: fc.base64String({ maxLength: 200 }), weight: 3 },
    { arbitrary: anything, weight: 12 },
  );
}

const imagePath = fc.oneof(
  fc.constantFrom('../../etc/passwd', '/etc/passwd', 's3://other-bucket/a.jpg', 'face.jpg', 'a\0b'),
  fc.string(),
  fc.array(fc.constantFrom('..', '.', 'a', '%2e', '', '\\', 'é'), { maxLength: 8 }).map((p) => p.join('/')),
  anything,
);

/** Unknown fields (the contract ignores them), `__proto__` and `constructor` among them. */
const unknownFields = fc.dictionary(
  fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'events', 'toString')),
  anything,
  { maxKeys: 3 },
);

/** The contract's fields with good and bad values, each present or not, plus unknown fields. */
function withUnknown<T>(fields: fc.Arbitrary<T>) {
  return fc.tuple(unknownFields, fields).map(([extra, known]) => ({ ...extra, ...known }));
}

function searchBody(ctx: PropertyContext) {
  return withUnknown(
    fc.record(
      {
        face_image_base64: image(ctx),
        face_image_path: imagePath,
        fiqa_level: fc.oneof(fc.constantFrom('no', 'low', 'middle', 'high', ' High '), anything),
        starttime: time,
        endtime: time,
        last_end_timestamp: time,
        threshold: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), anything),
        media_device_ids: fc.oneof(fc.array(fc.string(), { maxLength: 120 }), anything),
        reverse: fc.oneof(fc.constantFrom(true, false, 'true', 'FALSE', 1, 0), anything),
      },
      { requiredKeys: [] },
    ),
  );
}

function ingestEvent(ctx: PropertyContext) {
  return fc.record(
    {
      event_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), anything),
      face_image_base64: image(ctx),
      face_image_path: imagePath,
      face_box: fc.oneof(fc.array(fc.double(), { minLength: 4, maxLength: 4 }), anything),
      timestamp: time,
      out_timestamp: time,
      identity_name: fc.oneof(fc.string(), anything),
      user_type: fc.oneof(fc.constantFrom('employee', 'visitor', 'vip', 'admin'), anything),
      media_device_info: fc.oneof(
        fc.record({ media_device_id: fc.oneof(fc.string(), anything) }, { requiredKeys: [] }),
        anything,
      ),
      recognize_face_attr: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), anything),
    },
    { requiredKeys: [] },
  );
}

const remember = (ctx: PropertyContext, body: unknown) => {
  const walk = (v: unknown) => {
    if (typeof v === 'string') ctx.log.sent(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(body);
};

async function postJson(ctx: PropertyContext, path: string, route: Route, body: unknown, batch = false) {
  remember(ctx, body);
  const raw = await send(ctx.url + path, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return checkReply(route, raw, batch);
}

/** Header values a client could send: visible ASCII and spaces (a CR or LF never reaches a server). */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON;CHARSET=UTF-8',
    ' application/json ',
    'application/json;',
    'application/json-patch+json',
    'application/jsonx',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'text/json',
    'image/jpeg',
    '*/*',
    '',
  ),
  fc.mixedCase(fc.constant('application/json')),
  headerText.map((t) => `application/json;${t}`),
  headerText,
);

/** Other headers a client or a proxy may add, with junk values: none changes how the body is read. */
const otherHeaders = fc.dictionary(
  fc.constantFrom(
    'accept',
    'accept-encoding',
    'content-encoding',
    'content-language',
    'authorization',
    'cookie',
    'origin',
    'x-amz-date',
    'x-api-key',
    'x-forwarded-for',
    'x-http-method-override',
  ),
  headerText,
  { maxKeys: 4 },
);

/** What the contract says about a body sent with this content type, before anything else is checked. */
const isJsonType = (type: string | undefined) =>
  (type ?? '').split(';')[0].trim().toLowerCase() === 'application/json';

const runsOf = (ctx: PropertyContext, numRuns: number) => {
  ctx.runs.total += numRuns;
  return { numRuns };
};

export function registerProperties(context: () => PropertyContext): void {
  describe('properties (fast-check)', () => {
    it('search and detect: any body of any field types gets a contract reply', async () => {
      const ctx = context();
      await fc.assert(
        fc.asyncProperty(searchBody(ctx), fc.boolean(), async (body, detect) => {
          if (detect) await postJson(ctx, DETECT, 'detect', body);
          else await postJson(ctx, SEARCH, 'search', body);
        }),
        runsOf(ctx, 120),
      );
    });

    it('search: any content type and headers; only application/json (any case, any parameters) is read', async () => {
      const ctx = context();
      await fc.assert(
        fc.asyncProperty(contentType, otherHeaders, async (type, headers) => {
          const raw = await send(ctx.url + SEARCH, {
            body: JSON.stringify({ face_image_path: 'hostile/none.jpg' }),
            headers: { ...headers, 'content-type': type },
          });
          const r = checkReply('search', raw);
          expect(outcome(r)).toBe(isJsonType(type) ? 'IMAGE_NOT_OPENED' : 'UNSUPPORT_CONTENT_TYPE');
        }),
        runsOf(ctx, 60),
      );
    });

    it('search, ingest and detect: arbitrary bytes as a JSON body are either JSON or INVALID_ARGUMENTS body', async () => {
      const ctx = context();
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        fc
          .tuple(fc.jsonValue(), fc.nat())
          .map(([v, cut]) => (JSON.stringify(v) ?? '').slice(0, Math.max(0, cut % 40))),
        fc.constantFrom(
          '{"a":NaN}',
          '{"starttime":Infinity}',
          '\ufeff{}',
          '{',
          '[',
          'nul',
          '{"a":1,}',
          '\u0000',
        ),
      );
      await fc.assert(
        fc.asyncProperty(bytes, fc.constantFrom(SEARCH, INGEST, DETECT), async (body, path) => {
          ctx.log.sent(Buffer.from(body).toString('utf8'));
          const route: Route = path === SEARCH ? 'search' : path === DETECT ? 'detect' : 'ingest';
          const text = Buffer.from(body).toString('utf8');
          let parsed: unknown;
          let valid = true;
          try {
            parsed = text.trim() === '' ? {} : JSON.parse(text);
          } catch {
            valid = false;
          }
          const batch = Array.isArray(parsed) || Array.isArray((parsed as { events?: unknown })?.events);
          const raw = await send(ctx.url + path, { body, headers: { 'content-type': 'application/json' } });
          const r = checkReply(route, raw, batch);
          if (!valid)
            expect(r.body.error).toEqual({ code: 'INVALID_ARGUMENTS', message: 'body: must be valid JSON' });
        }),
        runsOf(ctx, 100),
      );
    });

    it('ingest: any single event or batch gets a contract reply; malformed batches are INVALID_ARGUMENTS events', async () => {
      const ctx = context();
      const body = fc.oneof(
        { arbitrary: ingestEvent(ctx), weight: 3 },
        { arbitrary: fc.array(ingestEvent(ctx), { maxLength: 3 }), weight: 1 },
        { arbitrary: fc.record({ events: fc.array(ingestEvent(ctx), { maxLength: 3 }) }), weight: 1 },
        { arbitrary: fc.record({ events: anything }), weight: 1 },
        {
          arbitrary: fc
            .integer({ min: MAX_BATCH_EVENTS + 1, max: 100_000 })
            .map((n) => ({ events: new Array<object>(n).fill({}) })),
          weight: 1,
        },
      );
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          // What the server receives: JSON turns NaN and ±Infinity into null (then no batch at all).
          const sent = JSON.parse(JSON.stringify(b)) as unknown;
          const list = Array.isArray(sent) ? sent : (sent as { events?: unknown }).events;
          const batch = list !== undefined && list !== null;
          const r = await postJson(ctx, INGEST, 'ingest', b, Array.isArray(list));
          const malformed =
            batch && (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_EVENTS);
          if (malformed)
            expect(r.body.error).toEqual({
              code: 'INVALID_ARGUMENTS',
              message: `events: must be a list of 1 to ${MAX_BATCH_EVENTS} events`,
            });
        }),
        runsOf(ctx, 100),
      );
    });

    it('images and erasure: any id, encoded or malformed, is NOT_FOUND when nothing has it', async () => {
      const ctx = context();
      const segment = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 300 }).map((s) => encodeURIComponent(s)),
        fc
          .array(fc.constantFrom('%', '%2', '%E0', '%A4', '%2F', '%00', '..', '.', 'a', 'é', '%ZZ', '%25'), {
            maxLength: 12,
          })
          .map((p) => p.join('')),
        fc.integer({ min: 129, max: 8_000 }).map((n) => 'a'.repeat(n)),
        // Past Node's 16 KB for the request line and headers: the server cannot parse the request.
        fc.integer({ min: 17_000, max: 40_000 }).map((n) => 'a'.repeat(n)),
      );
      await fc.assert(
        fc.asyncProperty(segment, fc.constantFrom('GET', 'DELETE'), async (id, method) => {
          const path = method === 'GET' ? '/sophon/v2/face/images/' : '/sophon/v2/face/events/';
          const raw = await send(ctx.url + path + id.replace(/[^\x21-\x7e]/g, encodeURIComponent), {
            method,
          });
          const r = checkReply(method === 'GET' ? 'image' : 'delete', raw);
          // An id of only dots or empty is normalized into another path; that too must be "not found".
          const expected =
            id.length > 16_384
              ? 'INVALID_ARGUMENTS request'
              : r.status === 405
                ? 'METHOD_NOT_ALLOWED method'
                : r.body.error?.message.startsWith('path:')
                  ? 'NOT_FOUND path'
                  : 'NOT_FOUND id';
          // The code and the key its message names.
          expect(`${outcome(r)} ${r.body.error?.message.split(':')[0]}`).toBe(expected);
        }),
        runsOf(ctx, 100),
      );
    });
  });
}
