/**
 * Every error path of search, detect, ingest and images over the wire: each message names the key (where
 * there is one) and then says what is allowed (CONTRACT.md, "Errors"), and none leaks a path, a bucket or
 * the image.
 */
import sharp from 'sharp';
import { openApiDocument } from '../../../functions/http/openapi';
import { b64, type Reply, startTestServer } from './helpers';
import { assertConforms, documented } from './openapiConformance';

let server: Awaited<ReturnType<typeof startTestServer>>;
let sky: Buffer;
const MAX_IMAGE_BYTES = 200_000;

beforeAll(async () => {
  server = await startTestServer({ MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES), IMAGE_ROOT: '' });
  sky = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#5a8cdc' } })
    .jpeg()
    .toBuffer();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const SEARCH = '/sophon/v2/face/searchbyimage';
const DETECT = '/sophon/v2/face/detect';
const INGEST = '/sophon/v2/face/events';

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const res = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const reply = { status: res.status, body: (await res.json()) as Reply['body'] };
  // Operations the API has are checked against its OpenAPI description; unknown ones are not in it.
  if (documented(method, server.url + path))
    assertConforms(
      method,
      server.url + path,
      body,
      reply.status,
      reply.body,
      res.headers.get('content-type') ?? '',
    );
  return reply;
}

const notAnImage = b64(Buffer.from('definitely not a jpeg'));
const tooLarge = b64(Buffer.alloc(MAX_IMAGE_BYTES + 1, 1));

/** [route, method, body, content type, status, code, message: key then rule] */
type Case = [string, string, unknown, string, number, string, RegExp];
/** The commonest row: a JSON POST refused as INVALID_ARGUMENTS. */
const invalid = (path: string, body: unknown, message: RegExp): Case => [
  path,
  'POST',
  body,
  'application/json',
  400,
  'INVALID_ARGUMENTS',
  message,
];
const imageCases = (path: string): Case[] => [
  [path, 'POST', {}, 'application/json', 400, 'MISSING_ARGUMENTS', /^face_image_base64: required/],
  invalid(path, '{x', /^body: must be valid JSON$/),
  invalid(path, '[1]', /^body: must be a JSON object$/),
  [
    path,
    'POST',
    '{}',
    'text/plain',
    415,
    'UNSUPPORT_CONTENT_TYPE',
    /^Content-Type: must be application\/json$/,
  ],
  [path, 'GET', undefined, '', 405, 'METHOD_NOT_ALLOWED', /^method: must be POST$/],
  invalid(path, { face_image_base64: '@@' }, /^face_image_base64: must be a non-empty base64 image/),
  invalid(
    path,
    { face_image_base64: tooLarge },
    new RegExp(`^face_image_base64: must be an image of at most ${MAX_IMAGE_BYTES} bytes$`),
  ),
  invalid(
    path,
    { face_image_base64: 'aGk=', face_image_path: 'a.jpg' },
    /^face_image_path: must not be given with face_image_base64/,
  ),
  invalid(path, { face_image_path: 7 }, /^face_image_path: must be a string$/),
  invalid(
    path,
    { face_image_base64: 'aGk=', fiqa_level: 'best' },
    /^fiqa_level: must be one of no, low, middle, high$/,
  ),
  [
    path,
    'POST',
    { face_image_path: 's3://secret-bucket/x.jpg' },
    'application/json',
    400,
    'IMAGE_NOT_OPENED',
    /^face_image_path: cannot be read; it must name an image/,
  ],
  [
    path,
    'POST',
    { face_image_base64: notAnImage },
    'application/json',
    400,
    'IMAGE_NOT_OPENED',
    /^image: must be a JPEG, PNG or WebP photo$/,
  ],
];

