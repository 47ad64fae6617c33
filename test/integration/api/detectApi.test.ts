/**
 * POST /sophon/v2/face/detect over HTTP against a real local server (dynalite, s3rver, the face engine):
 * the console's face box and quality verdict on upload, before any search.
 */
import sharp from 'sharp';
import type { Box } from '../../../functions/core/face';
import { b64, faceCrop, facesOf, photo, post, type Reply, startTestServer } from './helpers';

type Server = Awaited<ReturnType<typeof startTestServer>>;
interface Detected {
  faces: { box: Box; score: number }[];
  query_face: { box: Box; det_score: number; quality: Record<string, number> };
  fiqa_level: string;
  fiqa_passed: boolean;
  reason?: string;
}

let server: Server;
let detect: (body: unknown, contentType?: string) => Promise<Reply>;
let search: (body: unknown) => Promise<Reply>;
let group: Buffer; // sample1: several people
let alice: Buffer; // the largest face of sample1, cropped
let tiny: Buffer; // alice at 120 px wide: too small for "high"
const detected = (r: Reply) => r.body as unknown as Detected;
const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);

beforeAll(async () => {
  server = await startTestServer({ MAX_CONCURRENT_SEARCHES: '1' });
  detect = (body, ct) => post(`${server.url}/sophon/v2/face/detect`, body, ct);
  search = (body) => post(`${server.url}/sophon/v2/face/searchbyimage`, body);
  group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  tiny = await sharp(alice).resize({ width: 120 }).jpeg().toBuffer();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('POST /sophon/v2/face/detect', () => {
  it('reports the face a search would use, measured exactly as search measures it', async () => {
    const r = await detect({ face_image_base64: b64(alice) });
    expect(r.status).toBe(200);
    const d = detected(r);
    expect(d).toMatchObject({ fiqa_level: 'low', fiqa_passed: true });
    expect(d.reason).toBeUndefined();
    expect(d.faces).toHaveLength(1);
    expect(d.faces[0].box).toEqual(d.query_face.box);
    expect(d.faces[0].score).toBeGreaterThan(0.5);
    const s = await search({ face_image_base64: b64(alice) });
    expect(s.status).toBe(200);
    expect(d.query_face).toEqual(s.body.query_face);
  });

  it('lists every face of a group photo, largest first, and picks the largest as the query face', async () => {
    const d = detected(await detect({ face_image_base64: b64(group) }));
    const { width, height } = await sharp(group).metadata();
    expect(d.faces.length).toBeGreaterThanOrEqual(3);
    const areas = d.faces.map((f) => area(f.box));
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
    expect(d.query_face.box).toEqual(d.faces[0].box);
    for (const { box } of d.faces) {
      expect(box[0]).toBeGreaterThanOrEqual(-1);
      expect(box[1]).toBeGreaterThanOrEqual(-1);
      expect(box[2]).toBeLessThanOrEqual(width! + 1);
      expect(box[3]).toBeLessThanOrEqual(height! + 1);
    }
  });

  it("answers a face below the level with fiqa_passed false and search's own reason, box included", async () => {
    const r = await detect({ face_image_base64: b64(tiny), fiqa_level: 'HIGH' });
    expect(r.status).toBe(200);
    const d = detected(r);
    expect(d).toMatchObject({ fiqa_level: 'high', fiqa_passed: false });
    expect(d.reason).toMatch(/^face size: \d+ px, needs more than 112 px$/);
    expect(d.query_face.quality.face_size).toBeLessThanOrEqual(112);
    expect(area(d.query_face.box)).toBeGreaterThan(0);
    const s = await search({ face_image_base64: b64(tiny), fiqa_level: 'high' });
    expect(s.body.error).toEqual({ code: 'LOW_QUALITY_ERROR', message: d.reason });
    expect(d.reason).toContain(`${Math.round(d.query_face.quality.face_size)} px`);
    // Without a gate the same face passes, and the angles are measured only where a gate needs them.
    const ungated = detected(await detect({ face_image_base64: b64(tiny), fiqa_level: 'no' }));
    expect(ungated).toMatchObject({ fiqa_level: 'no', fiqa_passed: true });
    expect(ungated.query_face.box).toEqual(d.query_face.box);
  });

  it("answers with search's error codes for what is no face, no image, or no valid request", async () => {
    const sky = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 220 } },
    })
      .jpeg()
      .toBuffer();
    const cases: [unknown, number, string, string?][] = [
      [{ face_image_base64: b64(sky) }, 400, 'NO_FACE_ERROR'],
      [{ face_image_base64: b64(Buffer.from('definitely not a jpeg')) }, 400, 'IMAGE_NOT_OPENED'],
      [{}, 400, 'MISSING_ARGUMENTS', 'face_image_base64'],
      [
        { face_image_base64: b64(alice), face_image_path: '/a.jpg' },
        400,
        'INVALID_ARGUMENTS',
        'face_image_path',
      ],
      [{ face_image_base64: b64(alice), fiqa_level: 'best' }, 400, 'INVALID_ARGUMENTS', 'fiqa_level'],
      [{ face_image_base64: '%%%' }, 400, 'INVALID_ARGUMENTS', 'face_image_base64'],
      [[1, 2], 400, 'INVALID_ARGUMENTS', 'body'],
      [{ face_image_path: '/no/such/photo.jpg' }, 400, 'IMAGE_NOT_OPENED'],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await detect(body);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status, code });
      // The message names the key first, then what is allowed.
      if (message !== undefined) expect(r.body.error?.message).toMatch(new RegExp(`^${message}: \\S`));
      expect(r.body.faces).toBeUndefined();
    }
    const wrongType = await detect('{"face_image_base64":"x"}', 'text/plain');
    expect(wrongType).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORT_CONTENT_TYPE' } } });
  });

  it('reads face_image_path from the image bucket, as search does', async () => {
    const stored = await post(`${server.url}/sophon/v2/face/events`, {
      event_id: 'detect-path',
      face_image_base64: b64(alice),
    });
    expect(stored.status).toBe(201);
    const byPath = detected(await detect({ face_image_path: `/images/${stored.body.spot_image_id}` }));
    const byBytes = detected(await detect({ face_image_base64: b64(alice) }));
    expect(byPath.query_face).toEqual(byBytes.query_face);
  });

  it('takes no search slot: it answers while every slot is held', async () => {
    const held = await server.services.slots.tryAcquire();
    expect(held).toBeTruthy();
    try {
      const s = await search({ face_image_base64: b64(alice) });
      expect(s.body.error?.code).toBe('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR');
      const d = await detect({ face_image_base64: b64(alice) });
      expect(d.status).toBe(200);
      expect(detected(d).fiqa_passed).toBe(true);
    } finally {
      await held?.release();
    }
  });
});
