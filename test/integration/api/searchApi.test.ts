/**
 * The whole API over HTTP against a real local server (dynalite, s3rver, the real face engine), with
 * per-person photos cut from the group photos in build/fixtures/photos.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { join } from 'node:path';
import { cosineForScore } from '../../../functions/core/score';
import { createAwsClients } from '../../../functions/store/clients';
import { LEASE_PK } from '../../../functions/store/keys';
import type { Box } from '../../../functions/core/face';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from './helpers';
import { DEFAULT_MESSAGES } from '../../../functions/core/errors';
import { ATTRIBUTE_CAPS, FIELD_CAPS } from '../../../functions/core/eventFields';
import { PATH_NOT_OPENED } from '../../../functions/core/imagePath';

type Server = Awaited<ReturnType<typeof startTestServer>>;
type Event = Record<string, unknown> & { event_id: string; compare_score: number; timestamp: number };

let server: Server;
let search: (body: unknown, contentType?: string) => ReturnType<typeof post>;
let ingest: (body: unknown) => ReturnType<typeof post>;
let alice: Buffer; // the largest face of sample1, cropped: the query
let bob: Buffer; // another person of sample1
let aliceBox: Box;
const HOUR = 3_600_000;
const now = Date.now();

beforeAll(async () => {
  server = await startTestServer({ MAX_CONCURRENT_SEARCHES: '2', IMAGE_ROOT: '' });
  search = (body, ct) => post(`${server.url}/sophon/v2/face/searchbyimage`, body, ct);
  ingest = (body) => post(`${server.url}/sophon/v2/face/events`, body);
  const group = photo(1);
  const boxes = await facesOf(group);
  aliceBox = boxes[0];
  alice = await faceCrop(group, boxes[0]);
  bob = await faceCrop(group, boxes[1]);
  // History: alice seen in the group photo (box given) on cam-1 and cam-2, bob alone on cam-1.
  const events = [
    {
      event_id: 'alice-1',
      face_image_base64: b64(group),
      face_box: aliceBox,
      timestamp: now - 3 * HOUR,
      cam: 'cam-1',
    },
    { event_id: 'alice-2', face_image_base64: b64(alice), timestamp: (now - 2 * HOUR) / 1000, cam: 'cam-2' },
    { event_id: 'bob-1', face_image_base64: b64(bob), timestamp: now - 1 * HOUR, cam: 'cam-1' },
    { event_id: 'alice-old', face_image_base64: b64(alice), timestamp: now - 30 * HOUR, cam: 'cam-1' },
  ];
  for (const { cam, ...e } of events) {
    const r = await ingest({
      ...e,
      identity_name: e.event_id.split('-')[0],
      media_device_info: { media_device_id: cam },
    });
    expect(r.status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const ids = (r: { body: Record<string, unknown> }) => (r.body.events as Event[]).map((e) => e.event_id);

describe('POST /sophon/v2/face/searchbyimage', () => {
  it('answers the original example request (base64 only) with the defaults: last 24 h, newest first', async () => {
    const r = await search({ face_image_base64: b64(alice) });
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(['alice-2', 'alice-1']); // alice-old is outside the default 24 h; bob never matches
    const [first] = r.body.events as Event[];
    expect(first.compare_score).toBeGreaterThanOrEqual(82);
    expect(first).toMatchObject({
      identity_name: 'alice',
      identity_id: '',
      register_image_id: '',
      user_type: 'employee',
      recognize_face_image_id: 'alice-2.face',
      spot_image_id: 'alice-2.scene',
      media_device_info: {
        media_device_id: 'cam-2',
        media_device_name: '',
        media_device_ip: '',
        media_device_type: '',
      },
    });
    expect(first.timestamp).toBeCloseTo((now - 2 * HOUR) / 1000, 3);
    expect(Object.keys(first.recognize_face_attr as object).sort()).toEqual(
      ['age', 'box', 'expression', 'gender', 'glasses', 'hat', 'mask', 'point'].sort(),
    );
    expect(r.body).toMatchObject({ have_more: false, records_examined: 3 });
    expect(typeof r.body.total_time).toBe('number');
    // Nothing remains: endtimestamp is the window's far edge (starttime, by default 24 h before now).
    const edge = r.body.endtimestamp as number;
    expect(edge).toBeGreaterThanOrEqual(now - 24 * HOUR);
    expect(edge).toBeLessThan(Date.now() - 24 * HOUR + 1);
  });

  it('finds the other person only with their own face', async () => {
    const r = await search({ face_image_base64: b64(bob), starttime: now - 40 * HOUR });
    expect(ids(r)).toEqual(['bob-1']);
  });

  it('scans forwards from starttime when reverse is false', async () => {
    const r = await search({ face_image_base64: b64(alice), reverse: false, starttime: now - 48 * HOUR });
    expect(ids(r)).toEqual(['alice-old', 'alice-1', 'alice-2']);
    // Nothing remains: the far edge, endtime (by default the server's now).
    expect(r.body.endtimestamp).toBeGreaterThanOrEqual(now);
    expect(r.body.endtimestamp).toBeLessThanOrEqual(Date.now());
  });

  it('includes both window edges', async () => {
    const t = now - 2 * HOUR;
    expect(ids(await search({ face_image_base64: b64(alice), starttime: t, endtime: t }))).toEqual([
      'alice-2',
    ]);
  });

  it('reports the far edge as endtimestamp when the window holds nothing', async () => {
    const r = await search({
      face_image_base64: b64(alice),
      starttime: now - 100 * HOUR,
      endtime: now - 90 * HOUR,
    });
    expect(r.body).toMatchObject({
      events: [],
      have_more: false,
      endtimestamp: now - 100 * HOUR,
      records_examined: 0,
    });
  });

  it('filters by media_device_ids', async () => {
    const r = await search({
      face_image_base64: b64(alice),
      media_device_ids: ['cam-1'],
      starttime: now - 48 * HOUR,
    });
    expect(ids(r)).toEqual(['alice-1', 'alice-old']);
    expect(r.body.records_examined).toBe(3);
  });

  it('applies the threshold to compare_score', async () => {
    const all = await search({ face_image_base64: b64(alice), threshold: 0 });
    expect(ids(all)).toEqual(['bob-1', 'alice-2', 'alice-1']);
    const scores = (all.body.events as Event[]).map((e) => e.compare_score);
    const mid = (scores[0] + Math.min(scores[1], scores[2])) / 2;
    expect(cosineForScore(mid)).toBeGreaterThan(-1);
    expect(ids(await search({ face_image_base64: b64(alice), threshold: mid }))).toEqual([
      'alice-2',
      'alice-1',
    ]);
  });

  it('scores the photo an event was ingested from exactly 100, so threshold 100 finds it', async () => {
    const r = await search({ face_image_base64: b64(alice), threshold: 100 });
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(['alice-2']); // ingested from these very bytes; alice-1 is another photo of her
    expect((r.body.events as Event[])[0].compare_score).toBe(100);
  });

  it('resumes from last_end_timestamp, inclusive, without repeating', async () => {
    const first = await search({
      face_image_base64: b64(alice),
      endtime: now - 2 * HOUR,
      starttime: now - 48 * HOUR,
    });
    expect(ids(first)[0]).toBe('alice-2');
    const next = await search({
      face_image_base64: b64(alice),
      starttime: now - 48 * HOUR,
      last_end_timestamp: now - 2 * HOUR - 1,
    });
    expect(ids(next)).toEqual(['alice-1', 'alice-old']);
    const again = await search({
      face_image_base64: b64(alice),
      starttime: now - 48 * HOUR,
      last_end_timestamp: now - 2 * HOUR,
    });
    expect(ids(again)).toEqual(['alice-2', 'alice-1', 'alice-old']);
  });

  it.each([
    ['text/plain', 415, 'UNSUPPORT_CONTENT_TYPE', 'Content-Type: must be application/json'],
    [
      'application/json; charset=utf-8',
      400,
      'MISSING_ARGUMENTS',
      'face_image_base64: required (or face_image_path, face_images_base64 or event_id instead)',
    ],
  ])('content type %s → %i %s', async (ct, status, code, message) => {
    const r = await search('{}', ct);
    expect(r).toEqual({ status, body: { error: { code, message } } });
  });

  it.each([
    ['{not json', 'body: must be valid JSON'],
    [
      JSON.stringify({ face_image_base64: 'a', face_image_path: 'b' }),
      'face_image_path: must not be given with face_image_base64 (send one)',
    ],
    [
      JSON.stringify({ face_image_base64: '@@@' }),
      'face_image_base64: must be a non-empty base64 image (a data: URL prefix is allowed)',
    ],
    [
      JSON.stringify({ face_image_base64: 'aGk=', threshold: 'high' }),
      'threshold: must be a number from 0 to 100',
    ],
    [
      JSON.stringify({ face_image_base64: 'aGk=', starttime: 2e12, endtime: 1e12 }),
      'starttime: must not be after endtime',
    ],
  ])('INVALID_ARGUMENTS (400) for %s', async (body, message) => {
    expect(await search(body)).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENTS', message } },
    });
  });

  it('IMAGE_NOT_OPENED for bytes that are no image', async () => {
    const r = await search({ face_image_base64: b64(Buffer.from('definitely not a jpeg')) });
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'IMAGE_NOT_OPENED' } } });
  });

  it('NO_FACE_ERROR for a photo without a face', async () => {
    const sky = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 220 } },
    })
      .jpeg()
      .toBuffer();
    expect((await search({ face_image_base64: b64(sky) })).body.error?.code).toBe('NO_FACE_ERROR');
  });

  it('LOW_QUALITY_ERROR naming the check for a face too small for the level', async () => {
    const tiny = await sharp(alice).resize({ width: 120 }).jpeg().toBuffer();
    const r = await search({ face_image_base64: b64(tiny), fiqa_level: 'high' });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('LOW_QUALITY_ERROR');
    expect(r.body.error?.message).not.toBe('');
  });

  describe('face_image_path', () => {
    it('reads a key of the image bucket', async () => {
      // alice-2's stored scene image is a key like any other in the bucket.
      const r = await search({ face_image_path: '/images/alice-2.scene' });
      expect(ids(r)).toEqual(['alice-2', 'alice-1']);
    });

    it.each([
      '../../etc/passwd',
      '/images/../images/alice-2.scene',
      's3://some-other-bucket/a.jpg',
      'file:///etc/passwd',
      '/no/such/key.jpg',
    ])('IMAGE_NOT_OPENED for %s', async (p) => {
      const r = await search({ face_image_path: p });
      expect(r).toEqual({
        status: 400,
        body: { error: { code: 'IMAGE_NOT_OPENED', message: PATH_NOT_OPENED } },
      });
    });
  });

  describe('the search lease', () => {
    const hold = async (slot: number, untilMs: number) => {
      const { dynamo } = createAwsClients(server.config, { localCredentials: true });
      await dynamo.send(
        new PutItemCommand({
          TableName: server.config.EVENTS_TABLE,
          Item: {
            pk: { S: LEASE_PK },
            sk: { S: `slot#${slot}` },
            owner: { S: 'another-instance' },
            leaseUntil: { N: String(untilMs) },
          },
        }),
      );
    };

    it('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR (429) while every slot is held by other instances', async () => {
      await hold(0, Date.now() + 60_000);
      await hold(1, Date.now() + 60_000);
      const r = await search({ face_image_base64: b64(alice) });
      expect(r).toEqual({
        status: 429,
        body: {
          error: {
            code: 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR',
            message: DEFAULT_MESSAGES.ANOTHER_PICTURE_SEARCH_RUNNING_ERROR,
          },
        },
      });
    });

    // The face engine starts beside the slot's acquisition: its outcome must not leak past a refusal.
    it('answers 429 while every slot is held, however the photo would have fared', async () => {
      await hold(0, Date.now() + 60_000);
      await hold(1, Date.now() + 60_000);
      const noFace = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
        .jpeg()
        .toBuffer();
      for (const body of [{ face_image_base64: b64(noFace) }, { face_image_path: '/no/such/key.jpg' }]) {
        expect((await search(body)).status).toBe(429);
      }
      await hold(0, Date.now() - 1);
      await hold(1, Date.now() - 1);
      const r = await search({ face_image_base64: b64(noFace) });
      expect(r.body).toMatchObject({ error: { code: 'NO_FACE_ERROR' } });
    });

    it('a crashed search (expired lease) does not block others', async () => {
      await hold(0, Date.now() - 1);
      await hold(1, Date.now() + 60_000);
      expect((await search({ face_image_base64: b64(alice) })).status).toBe(200);
      await hold(1, Date.now() - 1);
    });
  });
});

describe('local image root (IMAGE_ROOT)', () => {
  let local: Server;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sfs-root-'));
    mkdirSync(join(root, 'people'));
    writeFileSync(join(root, 'people/alice.jpg'), alice);
    writeFileSync(`${root}-outside.jpg`, alice);
    symlinkSync(`${root}-outside.jpg`, join(root, 'people/link.jpg'));
    local = await startTestServer({ IMAGE_ROOT: root });
  }, 60_000);
  afterAll(async () => {
    await local?.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(`${root}-outside.jpg`, { force: true });
  });
  const s = (body: unknown) => post(`${local.url}/sophon/v2/face/searchbyimage`, body);

  it('reads files under the root, by relative or absolute path', async () => {
    expect((await s({ face_image_path: 'people/alice.jpg' })).status).toBe(200);
    expect((await s({ face_image_path: join(root, 'people/alice.jpg') })).status).toBe(200);
  });

  it('refuses files outside the root, however named', async () => {
    for (const p of [
      `${root}-outside.jpg`,
      'people/link.jpg',
      '../outside.jpg',
      'people/../../x',
      '/etc/hostname',
    ]) {
      expect((await s({ face_image_path: p })).body.error?.code).toBe('IMAGE_NOT_OPENED');
    }
  });
});

describe('grab mode', () => {
  it('NOT_SUPPORT_IN_GRAB_MODE (409) for searches, while ingest still works', async () => {
    const grab = await startTestServer({ GRAB_MODE: 'true' });
    try {
      const r = await post(`${grab.url}/sophon/v2/face/searchbyimage`, { face_image_base64: b64(alice) });
      expect(r).toEqual({
        status: 409,
        body: {
          error: { code: 'NOT_SUPPORT_IN_GRAB_MODE', message: DEFAULT_MESSAGES.NOT_SUPPORT_IN_GRAB_MODE },
        },
      });
      expect(
        (await post(`${grab.url}/sophon/v2/face/events`, { face_image_base64: b64(alice) })).status,
      ).toBe(201);
    } finally {
      await grab.close();
    }
  });
});

describe('POST /sophon/v2/face/events, images and erasure', () => {
  it('is idempotent on event_id', async () => {
    const body = { event_id: 'same-1', face_image_base64: b64(bob), timestamp: now - 5 * HOUR };
    expect((await ingest(body)).body).toMatchObject({ event_id: 'same-1', status: 'created' });
    expect(await ingest({ ...body, timestamp: now - 4 * HOUR })).toMatchObject({
      status: 200,
      body: { event_id: 'same-1', status: 'duplicate' },
    });
    const r = await search({ face_image_base64: b64(bob), starttime: now - 48 * HOUR });
    expect(ids(r).filter((id) => id === 'same-1')).toHaveLength(1);
  });

  it('takes a batch and reports each event', async () => {
    const r = await ingest({
      events: [
        { event_id: 'batch-1', face_image_base64: b64(alice), timestamp: now - 50 * HOUR },
        { event_id: 'batch-2', face_image_base64: b64(Buffer.from('not an image')) },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.events).toEqual([
      expect.objectContaining({ event_id: 'batch-1', status: 'created' }),
      { event_id: 'batch-2', error: expect.objectContaining({ code: 'IMAGE_NOT_OPENED' }) },
    ]);
  });

  it('keeps an event with every free-text field at its cap at a few KB in a search response', async () => {
    const wide = (n: number) => '€'.repeat(n); // 3 bytes in UTF-8: the most a capped character costs
    const attrs: Record<string, string> = {};
    for (let i = 0; i < ATTRIBUTE_CAPS.keys - 1; i++)
      attrs[`k${String(i).padStart(2, '0')}`] = 'x'.repeat(58);
    attrs.z = 'y'.repeat(ATTRIBUTE_CAPS.jsonBytes - Buffer.byteLength(JSON.stringify({ ...attrs, z: '' })));
    expect(Buffer.byteLength(JSON.stringify(attrs))).toBe(ATTRIBUTE_CAPS.jsonBytes);
    const id = `m${'x'.repeat(127)}`;
    const created = await ingest({
      event_id: id,
      face_image_base64: b64(alice),
      timestamp: now - 70 * HOUR,
      identity_name: wide(FIELD_CAPS.identity_name),
      identity_id: wide(FIELD_CAPS.identity_id),
      register_image_id: wide(FIELD_CAPS.register_image_id),
      user_type: 'blacklist',
      media_device_info: {
        media_device_id: wide(FIELD_CAPS.media_device_id),
        media_device_name: wide(FIELD_CAPS.media_device_name),
        media_device_ip: wide(FIELD_CAPS.media_device_ip),
        media_device_type: wide(FIELD_CAPS.media_device_type),
      },
      recognize_face_attr: attrs,
    });
    expect(created.status).toBe(201);
    const r = await search({
      face_image_base64: b64(alice),
      threshold: 0,
      starttime: now - 71 * HOUR,
      endtime: now - 69 * HOUR,
    });
    const [event] = r.body.events as Event[];
    expect(event.event_id).toBe(id);
    const bytes = Buffer.byteLength(JSON.stringify(event));
    // docs/api.md gives this figure ("Field caps"); it stays "a few KB".
    process.stdout.write(`largest accepted event in a search response: ${bytes} bytes\n`);
    expect(bytes).toBeLessThanOrEqual(6 * 1024);
    await fetch(`${server.url}/sophon/v2/face/events/${id}`, { method: 'DELETE' });
  });

  it('answers errors with the search error body', async () => {
    expect(await ingest({ face_image_base64: b64(alice), user_type: 'king' })).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_ARGUMENTS',
          message: 'user_type: must be one of employee, visitor, blacklist, stranger, vip',
        },
      },
    });
    expect((await ingest({})).body.error?.code).toBe('MISSING_ARGUMENTS');
  });

  it('serves stored images and erases an event with its images', async () => {
    const img = await fetch(`${server.url}/sophon/v2/face/images/alice-1.face`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await img.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    const del = await fetch(`${server.url}/sophon/v2/face/events/batch-1`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await fetch(`${server.url}/sophon/v2/face/images/batch-1.face`)).status).toBe(404);
    expect((await fetch(`${server.url}/sophon/v2/face/events/batch-1`, { method: 'DELETE' })).status).toBe(
      404,
    );
    const r = await search({
      face_image_base64: b64(alice),
      starttime: now - 60 * HOUR,
      endtime: now - 40 * HOUR,
    });
    expect(ids(r)).toEqual([]);
  });

  it('serves the console at / and nothing outside its folder', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await fetch(`${server.url}/..%2f..%2fpackage.json`)).status).toBe(404);
  });
});

describe('searching from an event (event_id)', () => {
  it('searches with the stored face: no photo, no model, the same matches as the photo', async () => {
    const r = await search({ event_id: 'alice-2' });
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(['alice-2', 'alice-1']);
    expect((r.body.events as Event[])[0].compare_score).toBeGreaterThan(99); // the stored face itself
    expect(r.body.query_face).toBeUndefined();
    const photo = await search({ face_image_base64: b64(alice) });
    expect(ids(photo)).toEqual(ids(r));
  });

  it('finds only the person of the event', async () => {
    const found = ids(await search({ event_id: 'bob-1' }));
    expect(found).toContain('bob-1');
    expect(found.filter((id) => id.startsWith('alice'))).toEqual([]);
  });

  it.each([
    [{ event_id: 'no-such-event' }, 404, 'NOT_FOUND', 'event_id: no event has this id'],
    [{ event_id: '../x' }, 400, 'INVALID_ARGUMENTS', /^event_id: must be 1 to 128/],
    [{ event_id: 7 }, 400, 'INVALID_ARGUMENTS', /^event_id: /],
    [
      { event_id: 'alice-2', face_image_base64: 'aGk=' },
      400,
      'INVALID_ARGUMENTS',
      'event_id: must not be given with face_image_base64 (send one)',
    ],
    [
      { event_id: 'alice-2', face_images_base64: ['aGk=', 'aGk='] },
      400,
      'INVALID_ARGUMENTS',
      'event_id: must not be given with face_images_base64 (send one)',
    ],
  ])('%j → %i %s', async (body, status, code, message) => {
    const r = await search(body);
    expect(r.status).toBe(status);
    expect(r.body.error?.code).toBe(code);
    expect(r.body.error?.message).toEqual(
      typeof message === 'string' ? message : expect.stringMatching(message),
    );
  });
});

describe('searching with several photos (face_images_base64)', () => {
  it('searches one template of the photos: the person, not the others', async () => {
    // The group photo's largest face is alice: the template is alice's.
    const r = await search({ face_images_base64: [b64(alice), b64(photo(1))] });
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(['alice-2', 'alice-1']);
    const faces = r.body.query_faces as { box: number[] }[];
    expect(faces).toHaveLength(2);
    expect(r.body.query_face).toEqual(faces[0]);
  });

  it('names the photo that fails, by index', async () => {
    const sky = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 220 } },
    })
      .jpeg()
      .toBuffer();
    const noFace = await search({ face_images_base64: [b64(alice), b64(alice), b64(sky)] });
    expect(noFace.status).toBe(400);
    expect(noFace.body.error).toEqual({
      code: 'NO_FACE_ERROR',
      message: 'face_images_base64[2]: no face found in the image',
    });
    const unreadable = await search({ face_images_base64: [b64(alice), 'aGVsbG8='] });
    expect(unreadable.body.error?.code).toBe('IMAGE_NOT_OPENED');
    expect(unreadable.body.error?.message).toMatch(/^face_images_base64\[1\]: /);
  });

  it.each([
    [[], /^face_images_base64: must be a list of 2 to 5 base64 images/],
    [['aGk='], /^face_images_base64: must be a list of 2 to 5/],
    [Array(6).fill('aGk='), /^face_images_base64: must be a list of 2 to 5/],
    ['aGk=', /^face_images_base64: must be a list of 2 to 5/],
    [['aGk=', 7], /^face_images_base64: must be a list of 2 to 5/],
    [['aGk=', '@@@'], /^face_images_base64\[1\]: must be a non-empty base64 image/],
    [['aGk=', ''], /^face_images_base64\[1\]: must be a non-empty base64 image/],
  ])('INVALID_ARGUMENTS for %j', async (list, message) => {
    const r = await search({ face_images_base64: list });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('INVALID_ARGUMENTS');
    expect(r.body.error?.message).toMatch(message);
  });

  it('takes only one query field', async () => {
    const r = await search({ face_image_path: 'a.jpg', face_images_base64: ['aGk=', 'aGk='] });
    expect(r.body.error).toEqual({
      code: 'INVALID_ARGUMENTS',
      message: 'face_images_base64: must not be given with face_image_path (send one)',
    });
  });
});