const cases: Case[] = [
  ...imageCases(SEARCH),
  ...imageCases(DETECT).filter(([, method]) => method === 'POST'),
  invalid(
    SEARCH,
    { face_image_base64: 'aGk=', threshold: 101 },
    /^threshold: must be a number from 0 to 100$/,
  ),
  invalid(
    SEARCH,
    { face_image_base64: 'aGk=', starttime: 'noon' },
    /^starttime: must be a time: seconds \(below 1e11\) or milliseconds/,
  ),
  invalid(SEARCH, { face_image_base64: 'aGk=', endtime: -1 }, /^endtime: must be a time/),
  invalid(
    SEARCH,
    { face_image_base64: 'aGk=', last_end_timestamp: {} },
    /^last_end_timestamp: must be a time/,
  ),
  invalid(
    SEARCH,
    { face_image_base64: 'aGk=', starttime: 2e12, endtime: 1e12 },
    /^starttime: must not be after endtime$/,
  ),
  invalid(
    SEARCH,
    { face_image_base64: 'aGk=', media_device_ids: 'cam-1' },
    /^media_device_ids: must be a list of at most 100 strings of at most 128 characters$/,
  ),
  invalid(SEARCH, { face_image_base64: 'aGk=', reverse: 'maybe' }, /^reverse: must be true or false$/),
  [INGEST, 'POST', {}, 'application/json', 400, 'MISSING_ARGUMENTS', /^face_image_base64: required/],
  [
    INGEST,
    'POST',
    '{}',
    'text/plain',
    415,
    'UNSUPPORT_CONTENT_TYPE',
    /^Content-Type: must be application\/json$/,
  ],
  invalid(INGEST, '"x"', /^body: must be a JSON object$/),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', event_id: '../x' },
    /^event_id: must be 1 to 128 of A-Z a-z 0-9/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', user_type: 'king' },
    /^user_type: must be one of employee, visitor, blacklist, stranger, vip$/,
  ),
  invalid(INGEST, { face_image_base64: 'aGk=', timestamp: 'noon' }, /^timestamp: must be a time/),
  invalid(INGEST, { face_image_base64: 'aGk=', out_timestamp: -3 }, /^out_timestamp: must be a time/),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', face_box: [5, 5, 1, 1] },
    /^face_box: must be \[x1, y1, x2, y2\]/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', identity_name: 'x'.repeat(257) },
    /^identity_name: must be a string of at most 256 characters/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', identity_id: 5 },
    /^identity_id: must be a string of at most 128 characters/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', register_image_id: 'a\nb' },
    /^register_image_id: must be a string .* without control characters$/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', media_device_info: [] },
    /^media_device_info: must be an object$/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', media_device_info: { media_device_ip: 'x'.repeat(65) } },
    /^media_device_info\.media_device_ip: must be a string of at most 64 characters/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', recognize_face_attr: { point: 'x'.repeat(100) } },
    /^recognize_face_attr\.point: must be null, true\/false, a number, a string of at most 64 characters or a list of at most 20 numbers$/,
  ),
  invalid(
    INGEST,
    { face_image_base64: 'aGk=', recognize_face_attr: 'x' },
    /^recognize_face_attr: must be an object of at most 16 keys \(each 1 to 32 of A-Z a-z 0-9 _\) and 1024 bytes as JSON$/,
  ),
  invalid(INGEST, { events: [] }, /^events: must be a list of 1 to 25 events$/),
  invalid(
    INGEST,
    { events: [{ face_image_base64: 'aGk=' }, { face_image_base64: 'aGk=', user_type: 1 }] },
    /^events\[1\]\.user_type: must be one of/,
  ),
  [
    INGEST,
    'POST',
    { face_image_base64: notAnImage },
    'application/json',
    400,
    'IMAGE_NOT_OPENED',
    /^image: must be a JPEG, PNG or WebP photo$/,
  ],
  [
    '/sophon/v2/face/images/nope.face',
    'GET',
    undefined,
    '',
    404,
    'NOT_FOUND',
    /^id: no stored image has this id$/,
  ],
  [
    '/sophon/v2/face/images/%E0%A4%A',
    'GET',
    undefined,
    '',
    404,
    'NOT_FOUND',
    /^id: must be valid percent-encoding$/,
  ],
  ['/sophon/v2/face/events/nope', 'DELETE', undefined, '', 404, 'NOT_FOUND', /^id: no event has this id$/],
  [
    '/sophon/v2/face/events/nope',
    'GET',
    undefined,
    '',
    405,
    'METHOD_NOT_ALLOWED',
    /^method: must be DELETE$/,
  ],
  ['/sophon/v2/face/nothing', 'POST', '{}', 'application/json', 404, 'NOT_FOUND', /^path: no such endpoint/],
];

describe('error messages name the key and what is allowed', () => {
  it.each(cases)('%s %s %j (%s) → %i %s %s', async (path, method, body, ct, status, code, message) => {
    const r = await call(method, path, body, ct);
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status, code });
    expect(r.body.error?.message).toMatch(message);
    // Nothing from the request but its keys: no path, no bucket, no image bytes.
    expect(r.body.error?.message).not.toMatch(/secret-bucket|aGk=|\/tmp|sfs-it-|at .*\.ts:/);
  });

  it('NO_FACE_ERROR says what it found', async () => {
    const r = await call('POST', SEARCH, { face_image_base64: b64(sky) });
    expect(r).toEqual({
      status: 400,
      body: { error: { code: 'NO_FACE_ERROR', message: 'no face found in the image' } },
    });
  });

  it('a batch reports each rejected event with the same message as a single one', async () => {
    const r = await call('POST', INGEST, { events: [{ face_image_base64: notAnImage, event_id: 'e-1' }] });
    expect(r.status).toBe(200);
    expect(r.body.events).toEqual([
      {
        event_id: 'e-1',
        error: { code: 'IMAGE_NOT_OPENED', message: 'image: must be a JPEG, PNG or WebP photo' },
      },
    ]);
  });
});

describe('GET /sophon/v2/openapi.json', () => {
  it('serves the OpenAPI 3.1 description generated from the schemas the service validates with', async () => {
    const res = await fetch(`${server.url}/sophon/v2/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, object> };
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/sophon/v2/face/detect',
      '/sophon/v2/face/events',
      '/sophon/v2/face/events/{id}',
      '/sophon/v2/face/images/{id}',
      '/sophon/v2/face/searchbyimage',
      '/sophon/v2/face/searchjobs',
      '/sophon/v2/face/searchjobs/{id}',
      '/sophon/v2/openapi.json',
    ]);
  });

  it('refuses a reply or an accepted request the description does not allow (the check can fail)', () => {
    const url = `${server.url}${SEARCH}`;
    expect(() => assertConforms('POST', url, {}, 200, { events: 'none' })).toThrow(/does not conform/);
    expect(() => assertConforms('POST', url, {}, 418, {})).toThrow(/does not list/);
    expect(() =>
      assertConforms('POST', url, {}, 400, { error: { code: 'NOT_A_CODE', message: 'x' } }),
    ).toThrow(/does not conform/);
    expect(() => assertConforms('POST', url, { threshold: true }, 200, searchReply)).toThrow(/the request/);
    expect(() => assertConforms('POST', url, { threshold: 90 }, 200, searchReply)).not.toThrow();
  });
});

const searchReply = {
  events: [],
  have_more: false,
  total_time: 0.1,
  endtimestamp: 1,
  records_examined: 0,
  timings: { face_ms: 1, scan_ms: 1 },
  query_face: { box: [1, 2, 3, 4], det_score: 0.9, quality: { face_size: 100 } },
};
