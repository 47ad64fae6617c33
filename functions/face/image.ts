import sharp from 'sharp';
import { FaceEngineError } from '../core/face';
import type { Region } from './cropGeometry';
import { iccIsIdentity } from './iccProfile';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A window of the working image: pixels [left, left + width) × [top, top + height) of a full × full image. */
export interface ImageWindow extends RgbImage {
  left: number;
  top: number;
  fullWidth: number;
  fullHeight: number;
}

/** A photo whose header has been checked; pixels are decoded on demand, only where they are needed. */
export interface OpenedPhoto {
  bytes: Buffer;
  /** Original (EXIF-rotated) size: boxes are reported in these pixels. */
  width: number;
  height: number;
  /** The working image: the photo shrunk so its long side is at most `maxSide`. */
  workWidth: number;
  workHeight: number;
  /** Working pixels per original pixel (≤ 1). */
  scale: number;
  maxPixels: number;
  /** The embedded ICC profile converts to sRGB as the identity (iccProfile.ts): decode without it. */
  ignoreIcc: boolean;
  /** The whole working image, once decoded (small photos are decoded whole, once). */
  whole?: ImageWindow;
}

/** Below this reduction (working image → detector input) JPEG shrink-on-load cannot help: decode whole. */
const SHRINK_ON_LOAD_MIN = 2;

const ACCEPTED = new Set(['jpeg', 'png', 'webp']);

const notOpened = () =>
  new FaceEngineError('unreadable', 'image: cannot be decoded; it must be a JPEG, PNG or WebP photo');
const notAPhoto = () => new FaceEngineError('unreadable', 'image: must be a JPEG, PNG or WebP photo');

/**
 * JPEG, PNG or WebP by the file's signature, or undefined. Checked before libvips sees the bytes, so its
 * other loaders (SVG with its XML parser, TIFF, GIF, HEIF, ...) never parse what a client sent.
 */
