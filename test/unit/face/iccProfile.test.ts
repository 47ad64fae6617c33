import sharp from 'sharp';
import { iccIsIdentity, withIccChunk } from '../../../functions/face/iccProfile';
import { decodeWhole, openPhoto } from '../../../functions/face/image';

/** A 96×64 photo of smooth colour ramps (every channel, many levels), as JPEG or PNG with a given profile. */
function ramps(): Buffer {
  const w = 96,
    h = 64,
    px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      px[o] = (x * 255) / (w - 1);
      px[o + 1] = (y * 255) / (h - 1);
      px[o + 2] = ((x + y) * 255) / (w + h - 2);
    }
  return px;
}
const raw = { raw: { width: 96, height: 64, channels: 3 as const } };
const jpegWith = (profile: 'srgb' | 'p3') => sharp(ramps(), raw).withIccProfile(profile).jpeg().toBuffer();
const pngWith = async (icc: Buffer) => withIccChunk(await sharp(ramps(), raw).png().toBuffer(), icc);
const iccOf = async (b: Buffer) => (await sharp(b).metadata()).icc!;

/** What libvips gives by default: the pixels converted through the embedded profile. */
const converted = (b: Buffer) => sharp(b).toColourspace('srgb').removeAlpha().raw().toBuffer();
const decoded = async (b: Buffer) => {
  const photo = await openPhoto(b, { maxPixels: 1e6, maxSide: 1920 });
  return { photo, pixels: Buffer.from((await decodeWhole(photo)).data) };
};

describe('iccIsIdentity', () => {
  it('takes an sRGB profile for the identity and a Display P3 one not', async () => {
    expect(await iccIsIdentity(await iccOf(await jpegWith('srgb')))).toBe(true);
    expect(await iccIsIdentity(await iccOf(await jpegWith('p3')))).toBe(false);
  });

  it('keeps the transform for profiles it does not probe: not RGB, cut short, oversized', async () => {
    const srgb = await iccOf(await jpegWith('srgb'));
    const grey = Buffer.from(srgb);
    grey.write('GRAY', 16, 'latin1');
    expect(await iccIsIdentity(grey)).toBe(false);
    expect(await iccIsIdentity(srgb.subarray(0, 100))).toBe(false);
    expect(await iccIsIdentity(Buffer.concat([srgb, Buffer.alloc(70_000)]))).toBe(false);
    expect(await iccIsIdentity(undefined)).toBe(true);
  });

  it('answers the same for equal profile bytes, also asked at once', async () => {
    const p3 = await iccOf(await jpegWith('p3'));
    const [a, b] = await Promise.all([iccIsIdentity(p3), iccIsIdentity(Buffer.from(p3))]);
    expect([a, b]).toEqual([false, false]);
  });
});

describe('decoding photos with an embedded profile', () => {
  it('gives the converted pixels, byte for byte, whether the profile is skipped or applied', async () => {
    const srgb = await jpegWith('srgb');
    const p3 = await jpegWith('p3');
    const a = await decoded(srgb);
    const b = await decoded(p3);
    expect(a.photo.ignoreIcc).toBe(true);
    expect(b.photo.ignoreIcc).toBe(false);
    expect(a.pixels.equals(await converted(srgb))).toBe(true);
    expect(b.pixels.equals(await converted(p3))).toBe(true);
    // The P3 conversion does change pixels: skipping it would have been wrong.
    const unconverted = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(b.pixels.equals(unconverted)).toBe(false);
  });

  it.each([
    [
      'garbage after a valid RGB header',
      (p: Buffer) => Buffer.concat([p.subarray(0, 128), Buffer.alloc(500, 0xa5)]),
    ],
    ['a profile whose curves are cut off', (p: Buffer) => p.subarray(0, Math.floor(p.length / 2))],
    ['random bytes', () => Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251))],
  ])('decodes a photo carrying %s as libvips does', async (_, broken) => {
    const png = await pngWith(broken(await iccOf(await jpegWith('p3'))));
    const { pixels } = await decoded(png);
    expect(pixels.equals(await converted(png))).toBe(true);
  });
});
