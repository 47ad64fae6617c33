/**
 * Hostile input against ONE real local server (dynalite, s3rver, the HTTP listener, the real face
 * engine): property-based bodies, headers and ids (properties.ts), then a corpus of hostile files,
 * encodings, paths, fields and ids, each with the contract's exact answer, the S3-triggered ingest, and
 * the logs of it all. Afterwards the server still finds a face, its RSS stayed bounded and no log line
 * carries image data. The chosen behaviours are listed in docs/security.md, "Hostile input".
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { getFaceEngine } from '../../../functions/face';
import { createS3IngestHandler } from '../../../functions/ingest/s3Handler';
import { createAwsClients } from '../../../functions/store/clients';
import { faceCrop, facesOf, PHOTOS, photo, startTestServer } from '../api/helpers';
import {
  colourVariants,
  exifRotated,
  foreignFormats,
  jpegDeclaring,
  pngBomb,
  truncated,
} from './hostileFiles';
import { LogCapture } from './logCapture';
import { registerProperties } from './properties';
import { checkReply, outcome, RssWatch, send, type Route, type WireReply } from './wire';
import { DEFAULT_MESSAGES, StorageUnavailableError } from '../../../functions/core/errors';

/** The cloud's setting (docs/deploy.md): bodies over ≈ 6.6 MB are refused by the local server as a whole. */
const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
/**
 * Resident memory the process may gain while serving the corpus (over what it held when the corpus
 * started: the server with its engine loaded, and in a full `npm test` whatever earlier suites left in
 * the same jest process): request bodies up to 30 MB, decoded photos, caches. Decoding the
 * 20,000 × 20,000 bomb would add 1.2 GB on its own.
 */
const RSS_GROWTH_BOUND_MB = 1024;
const SEARCH = '/sophon/v2/face/searchbyimage';
const INGEST = '/sophon/v2/face/events';
const HOUR = 3_600_000;
const now = Date.now();

let server: Awaited<ReturnType<typeof startTestServer>>;
let s3: S3Client;
let root: string; // IMAGE_ROOT
let scratch: string; // holds root and a folder beside it
let face: Buffer; // one person's face, cut from sample1
let noFace: Buffer;
let bomb: Buffer; // 20,000 × 20,000 single-colour PNG, 48 KB
let formats: Record<string, Buffer>; // foreignFormats(face)
const log = new LogCapture();
const rss = new RssWatch();
const tally = { cases: 0, runs: { total: 0 } };

const jpegMagic = (size: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(size - 4)]);

async function call(
  route: Route,
  path: string,
  body?: unknown,
  opts: { method?: string; raw?: Buffer | string; batch?: boolean } = {},
): Promise<WireReply> {
  tally.cases++;
  if (body !== undefined) rememberStrings(body);
  const raw = await send(server.url + path, {
    method: opts.method ?? 'POST',
    body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    headers: { 'content-type': opts.method && opts.method !== 'POST' ? undefined : 'application/json' },
  });
  rss.sample();
  return checkReply(route, raw, opts.batch);
}

function rememberStrings(v: unknown, depth = 0): void {
  if (typeof v === 'string') log.sent(v);
  else if (v && typeof v === 'object' && depth < 8)
    Object.values(v)
      .slice(0, 100)
      .forEach((x) => rememberStrings(x, depth + 1));
}

const search = (body: unknown) => call('search', SEARCH, body);
const ingest = (body: unknown, batch = false) => call('ingest', INGEST, body, { batch });
const b64 = (bytes: Buffer) => {
  log.sent(bytes);
  return bytes.toString('base64');
};
/** The error as the tables write it: `CODE` or `CODE message`. */
/** 'ok', or the code and, for argument errors, the key the message names (the rule follows it). */
const answer = (r: WireReply) => {
  if (!r.body.error) return 'ok';
  const { code, message } = r.body.error;
  if (code === 'INVALID_ARGUMENTS' || code === 'MISSING_ARGUMENTS')
    return `${code} ${message.split(': ')[0]}`;
  return message && code !== 'NOT_FOUND' ? `${code} ${message}` : code;
};
const refScore = (r: WireReply) =>
  (r.body.events as { event_id: string; compare_score: number }[] | undefined)?.find(
    (e) => e.event_id === 'hostile-ref',
  )?.compare_score ?? 0;

