/**
 * The decode plumbing behind EngineOptions.partialDecode (on by default), on the real group photos: windows
 * are the whole decode's pixels, the shrink-on-load detector input is close to the exact one, and the
 * engine's output on frontal faces barely moves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iou } from '../../../functions/face/detect';
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
import type { Box } from '../../../functions/core/face';
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

describe('detectorInput with shrink-on-load', () => {
  it('is the exact input give or take a few grey levels, padding included', async () => {
    const p = await open(photo(2)); // 1920×1367: content 320×228 of 320×240
    const exact = await resizeOnto(await decodeWhole(await open(photo(2))), 1920, 1440, 320, 240);
    const fast = await detectorInput(p, 1920, 1440, 320, 240);
    expect([fast.width, fast.height, fast.data.length]).toEqual([320, 240, exact.data.length]);
    let sum = 0;
    for (let i = 0; i < fast.data.length; i++) sum += Math.abs(fast.data[i] - exact.data[i]);
    expect(sum / fast.data.length).toBeLessThan(3);
    expect(fast.data[(239 * 320 + 5) * 3]).toBe(127);
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

  // A caller-given box that no detection overlaps is taken as it is, so both paths crop the same place:
  // every crop (landmarks, align, pose, attributes, expression, the stored crop) must lie in the window,
  // at the image's edges too, where crops are moved in.
  describe('crops what the whole decode crops, around boxes anywhere', () => {
    const withExpression = (partialDecode: boolean) =>
      new OnnxFaceEngine(models, { ...DEFAULT_ENGINE, partialDecode });
    const [whole, windowed] = [withExpression(false), withExpression(true)];
    let faces: Box[] = [];
    beforeAll(async () => {
      faces = (await whole.detectAll(photo(1))).faces.map((f) => f.box);
    });

    it.each([
      [[0, 0, 320, 400]], // large, top-left corner
      [[1650, 950, 1920, 1280]], // large, bottom-right corner
      [[600, 1000, 1000, 1280]], // large, bottom edge
      [[1700, 600, 1920, 900]], // large, right edge
      [[0, 1100, 120, 1260]], // small, bottom-left
      [[1800, 0, 1920, 130]], // small, top-right
      [[1150, 700, 1290, 840]], // small, inside
    ] as Array<[Box]>)('%p', async (box) => {
      for (const f of faces) expect(iou(f, box)).toBeLessThan(0.3);
      const [a, b] = [
        await whole.analyzeEvent(photo(1), { box }),
        await windowed.analyzeEvent(photo(1), { box }),
      ];
      expect(Buffer.from(b.embedding.buffer).equals(Buffer.from(a.embedding.buffer))).toBe(true);
      expect(b.quality).toEqual(a.quality);
      expect(b.attributes).toEqual(a.attributes);
      expect(b.crop.equals(a.crop)).toBe(true);
    });
  });
});
