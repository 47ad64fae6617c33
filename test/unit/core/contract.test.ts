import { parseSearchRequest, SEARCH_DEFAULTS } from '../../../functions/core/contract';
import { ContractError } from '../../../functions/core/errors';

const NOW = 1_795_000_000_000;
const MAX = 1024;
const img = Buffer.from('hello image').toString('base64');
const parse = (body: unknown) => parseSearchRequest(body, NOW, MAX);
/** The error's code, and a message that names `key` first and then says what is allowed. */
const fails = (body: unknown, code: string, key: string) => {
  let err: unknown;
  try {
    parse(body);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ContractError);
  expect((err as ContractError).code).toBe(code);
  expect((err as ContractError).message.startsWith(`${key}: `)).toBe(true);
};

describe('parseSearchRequest', () => {
  it('fills every default of the contract', () => {
    const q = parse({ face_image_base64: img });
    expect(q).toEqual({
      query: { kind: 'bytes', bytes: Buffer.from('hello image') },
      fiqaLevel: 'low',
      startMs: NOW - 24 * 3_600_000,
      endMs: NOW,
      resumeMs: undefined,
      threshold: SEARCH_DEFAULTS.threshold,
      deviceIds: undefined,
      reverse: true,
    });
  });

  it('accepts a data: URL prefix, numeric strings and second timestamps', () => {
    const q = parse({
      face_image_base64: `data:image/jpeg;base64,${img}`,
      threshold: '75.5',
      starttime: 1_700_000_000,
      endtime: '1700000100000',
      last_end_timestamp: 1_700_000_050.5,
      reverse: false,
      media_device_ids: ['a', 'b', 'a'],
      fiqa_level: 'HIGH',
      unknown_field: 1,
    });
    expect(q).toMatchObject({
      threshold: 75.5,
      startMs: 1_700_000_000_000,
      endMs: 1_700_000_100_000,
      resumeMs: 1_700_000_050_500,
      reverse: false,
      deviceIds: ['a', 'b'],
      fiqaLevel: 'high',
    });
  });

  it('takes face_image_path as a path', () => {
    expect(parse({ face_image_path: '/data/test.jpg', face_image_base64: '' }).query).toEqual({
      kind: 'path',
      path: '/data/test.jpg',
    });
  });

  it('treats an empty device list as all devices', () => {
    expect(parse({ face_image_base64: img, media_device_ids: [] }).deviceIds).toBeUndefined();
  });

  it('needs an image', () => fails({}, 'MISSING_ARGUMENTS', 'face_image_base64'));
  it('refuses both images', () =>
    fails({ face_image_base64: img, face_image_path: 'a.jpg' }, 'INVALID_ARGUMENTS', 'face_image_path'));
  it('refuses malformed base64', () =>
    fails({ face_image_base64: 'a%%b' }, 'INVALID_ARGUMENTS', 'face_image_base64'));
  it.each(['ab=c', 'a===', 'YWJj-_==', 'YWJjé===', '===='])(
    'refuses %j: = only at the end, two at most',
    (b64) => fails({ face_image_base64: b64 }, 'INVALID_ARGUMENTS', 'face_image_base64'),
  );
  it.each([
    ['YQ==', 'a'],
    ['YWI=', 'ab'],
    ['YWJj', 'abc'],
    ['YW\nJj\r\nZA =\t=', 'abcd'],
  ])('decodes %j (whitespace anywhere dropped)', (b64, text) => {
    const q = parse({ face_image_base64: b64 }).query;
    expect(q).toEqual({ kind: 'bytes', bytes: Buffer.from(text) });
  });
  it('accepts and refuses exactly what the rule says, on 20,000 random and hostile strings', () => {
    // The rule, written plainly: the alphabet, then at most two `=`; any length but 4k + 1.
    const reference = (s: string) =>
      s.length > 0 && s.length % 4 !== 1 && /^[A-Za-z0-9+/]*={0,2}$/.test(s)
        ? Buffer.from(s, 'base64')
        : null;
    const pieces = ['A', 'z', '9', '+', '/', '=', '==', '-', '_', 'é', '%', '\0', 'QQ', 'QR', 'YWJj'];
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const n = Math.floor(random() * 12);
      for (let j = 0; j < n; j++) s += pieces[Math.floor(random() * pieces.length)];
      const want = reference(s);
      let got: Buffer | null = null;
      try {
        const q = parse({ face_image_base64: s }).query;
        got = q.kind === 'bytes' ? q.bytes : null;
      } catch (e) {
        expect((e as ContractError).message.startsWith('face_image_base64: ')).toBe(true);
      }
      if (want === null) expect([s, got]).toEqual([s, null]);
      else expect([s, got]).toEqual([s, want]);
      if (want) accepted++;
    }
    expect(accepted).toBeGreaterThan(1000); // the valid side was exercised too
  });
  it('refuses images over the size limit', () =>
    fails(
      { face_image_base64: Buffer.alloc(MAX + 1).toString('base64') },
      'INVALID_ARGUMENTS',
      'face_image_base64',
    ));
  it('refuses a body that is not an object', () => fails([1], 'INVALID_ARGUMENTS', 'body'));
  it.each([
    ['fiqa_level', 'best'],
    ['threshold', 101],
    ['threshold', 'x'],
    ['starttime', 'yesterday'],
    ['endtime', -5],
    ['last_end_timestamp', {}],
    ['media_device_ids', 'cam-1'],
    ['media_device_ids', [1]],
    ['media_device_ids', ['x'.repeat(129)]],
    ['media_device_ids', Array.from({ length: 101 }, (_, i) => `cam-${i}`)],
    ['reverse', 'maybe'],
    ['face_image_path', 7],
  ])('refuses a bad %s (%p)', (key, value) =>
    fails(
      {
        face_image_base64: img,
        [key]: value,
        ...(key === 'face_image_path' ? { face_image_base64: null } : {}),
      },
      'INVALID_ARGUMENTS',
      key,
    ),
  );
  it('accepts 100 device ids of 128 characters (the ingest cap of media_device_id)', () =>
    expect(
      parse({
        face_image_base64: img,
        media_device_ids: Array.from({ length: 100 }, (_, i) => String(i).padEnd(128, 'x')),
      }).deviceIds,
    ).toHaveLength(100));
  it('refuses starttime after endtime', () =>
    fails(
      { face_image_base64: img, starttime: 2_000_000_000, endtime: 1_900_000_000 },
      'INVALID_ARGUMENTS',
      'starttime',
    ));
});