beforeAll(async () => {
  log.start();
  scratch = mkdtempSync(join(tmpdir(), 'sfs-hostile-'));
  root = join(scratch, 'root');
  mkdirSync(root);
  mkdirSync(join(scratch, 'outside'));
  const group = photo(1);
  face = await faceCrop(group, (await facesOf(group))[0]);
  noFace = await sharp({ create: { width: 96, height: 96, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  bomb = pngBomb(20_000, 20_000);
  formats = await foreignFormats(face);
  writeFileSync(join(root, 'face.jpg'), face);
  writeFileSync(join(root, 'zero.jpg'), Buffer.alloc(0));
  writeFileSync(join(root, 'big.jpg'), jpegMagic(MAX_IMAGE_BYTES + 1));
  writeFileSync(join(scratch, 'outside', 'face.jpg'), face);

  server = await startTestServer({
    MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
    IMAGE_ROOT: root,
    ALLOWED_BUCKETS: 'partner-photos',
  });
  s3 = createAwsClients(server.config, { localCredentials: true }).s3;
  const put = (Bucket: string, Key: string, Body: Buffer) =>
    s3.send(new PutObjectCommand({ Bucket, Key, Body }));
  await s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
  await put('other-bucket', 'face.jpg', face);
  const bucket = server.config.IMAGE_BUCKET;
  await put(bucket, 'hostile/face.jpg', face);
  await put(bucket, 'hostile/zero.jpg', Buffer.alloc(0));
  await put(bucket, 'hostile/big.jpg', jpegMagic(MAX_IMAGE_BYTES + 1));
  await put(bucket, 'hostile/bomb.png', bomb);

  const ref = await ingest({
    event_id: 'hostile-ref',
    face_image_base64: b64(face),
    timestamp: now - HOUR,
    identity_name: 'alice',
  });
  expect(ref.status).toBe(201);
  rss.start();
}, 120_000);

afterAll(async () => {
  rss.stop();
  log.stop();
  // A refused search may leave a history read it started beside the engine still in flight; let it land
  // before dynalite closes under it.
  await new Promise((r) => setTimeout(r, 1000));
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

registerProperties(() => ({
  url: server.url,
  log,
  faceBase64: b64(face),
  noFaceBase64: b64(noFace),
  runs: tally.runs,
}));

describe('hostile image files (search by base64)', () => {
  const cases: [string, () => Promise<Buffer>, string][] = [
    ['truncated JPEG (half the file)', async () => truncated(face, 0.5), 'IMAGE_NOT_OPENED'],
    ['truncated JPEG (end marker cut)', async () => face.subarray(0, face.length - 2), 'IMAGE_NOT_OPENED'],
    ['JPEG header only (100 bytes)', async () => face.subarray(0, 100), 'IMAGE_NOT_OPENED'],
    ['PNG bomb: 20,000 × 20,000 single colour', async () => bomb, 'IMAGE_NOT_OPENED'],
    ['JPEG declaring 65,500 × 65,500', async () => jpegDeclaring(face, 65_500, 65_500), 'IMAGE_NOT_OPENED'],
    ['PNG bomb under the pixel limit: 6,000 × 6,000', async () => pngBomb(6_000, 6_000), 'NO_FACE_ERROR'],
    [
      'exactly MAX_IMAGE_BYTES of junk after a JPEG signature',
      async () => jpegMagic(MAX_IMAGE_BYTES),
      'IMAGE_NOT_OPENED',
    ],
    ['a photo without a face', async () => noFace, 'NO_FACE_ERROR'],
  ];
  it.each(cases)('%s', async (_, make, expected) => {
    expect(outcome(await search({ face_image_base64: b64(await make()) }))).toBe(expected);
  });

  it('refuses every format but JPEG, PNG and WebP, whatever it holds (IMAGE_NOT_OPENED)', async () => {
    const answers: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(formats)) {
      answers[name] = outcome(await search({ face_image_base64: b64(bytes) }));
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, 'IMAGE_NOT_OPENED'])));
    expect(Object.keys(answers).length).toBeGreaterThanOrEqual(12);
  });

  it('detect refuses the same files: foreign formats, the bomb, a truncated JPEG (IMAGE_NOT_OPENED)', async () => {
    const files = { ...formats, bomb, truncated: truncated(face, 0.5) };
    const answers: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(files)) {
      answers[name] = outcome(
        await call('detect', '/sophon/v2/face/detect', { face_image_base64: b64(bytes) }),
      );
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(files).map((k) => [k, 'IMAGE_NOT_OPENED'])));
  });

  it('reads CMYK, 16-bit, grey, alpha, palette, progressive and lossless photos and finds the person', async () => {
    const scores: Record<string, number> = {};
    for (const [name, bytes] of Object.entries(await colourVariants(face))) {
      const r = await search({ face_image_base64: b64(bytes), threshold: 0 });
      expect([name, outcome(r)]).toEqual([name, 'ok']);
      scores[name] = refScore(r);
    }
    // Grey loses the colour the embedding saw at ingest; the rest are the same pixels, near enough.
    for (const [name, score] of Object.entries(scores)) {
      expect([name, score]).toEqual([name, expect.any(Number)]);
      expect([name, score >= (name.includes('grey') ? 60 : 82)]).toEqual([name, true]);
    }
  });

  it.each([3, 6, 8] as const)(
    'turns an EXIF-rotated photo (orientation %i) upright and finds the person',
    async (orientation) => {
      const rotated = await exifRotated(face, orientation);
      expect((await sharp(rotated).metadata()).orientation).toBe(orientation);
      const r = await search({ face_image_base64: b64(rotated) });
      expect(outcome(r)).toBe('ok');
      expect(refScore(r)).toBeGreaterThanOrEqual(82);
      // The box is in upright pixels: inside the upright (original) frame.
      const meta = await sharp(face).metadata();
      const box = (r.body.query_face as { box: number[] }).box;
      expect(box[2]).toBeLessThanOrEqual(meta.width! + 1);
      expect(box[3]).toBeLessThanOrEqual(meta.height! + 1);
    },
  );
});

