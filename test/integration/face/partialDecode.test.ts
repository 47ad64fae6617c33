/**
 * The decode plumbing behind EngineOptions.partialDecode (on by default), on the real group photos: windows
 * are the whole decode's pixels, the shrink-on-load detector input is close to the exact one, and the
 * engine's output on frontal faces barely moves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { neighbourhood } from '../../../functions/face/cropGeometry';
import { DEFAULT_ENGINE, OnnxFaceEngine } from '../../../functions/face/engine';
import {
  decodeWhole,
  decodeWindow,
  detectorInput,
  openPhoto,
  resizeOnto,
} from '../../../functions/face/image';
import { ModelSessions } from '../../../functions/face/sessions';
import { config } from '../../../functions/shared/config';

const PHOTOS = join(__dirname, '../../../build/fixtures/photos');
const photo = (n: number) => readFileSync(join(PHOTOS, `sample${n}.jpg`));
const open = (bytes: Buffer) => openPhoto(bytes, { maxPixels: 40_000_000, maxSide: 1920 });

describe('decodeWindow', () => {
  it.each([
    { left: 700, top: 200, width: 400, height: 400 },
    { left: 0, top: 0, width: 1920, height: 90 },
    { left: 1700, top: 1100, width: 600, height: 600 }, // runs past the corner: clamped
  ])('gives exactly the pixels of the whole decode in %o', async (region) => {
    const whole = await decodeWhole(await open(photo(1)));
    const win = await decodeWindow(await open(photo(1)), region);
    expect(win.fullWidth).toBe(whole.width);
    expect(win.left + win.width).toBeLessThanOrEqual(whole.width);
    for (let y = 0; y < win.height; y += 7) {
      const a = win.data.subarray(y * win.width * 3, (y + 1) * win.width * 3);
      const start = ((win.top + y) * whole.width + win.left) * 3;
      expect(Buffer.compare(Buffer.from(a), Buffer.from(whole.data.subarray(start, start + a.length)))).toBe(
        0,
      );
    }
  });

  it('is the whole image once the whole image has been decoded', async () => {
    const p = await open(photo(1));
    const whole = await decodeWhole(p);
    expect(await decodeWindow(p, { left: 10, top: 10, width: 50, height: 50 })).toBe(whole);
  });
});

describe('embedded sRGB profiles (skipped as the identity, iccProfile.ts)', () => {
  it.each([1, 2, 3, 4, 5])(
    'sample%i.jpg carries one, and its pixels are what libvips gives converting through it',
    async (n) => {
      const p = await open(photo(n));
      expect(p.ignoreIcc).toBe(true);
      const ours = (await decodeWhole(p)).data;
      const converted = await sharp(photo(n)).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer();
      expect(ours.length).toBe(converted.length);
      // Equal bytes (what these photos give) are checked natively; a per-byte loop only when they differ.
      let worst = 0;
      if (!Buffer.from(ours.buffer, ours.byteOffset, ours.length).equals(converted)) {
        for (let i = 0; i < ours.length; i++) {
          const d = ours[i] > converted[i] ? ours[i] - converted[i] : converted[i] - ours[i];
          if (d > worst) worst = d;
        }
      }
      expect(worst).toBeLessThanOrEqual(1);
    },
  );
});

describe('detectorInput with shrink-on-load', () => {
  it('is the exact input give or take a few grey levels, the part the photo covers', async () => {
    const p = await open(photo(2)); // 1920×1367: content 320×228 of 320×240
    const exact = await resizeOnto(await decodeWhole(await open(photo(2))), 1920, 1440, 320, 240);
    const fast = await detectorInput(p, 1920, 1440, 320, 240);
    expect([fast.width, fast.height, fast.data.length]).toEqual([320, 228, exact.data.length]);
    expect([exact.width, exact.height]).toEqual([320, 228]);
    let sum = 0;
    for (let i = 0; i < fast.data.length; i++) sum += Math.abs(fast.data[i] - exact.data[i]);
    expect(sum / fast.data.length).toBeLessThan(3);
  });
});

describe('the engine with partialDecode', () => {
  const models = new ModelSessions(config().MODEL_DIR, 1);
  const exact = new OnnxFaceEngine(models, { ...DEFAULT_ENGINE, expression: false, partialDecode: false });
  const partial = new OnnxFaceEngine(models, { ...DEFAULT_ENGINE, expression: false, partialDecode: true });

  it('is the default', () => {
    expect(DEFAULT_ENGINE.partialDecode).toBe(true);
  });

  // sample2's largest face is in half profile, where a pixel of difference moves the landmarks a lot.
  it.each([1, 3, 4, 5, 6])(
    'embeds the frontal query face of sample%i.jpg as the exact path does',
    async (n) => {
      const [a, b] = [await exact.analyzeQuery(photo(n), 'no'), await partial.analyzeQuery(photo(n), 'no')];
      expect(a.embedding.reduce((s, x, i) => s + x * b.embedding[i], 0)).toBeGreaterThan(0.99);
      a.box.forEach((v, i) => expect(Math.abs(v - b.box[i])).toBeLessThan(4));
    },
  );

  // Its raw embedding norm sits near the face-ness limit and moves with a pixel of difference (faceness.ts).
  it('takes the half-profile face of sample2.jpg for a face, as the exact path does', async () => {
    const [a, b] = [await exact.analyzeQuery(photo(2), 'low'), await partial.analyzeQuery(photo(2), 'low')];
    expect(Math.abs(a.quality.yaw)).toBeGreaterThan(45);
    expect(Math.abs(b.quality.yaw)).toBeGreaterThan(45);
    a.box.forEach((v, i) => expect(Math.abs(v - b.box[i])).toBeLessThan(4));
  });

  it('grows a face the align step warps directly by 1.5 × its larger side', () => {
    const r = neighbourhood([[100, 50, 200, 170]], { workWidth: 1000, workHeight: 800 });
    // Grown by 1.5 × 120 on each side, moved into the image as crops are, and 2 px for rounding.
    expect(r).toEqual({ left: 0, top: 0, width: 462, height: 482 });
  });

  it('takes only the crops of a larger face: about its align square', () => {
    const r = neighbourhood([[800, 400, 1000, 640]], { workWidth: 1920, workHeight: 1280 });
    // The align square: 480 px around the box centre (900, 520); 2 px for rounding.
    expect(r).toEqual({ left: 658, top: 278, width: 484, height: 484 });
  });

  // A face placed at the image's edges and corners (a face of sample1 pasted onto a plain canvas), so
  // every crop (landmarks, align, pose, attributes, expression, the stored crop) is moved in from the
  // edge: the windowed path must find what the whole decode finds. (A box no detection overlaps was once
  // trusted and let this test use identical boxes; now a face_box only selects among detected faces.)
  describe('crops what the whole decode crops, for faces anywhere', () => {
    const withExpression = (partialDecode: boolean) =>
      new OnnxFaceEngine(models, { ...DEFAULT_ENGINE, partialDecode });
    const [whole, windowed] = [withExpression(false), withExpression(true)];
    let face: Buffer;
    beforeAll(async () => {
      const [b] = (await whole.detectAll(photo(1))).faces
        .map((f) => f.box)
        .sort((x, y) => (y[2] - y[0]) * (y[3] - y[1]) - (x[2] - x[0]) * (x[3] - x[1]));
      const grow = 0.35 * (b[2] - b[0]);
      const left = Math.max(0, Math.round(b[0] - grow));
      const top = Math.max(0, Math.round(b[1] - grow));
      face = await sharp(photo(1))
        .extract({
          left,
          top,
          width: Math.round(b[2] - b[0] + 2 * grow),
          height: Math.round(b[3] - b[1] + 2 * grow),
        })
        .toBuffer();
    });
    const placed = async (left: number, top: number, size: number) =>
      sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 128, g: 128, b: 128 } } })
        .composite([{ input: await sharp(face).resize(size, size).toBuffer(), left, top }])
        .jpeg({ quality: 92 })
        .toBuffer();

    it.each([
      [0, 0, 400], // large, top-left corner
      [1520, 880, 400], // large, bottom-right corner
      [700, 880, 400], // large, bottom edge
      [1520, 500, 400], // large, right edge
      [0, 1080, 200], // small, bottom-left
      [1720, 0, 200], // small, top-right
      [1100, 650, 200], // small, inside
    ])('at (%p, %p), %p px', async (left, top, size) => {
      const img = await placed(left, top, size);
      const [a, b] = [await whole.analyzeEvent(img), await windowed.analyzeEvent(img)];
      // Each path detects on its own input (shrink-on-load is close to, not equal to, the exact one), so
      // the boxes differ by a pixel or so (measured: cosine 0.97 for the small inner face, above 0.99 for
      // the others); a crop taken outside the window would be black, nowhere near.
      expect(a.embedding.reduce((sum, x, i) => sum + x * b.embedding[i], 0)).toBeGreaterThan(0.95);
      for (let k = 0; k < 4; k++) expect(Math.abs(b.box[k] - a.box[k])).toBeLessThan(size * 0.05);
      expect(b.attributes.gender).toBe(a.attributes.gender);
      // The same face selected by its box, on the windowed path: the same detection, the same crop.
      const boxed = await windowed.analyzeEvent(img, { box: b.box });
      expect(boxed.crop.equals(b.crop)).toBe(true);
    });
  });
});