export function photoFormat(b: Uint8Array): 'jpeg' | 'png' | 'webp' | undefined {
  const ascii = (from: number, to: number) => Buffer.from(b.subarray(from, to)).toString('latin1');
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * Checks a JPEG, PNG or WebP photo's header: the pixel limit is checked before any pixel is decoded, so a
 * decompression bomb costs nothing. Throws FaceEngineError 'unreadable' for anything that is not one of those formats.
 */
export async function openPhoto(
  bytes: Buffer,
  opts: { maxPixels: number; maxSide: number },
): Promise<OpenedPhoto> {
  if (!photoFormat(bytes)) throw notAPhoto();
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch {
    throw notOpened();
  }
  if (!meta.format || !ACCEPTED.has(meta.format) || !meta.width || !meta.height) throw notAPhoto();
  if (meta.width * meta.height > opts.maxPixels || (meta.pages ?? 1) > 1) {
    throw new FaceEngineError('unreadable', `image: must have at most ${opts.maxPixels} pixels`);
  }
  // EXIF orientations 5–8 swap width and height.
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  const scale = Math.min(1, opts.maxSide / Math.max(width, height));
  const workWidth = Math.max(1, Math.round(width * scale));
  const workHeight = Math.max(1, Math.round(height * scale));
  const ignoreIcc = meta.hasProfile === true && meta.space === 'srgb' && (await iccIsIdentity(meta.icc));
  return {
    bytes,
    width,
    height,
    workWidth,
    workHeight,
    scale: workWidth / width,
    maxPixels: opts.maxPixels,
    ignoreIcc,
  };
}

/** The photo's pixels in sRGB, EXIF-rotated, as a pipeline still to be run. */
function loaded(photo: OpenedPhoto): sharp.Sharp {
  return sharp(photo.bytes, {
    limitInputPixels: photo.maxPixels,
    failOn: 'error',
    ignoreIcc: photo.ignoreIcc,
  }).rotate();
}

/** The working image, EXIF-rotated and shrunk to the working size, as a pipeline still to be run. */
function working(photo: OpenedPhoto): sharp.Sharp {
  let s = loaded(photo);
  // A resize to the same size gives the same pixels (checked on the six group photos) for ~4 ms more.
  if (photo.workWidth !== photo.width || photo.workHeight !== photo.height) {
    s = s.resize({ width: photo.workWidth, height: photo.workHeight, fit: 'fill' });
  }
  return s.toColourspace('srgb').removeAlpha();
}

async function rawPixels(s: sharp.Sharp): Promise<RgbImage> {
  try {
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error('unexpected channel count');
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch {
    throw notOpened();
  }
}

/** Decodes the whole working image (once per photo). */
export async function decodeWhole(photo: OpenedPhoto): Promise<ImageWindow> {
  if (!photo.whole) {
    const img = await rawPixels(working(photo));
    photo.whole = { ...img, left: 0, top: 0, fullWidth: img.width, fullHeight: img.height };
  }
  return photo.whole;
}

/**
 * Decodes the working image's pixels in `region` (clamped to the image). A JPEG is decoded only down to
 * the region's last row, at a fraction of a whole decode; the pixels equal the whole decode's.
 */
export async function decodeWindow(photo: OpenedPhoto, region: Region): Promise<ImageWindow> {
  if (photo.whole) return photo.whole;
  const left = Math.max(0, Math.min(photo.workWidth - 1, Math.floor(region.left)));
  const top = Math.max(0, Math.min(photo.workHeight - 1, Math.floor(region.top)));
  const right = Math.max(left + 1, Math.min(photo.workWidth, Math.ceil(region.left + region.width)));
  const bottom = Math.max(top + 1, Math.min(photo.workHeight, Math.ceil(region.top + region.height)));
  if (left === 0 && top === 0 && right === photo.workWidth && bottom === photo.workHeight)
    return decodeWhole(photo);
  const img = await rawPixels(
    working(photo).extract({ left, top, width: right - left, height: bottom - top }),
  );
  return { ...img, left, top, fullWidth: photo.workWidth, fullHeight: photo.workHeight };
}

/**
 * The detector's input: the working image drawn at the top-left of a canvasW×canvasH canvas, resized to
 * w×h; only the part the image covers is returned (at most w×h, from the top-left: the padding is the
 * tensor's, detect.ts). Large photos are reduced while they are decoded (JPEG shrink-on-load, several
 * times cheaper than a whole decode); small ones are decoded whole, once, and resized.
 */
export async function detectorInput(
  photo: OpenedPhoto,
  canvasW: number,
  canvasH: number,
  w: number,
  h: number,
  shrinkOnLoad = true,
): Promise<RgbImage> {
  const cw = Math.max(1, Math.round((photo.workWidth * w) / canvasW));
  const ch = Math.max(1, Math.round((photo.workHeight * h) / canvasH));
  if (
    !shrinkOnLoad ||
    photo.whole ||
    photo.workWidth < SHRINK_ON_LOAD_MIN * cw ||
    photo.workHeight < SHRINK_ON_LOAD_MIN * ch
  ) {
    return resizeOnto(await decodeWhole(photo), canvasW, canvasH, w, h);
  }
  const s = loaded(photo)
    .resize({ width: Math.min(w, cw), height: Math.min(h, ch), fit: 'fill' })
    .toColourspace('srgb')
    .removeAlpha();
  return rawPixels(s);
}

/**
 * Resizes (stretches) a region of the working image to w×h with area averaging when shrinking. The region
 * is in working-image pixels; it is clamped to the image, then to the window (which should hold it).
 */
export async function resizeRegion(
  img: ImageWindow,
  region: Region,
  w: number,
  h: number,
): Promise<RgbImage & { source: Region }> {
  const { left, top, width, height } = inWindow(img, region, Math.round, Math.round);
  const { data } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left: left - img.left, top: top - img.top, width, height })
    .resize({ width: w, height: h, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: w,
    height: h,
    source: { left, top, width, height },
  };
}

/** `region` clamped to the full image and then to the window, in working-image pixels. */
function inWindow(
  img: ImageWindow,
  region: Region,
  start: (v: number) => number,
  size: (v: number) => number,
): Region {
  const fullLeft = Math.max(0, Math.min(img.fullWidth - 1, start(region.left)));
  const fullTop = Math.max(0, Math.min(img.fullHeight - 1, start(region.top)));
  const left = Math.max(img.left, Math.min(img.left + img.width - 1, fullLeft));
  const top = Math.max(img.top, Math.min(img.top + img.height - 1, fullTop));
  const width = Math.max(
    1,
    Math.min(img.fullWidth - fullLeft, img.left + img.width - left, size(region.width)),
  );
  const height = Math.max(
    1,
    Math.min(img.fullHeight - fullTop, img.top + img.height - top, size(region.height)),
  );
  return { left, top, width, height };
}

/**
 * The image drawn at the top-left of a canvasW×canvasH canvas and that canvas resized to w×h: the part
 * the image covers (at most w×h, from the top-left; the padding is the tensor's, detect.ts).
 */
export async function resizeOnto(
  img: RgbImage,
  canvasW: number,
  canvasH: number,
  w: number,
  h: number,
): Promise<RgbImage> {
  const width = Math.min(w, Math.max(1, Math.round((img.width * w) / canvasW)));
  const height = Math.min(h, Math.max(1, Math.round((img.height * h) / canvasH)));
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width, height, fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** JPEG of a region of the working image (face crops for stored events); region in working pixels. */
export async function encodeJpeg(img: ImageWindow, region?: Region): Promise<Buffer> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (region) {
    const r = inWindow(img, region, Math.floor, Math.ceil);
    s = s.extract({ left: r.left - img.left, top: r.top - img.top, width: r.width, height: r.height });
  }
  return s.jpeg({ quality: 90, mozjpeg: false }).toBuffer();
}
