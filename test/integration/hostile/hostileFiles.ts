/**
 * Hostile image files, made by the tests from a real face photo (nothing binary is committed): broken,
 * oversized, bombs, formats we do not take, unusual colour models, EXIF-rotated.
 */
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([len, typed, crc]);
}

/**
 * A single-colour 1-bit greyscale PNG of width × height: a few KB that inflate to width × height
 * pixels. 20,000 × 20,000 is a 48 KB file declaring 400 megapixels.
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((Math.ceil(width / 8) + 1) * height); // filter byte 0, all pixels black
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real JPEG whose frame header (SOF) claims width × height: the header lies, the data does not. */
export function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9;) {
    if (out[i] !== 0xff) throw new Error('not a JPEG marker');
    const marker = out[i + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker');
}

/** `fraction` of the file, cut anywhere (mid-scan for a JPEG). */
export const truncated = (bytes: Buffer, fraction: number) =>
  bytes.subarray(0, Math.floor(bytes.length * fraction));

/**
 * The face stored rotated, with the EXIF orientation that turns it upright for display: a viewer (and
 * the service) must see an upright face. 6: stored 90° anticlockwise; 8: clockwise; 3: upside down.
 */
export async function exifRotated(jpeg: Buffer, orientation: 3 | 6 | 8): Promise<Buffer> {
  const stored = { 3: 180, 6: 270, 8: 90 }[orientation];
  const pixels = await sharp(jpeg).rotate(stored).toBuffer();
  return sharp(pixels).withMetadata({ orientation }).jpeg({ quality: 92 }).toBuffer();
}

const svg = (inner: string, prolog = '') =>
  Buffer.from(
    `${prolog}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
      `width="640" height="480">${inner}</svg>`,
  );

/** The photo and its negative as the two frames of an animated WebP (libwebp merges equal frames). */
async function animatedWebp(photo: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const negative = Buffer.from(data.map((v) => 255 - v));
  const raw = { width: info.width, height: info.height * 2, channels: 3 as const, pageHeight: info.height };
  return sharp(Buffer.concat([data, negative]), { raw })
    .webp()
    .toBuffer();
}

/** Files that are not JPEG, PNG or WebP, or only pretend to be. */
export async function foreignFormats(face: Buffer): Promise<Record<string, Buffer>> {
  const small = await sharp(face).resize(200).toBuffer();
  return {
    'GIF of the face': await sharp(small).gif().toBuffer(),
    'TIFF of the face': await sharp(small).tiff().toBuffer(),
    'AVIF of the face': await sharp(small).avif({ effort: 0 }).toBuffer(),
    'HEIC header bytes': Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'),
      Buffer.alloc(64, 1),
    ]),
    'SVG with the face as a data: image': svg(
      `<image width="200" height="200" href="data:image/jpeg;base64,${small.toString('base64')}"/>`,
    ),
    'SVG with an external href': svg(
      '<image width="640" height="480" xlink:href="file:///etc/passwd"/>' +
        '<image href="http://169.254.169.254/latest/meta-data/"/>',
    ),
    'SVG with an external entity (XXE)': svg(
      '<text>&xxe;</text>',
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ),
    'SVG billion laughs': svg(
      '<text>&l9;</text>',
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "ha">' +
        Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('') +
        ']>',
    ),
    'PDF header': Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
    'JPEG signature then SVG': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), svg('')]),
    'JPEG signature then random bytes': Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
    ]),
    'animated WebP (two frames)': await animatedWebp(small),
  };
}

/** The face in colour models and depths a camera or a phone may produce: all must be read. */
export async function colourVariants(face: Buffer): Promise<Record<string, Buffer>> {
  return {
    'CMYK JPEG': await sharp(face).toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer(),
    '16-bit RGB PNG': await sharp(face).toColourspace('rgb16').png().toBuffer(),
    'greyscale JPEG': await sharp(face).greyscale().jpeg({ quality: 92 }).toBuffer(),
    '16-bit greyscale PNG': await sharp(face).toColourspace('grey16').png().toBuffer(),
    'PNG with alpha': await sharp(face).ensureAlpha(0.8).png().toBuffer(),
    'palette PNG': await sharp(face).png({ palette: true, colours: 256 }).toBuffer(),
    'progressive JPEG': await sharp(face).jpeg({ progressive: true, quality: 90 }).toBuffer(),
    'lossless WebP': await sharp(face).webp({ lossless: true }).toBuffer(),
  };
}
