import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Whether converting pixels through an embedded ICC profile to sRGB changes them at all. Most camera and
 * phone JPEGs carry an sRGB profile: libvips converts through it anyway, and building the transform is
 * about 5 ms per decode plus ~14 ns a pixel (1920×1280 sample1.jpg, "IEC sRGB": detector input 13.4 →
 * 7.1 ms, the face's window 22 → 13 ms, identical pixels; docs/speed.md). So a profile is skipped only
 * where it is measured to be the identity: a probe image holding every 16th level of each channel and a
 * full grey ramp is decoded through the profile and without it, once per distinct profile per process,
 * and no value may differ by more than rounding. Anything else, an error or an oversized profile keeps
 * the transform.
 */
export async function iccIsIdentity(icc: Buffer | undefined): Promise<boolean> {
  if (!icc || icc.length === 0) return true;
  // Matrix/shaper profiles (the sRGB ones) are a few KB; large LUT profiles are never taken for identity.
  if (icc.length > MAX_PROBED_BYTES) return false;
  // Only RGB profiles (header bytes 16–19): a grey or CMYK profile converts in earnest.
  if (icc.length < 128 || icc.toString('latin1', 16, 20) !== 'RGB ') return false;
  const key = createHash('sha256').update(icc).digest('hex');
  let known = verdicts.get(key);
  if (!known) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear(); // distinct profiles are few; hostile ones cost a probe each
    known = probe(icc).catch(() => false);
    verdicts.set(key, known);
  }
  return known;
}

const MAX_PROBED_BYTES = 64 * 1024;
/**
 * Levels (of 255) the two decodes may differ by: lcms rounds some saturated probe colours one level off
 * through the common HP "IEC sRGB" profile (60 of 15,552 values, e.g. rgb(0, 208, 0): red 1 against 0).
 * A real conversion moves colours by many levels (Display P3 to sRGB: up to 112 on the probe).
 */
const ROUNDING = 1;
const MAX_VERDICTS = 256;
const verdicts = new Map<string, Promise<boolean>>();

/** 17 levels per channel (0, 16, …, 240, 255): 4,913 colours, then the 256 greys: 72 × 72 pixels. */
const PROBE_SIDE = 72;

async function probe(icc: Buffer): Promise<boolean> {
  const png = withIccChunk(await probePng(), icc);
  const decode = (ignoreIcc: boolean) =>
    sharp(png, { ignoreIcc, failOn: 'error' }).toColourspace('srgb').removeAlpha().raw().toBuffer();
  const [through, without] = await Promise.all([decode(false), decode(true)]);
  if (through.length !== without.length) return false;
  for (let i = 0; i < through.length; i++) if (Math.abs(through[i] - without[i]) > ROUNDING) return false;
  return true;
}

let patternPng: Promise<Buffer> | undefined;

function probePng(): Promise<Buffer> {
  patternPng ??= (() => {
    const px = new Uint8Array(PROBE_SIDE * PROBE_SIDE * 3);
    const levels = Array.from({ length: 17 }, (_, i) => Math.min(255, i * 16));
    let o = 0;
    for (const r of levels)
      for (const g of levels)
        for (const b of levels) {
          px[o++] = r;
          px[o++] = g;
          px[o++] = b;
        }
    for (let v = 0; v < 256 && o < px.length; v++) px.fill(v, o, (o += 3));
    return sharp(px, { raw: { width: PROBE_SIDE, height: PROBE_SIDE, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
  })();
  return patternPng;
}

/** The PNG with an iCCP chunk (the profile, deflated) inserted after its IHDR chunk (PNG spec 11.3.3.3). */
export function withIccChunk(png: Buffer, icc: Buffer): Buffer {
  const ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, then IHDR: length, type, 13 data bytes, CRC
  const body = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)]); // name, NUL, method 0
  const typeAndBody = Buffer.concat([Buffer.from('iCCP', 'latin1'), body]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([png.subarray(0, ihdrEnd), head, typeAndBody, crc, png.subarray(ihdrEnd)]);
}
