/**
 * The real face engine (ONNX models from the layer build) on real photos: the six group photos of
 * @vladmandic/face-api's demo, fetched and hash-checked by layers/models/build.mjs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ContractError } from '../../../functions/core/errors';
import { compareScore } from '../../../functions/core/score';
import { getFaceEngine } from '../../../functions/face';
import { type Box, type FaceEngine, FaceEngineError, type FaceErrorKind } from '../../../functions/core/face';
import { assertPassesGate, failedCheck } from '../../../functions/core/qualityGate';

const PHOTOS = join(__dirname, '../../../build/fixtures/photos');
const photo = (n: number) => readFileSync(join(PHOTOS, `sample${n}.jpg`));
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

let engine: FaceEngine;
beforeAll(() => {
  engine = getFaceEngine();
});

async function cropAround(bytes: Buffer, box: Box, grow: number): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  const w = box[2] - box[0],
    h = box[3] - box[1];
  const left = Math.max(0, Math.round(box[0] - grow * w));
  const top = Math.max(0, Math.round(box[1] - grow * h));
  const width = Math.min(meta.width! - left, Math.round(w * (1 + 2 * grow)));
  const height = Math.min(meta.height! - top, Math.round(h * (1 + 2 * grow)));
  return sharp(bytes).extract({ left, top, width, height }).jpeg({ quality: 95 }).toBuffer();
}

async function expectFaceError(p: Promise<unknown>, kind: FaceErrorKind): Promise<FaceEngineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FaceEngineError);
  expect((err as FaceEngineError).kind).toBe(kind);
  return err as FaceEngineError;
}

describe('face detection on group photos', () => {
  it.each([
    [1, 3],
    [2, 3],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 4],
  ])('finds every face in sample%i.jpg (%i)', async (n, count) => {
    const { faces, width, height } = await engine.detectAll(photo(n));
    expect(faces).toHaveLength(count);
    for (const f of faces) {
      expect(f.box[0]).toBeGreaterThanOrEqual(0);
      expect(f.box[2]).toBeLessThanOrEqual(width);
      expect(f.box[3]).toBeLessThanOrEqual(height);
      expect(f.box[2] - f.box[0]).toBeGreaterThan(100); // 1920-px photos: boxes in original pixels
    }
  });

  it('takes the largest face as the query face', async () => {
    const { faces } = await engine.detectAll(photo(1));
    const largest = [...faces].sort(
      (a, b) => (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) - (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]),
    )[0];
    const q = await engine.analyzeQuery(photo(1), 'no');
    expect(q.box.map(Math.round)).toEqual(largest.box.map(Math.round));
  });
});

describe('the same face scores above 82 under everyday changes', () => {
  let original: Float32Array;
  let crop: Buffer;
  beforeAll(async () => {
    const { faces } = await engine.detectAll(photo(3));
    crop = await cropAround(photo(3), faces[0].box, 0.6);
    original = (await engine.analyzeQuery(crop, 'no')).embedding;
  });

  const variants: Array<[string, (b: Buffer) => Promise<Buffer>]> = [
    ['identical bytes', async (b) => b],
    [
      'a tighter crop',
      async (b) => {
        const m = await sharp(b).metadata();
        return sharp(b)
          .extract({
            left: Math.round(m.width! * 0.12),
            top: Math.round(m.height! * 0.1),
            width: Math.round(m.width! * 0.76),
            height: Math.round(m.height! * 0.8),
          })
          .toBuffer();
      },
    ],
    [
      'half the size',
      async (b) =>
        sharp(b)
          .resize({ width: Math.round((await sharp(b).metadata()).width! / 2) })
          .toBuffer(),
    ],
    ['brighter by 30%', async (b) => sharp(b).modulate({ brightness: 1.3 }).toBuffer()],
    ['darker by 30%', async (b) => sharp(b).modulate({ brightness: 0.7 }).toBuffer()],
    ['re-encoded as JPEG quality 35', async (b) => sharp(b).jpeg({ quality: 35 }).toBuffer()],
    ['converted to PNG', async (b) => sharp(b).png().toBuffer()],
    ['converted to WebP', async (b) => sharp(b).webp({ quality: 80 }).toBuffer()],
  ];

  it.each(variants)('%s', async (_name, change) => {
    const q = await engine.analyzeQuery(await change(crop), 'no');
    expect(compareScore(cos(original, q.embedding))).toBeGreaterThanOrEqual(82);
  });

  it('scores exactly 100 against itself', async () => {
    expect(compareScore(cos(original, original))).toBeCloseTo(100, 3);
  });

  it('applies EXIF orientation: a rotated file tagged to display upright matches', async () => {
    const turned = await sharp(crop)
      .rotate(90)
      .withMetadata({ orientation: 8 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const q = await engine.analyzeQuery(turned, 'no');
    const meta = await sharp(crop).metadata();
    expect([q.imageWidth, q.imageHeight]).toEqual([meta.width, meta.height]);
    expect(compareScore(cos(original, q.embedding))).toBeGreaterThanOrEqual(82);
  });
});

describe('different people score below 82', () => {
  // Faces of one group photo are different people by construction.
  it.each([1, 2, 3, 4, 5, 6])('every pair of faces in sample%i.jpg', async (n) => {
    const bytes = photo(n);
    const { faces } = await engine.detectAll(bytes);
    const emb = await Promise.all(
      faces.map(async (f) => (await engine.analyzeEvent(bytes, { box: f.box })).embedding),
    );
    for (let i = 0; i < emb.length; i++) {
      for (let j = i + 1; j < emb.length; j++) expect(compareScore(cos(emb[i], emb[j]))).toBeLessThan(82);
    }
  });
});

describe('quality gate and errors', () => {
  it('rejects a tiny face at low with the face size check, and accepts it at no', async () => {
    const { faces } = await engine.detectAll(photo(3));
    const crop = await cropAround(photo(3), faces[0].box, 0.6);
    const tiny = await sharp(crop).resize({ width: 90 }).toBuffer(); // face ≈ 45 px
    const q = await engine.analyzeQuery(tiny, 'low');
    expect(failedCheck(q.quality, 'low')).toMatch(/^face size/);
    expect(() => assertPassesGate(q.quality, 'low')).toThrow(ContractError);
    expect(failedCheck((await engine.analyzeQuery(tiny, 'no')).quality, 'no')).toBeNull();
  });

  it('rejects a strongly turned face at high with the angle check', async () => {
    // sample2's left face is in half profile: yaw ≈ 70°.
    const { faces } = await engine.detectAll(photo(2));
    const turned = faces.reduce((a, b) => (a.box[0] < b.box[0] ? a : b));
    const crop = await cropAround(photo(2), turned.box, 0.6);
    const q = await engine.analyzeQuery(crop, 'low');
    expect(Math.abs(q.quality.yaw)).toBeGreaterThan(45);
    expect(failedCheck((await engine.analyzeQuery(crop, 'high')).quality, 'high')).toMatch(/^face angle/);
  });

  it('passes a large, frontal, sharp face at high', async () => {
    const { faces } = await engine.detectAll(photo(3));
    const crop = await cropAround(photo(3), faces[0].box, 0.6);
    const q = await engine.analyzeQuery(crop, 'low');
    expect(q.quality.poseSum).toBeLessThan(60);
    expect(failedCheck((await engine.analyzeQuery(crop, 'high')).quality, 'high')).toBeNull();
  });

  it('measures the angle only at levels that check it', async () => {
    const { faces } = await engine.detectAll(photo(3));
    const crop = await cropAround(photo(3), faces[0].box, 0.6);
    const [no, low] = [await engine.analyzeQuery(crop, 'no'), await engine.analyzeQuery(crop, 'low')];
    expect([no.quality.yaw, no.quality.pitch, no.quality.roll, no.quality.poseSum]).toEqual([
      NaN,
      NaN,
      NaN,
      NaN,
    ]);
    expect(Number.isFinite(low.quality.poseSum)).toBe(true);
    expect(no.embedding).toEqual(low.embedding);
  });

  it('finds no face (noFace) in a photo without one', async () => {
    const gradient = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => i % 256)), {
      raw: { width: 64, height: 64, channels: 3 },
    })
      .resize(640, 480)
      .png()
      .toBuffer();
    await expectFaceError(engine.analyzeQuery(gradient, 'no'), 'noFace');
  });

  it.each([
    ['empty bytes', Buffer.alloc(0)],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['a truncated JPEG', photo(1).subarray(0, 600)],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
  ])('cannot read (unreadable) %s', async (_name, bytes) => {
    await expectFaceError(engine.analyzeQuery(bytes, 'no'), 'unreadable');
  });

  it('gives the same query face when prepared early (prepareQuery), and the same errors', async () => {
    const plain = await engine.analyzeQuery(photo(1), 'low');
    const bytes = Buffer.from(photo(1)); // prepared work is kept by Buffer
    engine.prepareQuery!(bytes);
    const prepared = await engine.analyzeQuery(bytes, 'low');
    expect(prepared.embedding).toEqual(plain.embedding);
    expect(prepared.box).toEqual(plain.box);
    expect(prepared.quality).toEqual(plain.quality);
    const truncated = photo(1).subarray(0, 600);
    engine.prepareQuery!(truncated);
    await expectFaceError(engine.analyzeQuery(truncated, 'no'), 'unreadable');
  });

  it('rejects a decompression bomb from its header, before decoding pixels', async () => {
    // 12,000 × 12,000 black PNG: ~150 KB on the wire, 144 megapixels decoded.
    const bomb = await sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const err = await expectFaceError(engine.analyzeQuery(bomb, 'no'), 'unreadable');
    expect(err.message).toMatch(/pixels/);
  });
});

describe('event attributes', () => {
  it('fills point, box, gender, age band and expression for a stored event, plus a JPEG crop', async () => {
    const ev = await engine.analyzeEvent(photo(6));
    expect(ev.attributes.point).toHaveLength(10);
    expect(ev.attributes.box).toHaveLength(4);
    expect(['male', 'female']).toContain(ev.attributes.gender);
    expect(['child', 'juvenile', 'youth', 'middle-aged', 'aged']).toContain(ev.attributes.age);
    expect(ev.attributes.expression).not.toBeUndefined();
    const meta = await sharp(ev.crop).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(100);
  });
});