describe('base64 encodings (CONTRACT.md: a data: prefix is accepted; whitespace is ignored)', () => {
  const mime = (s: string, sep: string) => s.replace(/.{76}/g, `$&${sep}`);
  const cases: [string, (s: string) => string, string][] = [
    ['MIME lines (76 columns, CRLF)', (s) => mime(s, '\r\n'), 'ok'],
    ['LF line breaks', (s) => mime(s, '\n'), 'ok'],
    ['spaces and tabs inside', (s) => s.replace(/.{10}/g, '$& \t'), 'ok'],
    ['surrounding whitespace', (s) => `\n  ${s}  \n`, 'ok'],
    ['data:image/jpeg;base64, prefix', (s) => `data:image/jpeg;base64,${s}`, 'ok'],
    ['DATA:IMAGE/JPEG;BASE64, prefix', (s) => `DATA:IMAGE/JPEG;BASE64,${s}`, 'ok'],
    ['data:image/png;base64, prefix on a JPEG', (s) => `data:image/png;base64,${s}`, 'ok'],
    ['data: prefix with a parameter', (s) => `data:image/jpeg;name=a.jpg;base64,${s}`, 'ok'],
    ['no padding', (s) => s.replace(/=+$/, ''), 'ok'],
    ['data: prefix without ;base64', (s) => `data:image/jpeg,${s}`, 'INVALID_ARGUMENTS face_image_base64'],
    [
      'two data: prefixes',
      (s) => `data:image/jpeg;base64,data:image/jpeg;base64,${s}`,
      'INVALID_ARGUMENTS face_image_base64',
    ],
    [
      'base64url alphabet',
      (s) => s.replace(/\+/g, '-').replace(/\//g, '_'),
      'INVALID_ARGUMENTS face_image_base64',
    ],
    ['URL-encoded', (s) => encodeURIComponent(s), 'INVALID_ARGUMENTS face_image_base64'],
    [
      'padding in the middle',
      (s) => `${s.slice(0, 400)}==${s.slice(400)}`,
      'INVALID_ARGUMENTS face_image_base64',
    ],
    [
      'a non-ASCII letter inside',
      (s) => `${s.slice(0, 400)}é${s.slice(400)}`,
      'INVALID_ARGUMENTS face_image_base64',
    ],
    ['one character', () => 'a', 'INVALID_ARGUMENTS face_image_base64'],
    ['only padding', () => '====', 'INVALID_ARGUMENTS face_image_base64'],
    ['punctuation', () => '!!!!', 'INVALID_ARGUMENTS face_image_base64'],
    ['only whitespace', () => ' \n\t ', 'INVALID_ARGUMENTS face_image_base64'],
    ['a prefix and nothing', () => 'data:image/jpeg;base64,', 'INVALID_ARGUMENTS face_image_base64'],
    ['empty string (absent)', () => '', 'MISSING_ARGUMENTS face_image_base64'],
    [
      'valid base64 of text',
      () => Buffer.from('hello, this is not an image').toString('base64'),
      'IMAGE_NOT_OPENED image: must be a JPEG, PNG or WebP photo',
    ],
  ];
  it.each(cases)('%s', async (_, encode, expected) => {
    const text = encode(b64(face));
    expect(answer(await search({ face_image_base64: text }))).toBe(expected);
  });
});

describe('sizes', () => {
  it('refuses a photo one byte over MAX_IMAGE_BYTES, by base64 in search and ingest', async () => {
    const big = b64(jpegMagic(MAX_IMAGE_BYTES + 1));
    expect(answer(await search({ face_image_base64: big }))).toBe('INVALID_ARGUMENTS face_image_base64');
    expect(answer(await ingest({ face_image_base64: big }))).toBe('INVALID_ARGUMENTS face_image_base64');
    expect(answer(await ingest({ events: [{ face_image_base64: big }] }, true))).toBe(
      'INVALID_ARGUMENTS events[0].face_image_base64',
    );
  });

  it.each([
    ['7 MB', 7e6],
    ['30 MB', 30e6],
  ])(
    'answers a %s body with INVALID_ARGUMENTS body, over a connection that stays usable',
    async (_, size) => {
      const body = `{"face_image_base64":"${'A'.repeat(size)}"}`;
      expect(answer(await call('search', SEARCH, undefined, { raw: body }))).toBe('INVALID_ARGUMENTS body');
      expect(answer(await call('ingest', INGEST, undefined, { raw: body }))).toBe('INVALID_ARGUMENTS body');
    },
  );

  it('refuses a batch whose photos together exceed the body limit', async () => {
    const events = Array.from({ length: 25 }, () => ({ face_image_base64: b64(jpegMagic(300_000)) }));
    expect(answer(await ingest({ events }, true))).toBe('INVALID_ARGUMENTS body');
  });

  it('refuses an object or a file over MAX_IMAGE_BYTES named by face_image_path', async () => {
    expect(answer(await search({ face_image_path: 'hostile/big.jpg' }))).toBe(
      'INVALID_ARGUMENTS face_image_path',
    );
    expect(answer(await search({ face_image_path: 'big.jpg' }))).toBe('INVALID_ARGUMENTS face_image_path');
  });
});

describe('face_image_path: nothing outside the bucket, the allow-list and IMAGE_ROOT', () => {
  const outsideRoot = () => join(scratch, 'outside', 'face.jpg');
  const refused: [string, () => string][] = [
    ['../../etc/passwd', () => '../../etc/passwd'],
    ['/etc/passwd', () => '/etc/passwd'],
    ['/proc/self/environ', () => '/proc/self/environ'],
    ['~/.ssh/id_rsa', () => '~/.ssh/id_rsa'],
    ['a real photo outside IMAGE_ROOT, absolute', () => realpathSync(join(PHOTOS, 'sample1.jpg'))],
    ['a face beside IMAGE_ROOT, absolute', outsideRoot],
    ['a face beside IMAGE_ROOT, by ..', () => '../outside/face.jpg'],
    ['a face beside IMAGE_ROOT, root/../', () => `${root}/../outside/face.jpg`],
    ['..%2F..%2Fetc%2Fpasswd', () => '..%2F..%2Fetc%2Fpasswd'],
    ['%2e%2e/%2e%2e/etc/passwd', () => '%2e%2e/%2e%2e/etc/passwd'],
    ['....//....//etc/passwd', () => '....//....//etc/passwd'],
    ['.. that resolves inside', () => 'hostile/../hostile/face.jpg'],
    ['a . segment', () => 'hostile/./face.jpg'],
    ['NUL before an extension', () => '/etc/passwd\u0000.jpg'],
    ['NUL after a real key', () => 'hostile/face.jpg\u0000'],
    ['backslashes', () => '..\\..\\etc\\passwd'],
    ['a Windows path', () => 'C:\\Windows\\win.ini'],
    ['file://', () => 'file:///etc/passwd'],
    ['http:// to the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
    ['https://', () => 'https://example.com/face.jpg'],
    ['s3:// to another bucket holding a face', () => 's3://other-bucket/face.jpg'],
    ['S3:// (upper case) to another bucket', () => 'S3://other-bucket/face.jpg'],
    ['s3:// to another bucket, then ..', () => 's3://other-bucket/../sophon-face-images/hostile/face.jpg'],
    ['s3:// to our bucket, then ..', () => 's3://sophon-face-images/../other-bucket/face.jpg'],
    ['s3:// to an allow-listed bucket that does not exist', () => 's3://partner-photos/face.jpg'],
    ['s3:// without a key', () => 's3://sophon-face-images'],
    ['s3:/// (no bucket)', () => 's3:///face.jpg'],
    ['a 5,000-character path', () => 'a/'.repeat(2500)],
    ['a 300-character key segment', () => 'a'.repeat(300)],
    ['150 two-byte characters in a segment', () => 'é'.repeat(150)],
    ['a zero-byte object', () => 'hostile/zero.jpg'],
    ['a zero-byte file in IMAGE_ROOT', () => 'zero.jpg'],
    ['a PNG bomb in the bucket', () => 'hostile/bomb.png'],
    ['only a slash', () => '/'],
    ['only spaces', () => '   '],
  ];
  it.each(refused)('search refuses %s (IMAGE_NOT_OPENED)', async (_, path) => {
    expect(outcome(await search({ face_image_path: path() }))).toBe('IMAGE_NOT_OPENED');
  });

  it.each(refused.filter((_, i) => i % 4 === 0))('ingest refuses %s (IMAGE_NOT_OPENED)', async (_, path) => {
    expect(outcome(await ingest({ face_image_path: path() }))).toBe('IMAGE_NOT_OPENED');
  });

  it.each([
    ['a key of the image bucket', () => 'hostile/face.jpg'],
    ['a key with a leading slash', () => '/hostile/face.jpg'],
    ['s3:// to the image bucket', () => 's3://sophon-face-images/hostile/face.jpg'],
    ['a file in IMAGE_ROOT', () => 'face.jpg'],
    ['an absolute path in IMAGE_ROOT', () => join(root, 'face.jpg')],
  ])('reads %s', async (_, path) => {
    const r = await search({ face_image_path: path() });
    expect(outcome(r)).toBe('ok');
    expect(refScore(r)).toBeGreaterThanOrEqual(82);
  });
});

describe('search fields', () => {
  const base = () => ({ face_image_path: 'hostile/face.jpg' });
  const badTimes: [string, unknown][] = [
    ['"NaN"', 'NaN'],
    ['"Infinity"', 'Infinity'],
    ['"-Infinity"', '-Infinity'],
    ['-1', -1],
    ['-0.001', -0.001],
    ['1e300', 1e300],
    ['"1e300"', '1e300'],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
    ['2^53', 2 ** 53],
    ['true', true],
    ['{}', {}],
    ['[]', []],
    ['[1]', [1]],
    ['an ISO date', '2024-01-01T00:00:00Z'],
    ['""', ''],
    ['" "', ' '],
  ];
  const timeCases = ['starttime', 'endtime', 'last_end_timestamp'].flatMap((field) =>
    badTimes.map(([name, value]) => [field, name, value] as const),
  );
  it.each(timeCases)('%s = %s → INVALID_ARGUMENTS', async (field, _, value) => {
    expect(answer(await search({ ...base(), [field]: value }))).toBe(`INVALID_ARGUMENTS ${field}`);
  });

  it.each([
    ['NaN', '{"face_image_path":"hostile/face.jpg","starttime":NaN}'],
    ['Infinity', '{"face_image_path":"hostile/face.jpg","endtime":Infinity}'],
    ['-Infinity', '{"face_image_path":"hostile/face.jpg","threshold":-Infinity}'],
  ])('a bare %s in the JSON text → INVALID_ARGUMENTS body', async (_, raw) => {
    expect(answer(await call('search', SEARCH, undefined, { raw }))).toBe('INVALID_ARGUMENTS body');
  });

  it.each([
    ['float seconds and a ms string', { starttime: (now - 2 * HOUR) / 1000, endtime: String(now) }],
    ['a seconds string with a fraction', { starttime: String((now - 2 * HOUR) / 1000 + 0.25) }],
    ['float ms', { starttime: now - 2 * HOUR + 0.5, endtime: now + 0.5 }],
    ['a float resume point', { last_end_timestamp: now + 0.75 }],
  ])('accepts %s and finds the event', async (_, times) => {
    const r = await search({ ...base(), ...times });
    expect(outcome(r)).toBe('ok');
    expect(refScore(r)).toBeGreaterThanOrEqual(82);
  });

  it('accepts starttime = endtime; refuses starttime > endtime and an old endtime alone', async () => {
    expect(outcome(await search({ ...base(), starttime: now - HOUR, endtime: now - HOUR }))).toBe('ok');
    expect(answer(await search({ ...base(), starttime: now, endtime: now - 1 }))).toBe(
      'INVALID_ARGUMENTS starttime',
    );
    expect(answer(await search({ ...base(), endtime: now - 48 * HOUR }))).toBe('INVALID_ARGUMENTS starttime');
  });

  const huge = (n: number) => Array.from({ length: n }, (_, i) => `cam-${i}`);
  it.each([
    ['100,000 ids', () => huge(100_000), 'INVALID_ARGUMENTS media_device_ids'],
    ['101 ids', () => huge(101), 'INVALID_ARGUMENTS media_device_ids'],
    ['one 1 MB id', () => ['x'.repeat(1 << 20)], 'INVALID_ARGUMENTS media_device_ids'],
    ['one 129-character id', () => ['x'.repeat(129)], 'INVALID_ARGUMENTS media_device_ids'],
    ['nested lists', () => [['cam-1']], 'INVALID_ARGUMENTS media_device_ids'],
    ['[null]', () => [null], 'INVALID_ARGUMENTS media_device_ids'],
    ['an object', () => ({ 0: 'cam-1' }), 'INVALID_ARGUMENTS media_device_ids'],
    ['a string', () => 'cam-1', 'INVALID_ARGUMENTS media_device_ids'],
    ['100 ids of 128 characters', () => huge(100).map((d) => d.padEnd(128, 'x')), 'ok'],
    ['[] (all devices)', () => [], 'ok'],
  ])('media_device_ids: %s', async (_, ids, expected) => {
    expect(answer(await search({ ...base(), media_device_ids: ids() }))).toBe(expected);
  });

  it.each([
    ['threshold', -1],
    ['threshold', 100.0001],
    ['threshold', 'abc'],
    ['threshold', 'NaN'],
    ['threshold', 1e300],
    ['threshold', true],
    ['threshold', []],
    ['fiqa_level', 'ultra'],
    ['fiqa_level', 1],
    ['fiqa_level', ['low']],
    ['fiqa_level', ''],
    ['reverse', 'yes'],
    ['reverse', 2],
    ['reverse', {}],
    ['reverse', 'TRUE '],
    ['face_image_path', 7],
    ['face_image_path', ['hostile/face.jpg']],
  ])('%s = %j → INVALID_ARGUMENTS', async (field, value) => {
    expect(answer(await search({ ...base(), [field]: value }))).toBe(`INVALID_ARGUMENTS ${field}`);
  });

  it.each([
    ['a number', 123],
    ['an object', {}],
    ['a list', ['AAAA']],
    ['true', true],
  ])('face_image_base64 as %s → INVALID_ARGUMENTS', async (_, value) => {
    expect(answer(await search({ face_image_base64: value }))).toBe('INVALID_ARGUMENTS face_image_base64');
  });

  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  it.each([
    [
      'both image fields',
      JSON.stringify({ face_image_base64: 'AAAA', face_image_path: 'a.jpg' }),
      'INVALID_ARGUMENTS face_image_path',
    ],
    ['neither image field', '{"threshold":90}', 'MISSING_ARGUMENTS face_image_base64'],
    ['both null', '{"face_image_base64":null,"face_image_path":null}', 'MISSING_ARGUMENTS face_image_base64'],
    ['an empty body', '', 'MISSING_ARGUMENTS face_image_base64'],
    ['{}', '{}', 'MISSING_ARGUMENTS face_image_base64'],
    ['a list', '[]', 'INVALID_ARGUMENTS body'],
    ['a number', '1', 'INVALID_ARGUMENTS body'],
    ['a string', '"face"', 'INVALID_ARGUMENTS body'],
    ['null', 'null', 'INVALID_ARGUMENTS body'],
    ['not JSON', 'face_image_path=a.jpg', 'INVALID_ARGUMENTS body'],
    ['a byte-order mark before the JSON', '\ufeff{"face_image_path":"a.jpg"}', 'INVALID_ARGUMENTS body'],
    ['a list of 1,000,000 numbers', `[${'1,'.repeat(999_999)}1]`, 'INVALID_ARGUMENTS body'],
    ['an unknown field 100,000 lists deep', `{"x":${deep(100_000)}}`, 'MISSING_ARGUMENTS face_image_base64'],
    [
      'an unknown field holding 1,000,000 numbers',
      `{"x":[${'1,'.repeat(999_999)}1]}`,
      'MISSING_ARGUMENTS face_image_base64',
    ],
    [
      'duplicate keys',
      '{"face_image_path":"hostile/face.jpg","face_image_path":7}',
      'INVALID_ARGUMENTS face_image_path',
    ],
    [
      'an image hidden in __proto__',
      '{"__proto__":{"face_image_path":"hostile/face.jpg"}}',
      'MISSING_ARGUMENTS face_image_base64',
    ],
  ])('a body with %s', async (_, raw, expected) => {
    expect(answer(await call('search', SEARCH, undefined, { raw }))).toBe(expected);
    expect(({} as Record<string, unknown>).face_image_path).toBeUndefined(); // no prototype pollution
  });
});

/** A short title for a test value, however large or deep. */
function show(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    return 'a value nested too deep to print';
  }
  return text.length > 40 ? `${text.slice(0, 16)}… (${text.length} characters)` : text;
}

describe('ingest fields and batches', () => {
  const missing = { face_image_path: 'hostile/none.jpg' };
  it.each(
    [
      ['event_id', '../x'],
      ['event_id', 'a/b'],
      ['event_id', 'x'.repeat(129)],
      ['event_id', 'é'],
      ['event_id', ' '],
      ['event_id', '-lead'],
      ['event_id', 'a%2Fb'],
      ['event_id', 'a\u0000'],
      ['event_id', 123],
      ['user_type', 'admin'],
      ['user_type', 'EMPLOYEE'],
      ['user_type', 1],
      ['identity_name', 'x'.repeat(1 << 20)],
      ['identity_id', {}],
      ['media_device_info', []],
      ['media_device_info', 'cam-1'],
      ['face_box', [1, 2, 3]],
      ['face_box', [0, 0, -1, 5]],
      ['face_box', ['a', 0, 1, 1]],
      ['face_box', [5, 5, 1, 1]],
      ['face_box', {}],
      ['face_box', Array.from({ length: 100_000 }, () => 1)],
      ['recognize_face_attr', []],
      ['recognize_face_attr', 'x'],
      ['recognize_face_attr', { hat: 'x'.repeat(5000) }],
      ['recognize_face_attr', { point: Array.from({ length: 100_000 }, () => 1.5) }],
      ['timestamp', 'NaN'],
      ['timestamp', -1],
      ['timestamp', 1e300],
      ['timestamp', {}],
      ['out_timestamp', 'Infinity'],
      ['out_timestamp', true],
    ].map(([field, value]): [string, string, unknown] => [field as string, show(value), value]),
  )('%s = %s → INVALID_ARGUMENTS', async (field, _, value) => {
    // The key, or for an attribute the attribute's own key under it (recognize_face_attr.hat).
    expect(answer(await ingest({ ...missing, [field]: value }))).toMatch(
      new RegExp(`^INVALID_ARGUMENTS ${field}(\\.\\w+)?$`),
    );
  });

  it('media_device_info with a 129-character media_device_id → INVALID_ARGUMENTS', async () => {
    expect(
      answer(await ingest({ ...missing, media_device_info: { media_device_id: 'x'.repeat(129) } })),
    ).toBe('INVALID_ARGUMENTS media_device_info.media_device_id');
  });

  // Sent as text: JSON.stringify itself cannot go this deep.
  const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  it.each([
    ['recognize_face_attr', deepObject, 'recognize_face_attr.a'],
    [
      'media_device_info.media_device_id',
      `{"media_device_id":${deepObject}}`,
      'media_device_info.media_device_id',
    ],
    ['face_box', `[${deepObject},0,1,1]`, 'face_box'],
    ['identity_name', deepObject, 'identity_name'],
  ])('%s 100,000 objects deep → INVALID_ARGUMENTS', async (field, deep, key) => {
    const raw = `{"face_image_path":"hostile/none.jpg","${field.split('.')[0]}":${deep}}`;
    expect(answer(await call('ingest', INGEST, undefined, { raw }))).toBe(`INVALID_ARGUMENTS ${key}`);
  });

  it.each([
    ['26 events', () => ({ events: Array.from({ length: 26 }, () => missing) }), 'INVALID_ARGUMENTS events'],
    ['100,000 events, bare', () => Array.from({ length: 100_000 }, () => ({})), 'INVALID_ARGUMENTS events'],
    ['no events', () => ({ events: [] }), 'INVALID_ARGUMENTS events'],
    ['events as a string', () => ({ events: 'x', ...missing }), 'INVALID_ARGUMENTS events'],
    ['events as an object', () => ({ events: {} }), 'INVALID_ARGUMENTS events'],
    ['a number in the list', () => [1], 'INVALID_ARGUMENTS events[0]'],
    ['null in the list', () => [missing, null], 'INVALID_ARGUMENTS events[1]'],
    [
      'a bad id in the list',
      () => ({ events: [missing, { ...missing, event_id: '../x' }] }),
      'INVALID_ARGUMENTS events[1].event_id',
    ],
  ])('a batch with %s', async (_, body, expected) => {
    expect(answer(await ingest(body(), true))).toBe(expected);
  });

  it('a batch stores the good photo and rejects the hostile ones one by one', async () => {
    const r = await ingest(
      {
        events: [
          { event_id: 'hostile-batch-good', face_image_base64: b64(face), timestamp: now - 2 * HOUR },
          { event_id: 'hostile-batch-svg', face_image_base64: b64(formats['SVG with an external href']) },
          { event_id: 'hostile-batch-cut', face_image_base64: b64(truncated(face, 0.5)) },
          { event_id: 'hostile-batch-bomb', face_image_base64: b64(bomb) },
          { event_id: 'hostile-batch-path', face_image_path: '../../etc/passwd' },
        ],
      },
      true,
    );
    const results = r.body.events as { event_id: string; status?: string; error?: { code: string } }[];
    expect(results.map((e) => [e.event_id, e.status ?? e.error?.code])).toEqual([
      ['hostile-batch-good', 'created'],
      ['hostile-batch-svg', 'IMAGE_NOT_OPENED'],
      ['hostile-batch-cut', 'IMAGE_NOT_OPENED'],
      ['hostile-batch-bomb', 'IMAGE_NOT_OPENED'],
      ['hostile-batch-path', 'IMAGE_NOT_OPENED'],
    ]);
  });

  it.each([
    ['an SVG', async () => formats['SVG with an external entity (XXE)'], 'IMAGE_NOT_OPENED'],
    ['a PNG bomb', async () => bomb, 'IMAGE_NOT_OPENED'],
    ['a truncated JPEG', async () => truncated(face, 0.5), 'IMAGE_NOT_OPENED'],
    ['a photo without a face', async () => noFace, 'NO_FACE_ERROR'],
  ])('a single event with %s', async (_, make, expected) => {
    expect(outcome(await ingest({ face_image_base64: b64(await make()) }))).toBe(expected);
  });
});

describe('image and event ids (GET and DELETE)', () => {
  const ids = [
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..',
    '%00',
    '%E0%A4%A',
    '%',
    '%ZZ',
    'a'.repeat(10_000),
    encodeURIComponent('é😀'),
    'hostile-ref.face%00.jpg',
    'hostile-ref.face%2F..%2F..',
    '*',
    '%20',
    '.face',
    'HOSTILE-REF.FACE',
    'hostile-ref.face.',
    encodeURIComponent('hostile-ref.face\n'),
  ];
  const label = (id: string) => (id.length > 40 ? `${id.slice(0, 12)}… (${id.length} characters)` : id);
  it.each(ids.map((id) => [label(id), id]))('GET image %s → 404 NOT_FOUND', async (_, id) => {
    const r = await call('image', `/sophon/v2/face/images/${id}`, undefined, { method: 'GET' });
    expect([r.status, outcome(r)]).toEqual([404, 'NOT_FOUND']);
  });
  it.each([...ids, 'hostile-ref.face'].map((id) => [label(id), id]))(
    'DELETE event %s → 404 NOT_FOUND',
    async (_, id) => {
      const r = await call('delete', `/sophon/v2/face/events/${id}`, undefined, { method: 'DELETE' });
      expect([r.status, outcome(r)]).toEqual([404, 'NOT_FOUND']);
    },
  );

  it('does not let a raw ../ in the URL reach a file', async () => {
    const r = await call('image', '/sophon/v2/face/images/../../../../etc/passwd', undefined, {
      method: 'GET',
    });
    expect([r.status, outcome(r)]).toEqual([404, 'NOT_FOUND']);
  });

  it('still serves and erases real ids after all that', async () => {
    const img = await call('image', '/sophon/v2/face/images/hostile-ref.face', undefined, { method: 'GET' });
    expect([img.status, img.contentType]).toEqual([200, 'image/jpeg']);
    const del = await call('delete', '/sophon/v2/face/events/hostile-batch-good', undefined, {
      method: 'DELETE',
    });
    expect(del.body).toEqual({ event_id: 'hostile-batch-good', deleted: true });
    const again = await call('delete', '/sophon/v2/face/events/hostile-batch-good', undefined, {
      method: 'DELETE',
    });
    expect(outcome(again)).toBe('NOT_FOUND');
  });
});

describe('S3-triggered ingest of hostile uploads', () => {
  const notification = (bucket: string, key: string): S3Event =>
    ({ Records: [{ s3: { bucket: { name: bucket }, object: { key } } }] }) as unknown as S3Event;
  const handler = () =>
    createS3IngestHandler(() => ({ services: server.services, engine: getFaceEngine, s3 }));
  const upload = async (key: string, body: Buffer, metadata: Record<string, string> = {}) => {
    log.sent(body);
    await s3.send(
      new PutObjectCommand({ Bucket: server.config.IMAGE_BUCKET, Key: key, Body: body, Metadata: metadata }),
    );
    tally.cases++;
    const result = await handler()(notification(server.config.IMAGE_BUCKET, encodeURIComponent(key)));
    rss.sample();
    const left = await s3
      .send(new GetObjectCommand({ Bucket: server.config.IMAGE_BUCKET, Key: key }))
      .then(() => true)
      .catch(() => false);
    return { ...result, left };
  };

  it.each([
    ['an SVG', async () => formats['SVG with an external href'], {}],
    ['zero bytes', async () => Buffer.alloc(0), {}],
    ['a truncated JPEG', async () => truncated(face, 0.5), {}],
    ['a PNG bomb', async () => bomb, {}],
    ['a GIF', async () => formats['GIF of the face'], {}],
    ['a photo over MAX_IMAGE_BYTES', async () => jpegMagic(MAX_IMAGE_BYTES + 1), {}],
    ['timestamp=NaN', async () => face, { timestamp: 'NaN' }],
    ['timestamp=1e300', async () => face, { timestamp: '1e300' }],
    ['event-id=../x', async () => face, { 'event-id': '../x' }],
    ['face-box=a,b,c,d', async () => face, { 'face-box': 'a,b,c,d' }],
    ['face-box with 3 numbers', async () => face, { 'face-box': '1,2,3' }],
    ['user-type=root', async () => face, { 'user-type': 'root' }],
  ])('rejects %s and leaves it in place', async (name, make, metadata) => {
    const key = `incoming/hostile/${name.replace(/\W+/g, '-')}.jpg`;
    expect(await upload(key, await make(), metadata)).toEqual({ ingested: 0, rejected: 1, left: true });
  });

  it('skips a notification with a malformed key, another bucket and another prefix', async () => {
    tally.cases += 3;
    const h = handler();
    expect(await h(notification(server.config.IMAGE_BUCKET, 'incoming/%E0%A4%A'))).toEqual({
      ingested: 0,
      rejected: 1,
    });
    expect(await h(notification('other-bucket', 'face.jpg'))).toEqual({ ingested: 0, rejected: 0 });
    expect(await h(notification(server.config.IMAGE_BUCKET, 'hostile/face.jpg'))).toEqual({
      ingested: 0,
      rejected: 0,
    });
  });

  it('ingests an EXIF-rotated upload (the face is found upright) and removes it', async () => {
    const rotated = await exifRotated(face, 6);
    expect(
      await upload('incoming/hostile/rotated.jpg', rotated, { 'event-id': 'hostile-s3-rotated' }),
    ).toEqual({
      ingested: 1,
      rejected: 0,
      left: false,
    });
  });
});

describe('logs: no image data, whatever happens', () => {
  it('logs successes, refusals and internal failures without base64, JPEG bytes or embeddings', async () => {
    const from = log.lines.length;
    const photoB64 = b64(face);
    // Successes and ordinary failures.
    expect(outcome(await search({ face_image_base64: photoB64 }))).toBe('ok');
    expect(outcome(await search({ face_image_base64: `data:image/jpeg;base64,${photoB64}` }))).toBe('ok');
    expect(outcome(await search({ face_image_base64: b64(noFace) }))).toBe('NO_FACE_ERROR');
    expect(outcome(await search({ face_image_base64: b64(truncated(face, 0.5)) }))).toBe('IMAGE_NOT_OPENED');
    expect(outcome(await search({ face_image_base64: `${photoB64}!` }))).toBe('INVALID_ARGUMENTS');
    expect(
      outcome(await call('search', SEARCH, undefined, { raw: `{"face_image_base64":"${photoB64}"` })),
    ).toBe('INVALID_ARGUMENTS');
    expect(outcome(await ingest({ event_id: 'hostile-log-1', face_image_base64: photoB64 }))).toBe('ok');
    const batch = await ingest(
      { events: [{ face_image_base64: photoB64 }, { face_image_base64: b64(noFace) }] },
      true,
    );
    expect((batch.body.events as { error?: { code: string } }[])[1].error?.code).toBe('NO_FACE_ERROR');

    // A library that echoes its input in an error: the photo's base64 and an embedding in the message.
    const engine = getFaceEngine();
    const echoed = `cannot decode ${photoB64} near ${Array.from({ length: 512 }, (_, i) => (i / 1000).toFixed(4))}`;
    const fault = jest.spyOn(engine, 'analyzeQuery').mockRejectedValueOnce(new TypeError(echoed));
    const internal = await send(server.url + SEARCH, {
      body: JSON.stringify({ face_image_base64: photoB64 }),
      headers: { 'content-type': 'application/json' },
    });
    fault.mockRestore();
    expect([internal.status, JSON.parse(internal.text)]).toEqual([
      500,
      { error: { code: 'INTERNAL_ERROR', message: DEFAULT_MESSAGES.INTERNAL_ERROR } },
    ]);
    // Storage that fails with its request in the message: SERVICE_UNAVAILABLE, logged as a warning. The
    // adapter raises StorageUnavailableError (store/errors.ts), its SDK cause attached.
    const cause = Object.assign(new Error(`connect ECONNREFUSED while sending ${photoB64}`), {
      code: 'ECONNREFUSED',
    });
    const unavailable = new StorageUnavailableError(`storage unavailable: ${cause.message}`, { cause });
    const down = jest.spyOn(server.services.events, 'find').mockRejectedValueOnce(unavailable);
    const storage = await send(server.url + INGEST, {
      body: JSON.stringify({ event_id: 'hostile-log-2', face_image_base64: photoB64 }),
      headers: { 'content-type': 'application/json' },
    });
    down.mockRestore();
    expect([storage.status, JSON.parse(storage.text).error.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);

    const lines = log.lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The capture works: every request above and both failures were logged.
    expect(lines.filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(10);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'unexpected failure',
        err: expect.objectContaining({ name: 'TypeError' }),
      }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'storage unavailable' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'batch event rejected', code: 'NO_FACE_ERROR' }),
    );
    expect(log.leaks(from)).toEqual([]);
  });

  it('logs S3 uploads, ingested and rejected, without their bytes', async () => {
    const from = log.lines.length;
    const key = 'incoming/hostile/log.jpg';
    log.sent(face);
    await s3.send(new PutObjectCommand({ Bucket: server.config.IMAGE_BUCKET, Key: key, Body: face }));
    await s3.send(
      new PutObjectCommand({ Bucket: server.config.IMAGE_BUCKET, Key: `${key}.bad`, Body: noFace }),
    );
    const h = createS3IngestHandler(() => ({ services: server.services, engine: getFaceEngine, s3 }));
    const event = {
      Records: [key, `${key}.bad`].map((k) => ({
        s3: { bucket: { name: server.config.IMAGE_BUCKET }, object: { key: encodeURIComponent(k) } },
      })),
    } as unknown as S3Event;
    expect(await h(event)).toEqual({ ingested: 1, rejected: 1 });
    const msgs = log.lines.slice(from).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['upload ingested', 'upload rejected, left in place']));
    expect(log.leaks(from)).toEqual([]);
  });
});

describe('after everything', () => {
  it('still finds the person, kept its memory bounded and never logged image data', async () => {
    const r = await search({ face_image_base64: b64(face) });
    expect(outcome(r)).toBe('ok');
    expect(refScore(r)).toBeGreaterThanOrEqual(82);

    const peakMb = Math.round(rss.peak / 2 ** 20);
    const baselineMb = Math.round(rss.baseline / 2 ** 20);
    const nowMb = Math.round(rss.sample() / 2 ** 20);
    expect(peakMb - baselineMb).toBeLessThan(RSS_GROWTH_BOUND_MB);

    expect(log.lines.length).toBeGreaterThan(tally.cases / 2);
    expect(log.leaks()).toEqual([]);
    // The figures docs/security.md quotes.
    console.log(
      `hostile input: ${tally.cases} corpus requests, ${tally.runs.total} fast-check runs; ` +
        `RSS ${baselineMb} MB at start, peak ${peakMb} MB (growth bound ${RSS_GROWTH_BOUND_MB} MB), now ${nowMb} MB; ` +
        `${log.lines.length} log lines checked`,
    );
  });
});
