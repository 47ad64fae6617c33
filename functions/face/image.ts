import sharp from 'sharp';
import { ContractError } from '../core/errors';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedPhoto {
  /** The working image: the photo, EXIF-rotated, shrunk so its long side is at most `maxSide`. */
  image: RgbImage;
  /** Original (EXIF-rotated) size: boxes are reported in these pixels. */
  width: number;
  height: number;
  /** Working pixels per original pixel (≤ 1). */
  scale: number;
}

const ACCEPTED = new Set(['jpeg', 'png', 'webp']);

/**
 * Decodes a JPEG, PNG or WebP photo. The pixel limit is checked from the header before any pixel is
 * decoded, so a decompression bomb costs nothing; shrink-on-load keeps large photos cheap.
 * Throws IMAGE_NOT_OPENED for anything that is not one of those formats or does not decode.
 */
export async function decodePhoto(
  bytes: Buffer,
  opts: { maxPixels: number; maxSide: number },
): Promise<DecodedPhoto> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch {
    throw new ContractError('IMAGE_NOT_OPENED', 'the image cannot be decoded');
  }
  if (!meta.format || !ACCEPTED.has(meta.format) || !meta.width || !meta.height) {
    throw new ContractError('IMAGE_NOT_OPENED', 'the image is not a JPEG, PNG or WebP photo');
  }
  if (meta.width * meta.height > opts.maxPixels || (meta.pages ?? 1) > 1) {
    throw new ContractError('IMAGE_NOT_OPENED', `the image has more than ${opts.maxPixels} pixels`);
  }
  // EXIF orientations 5–8 swap width and height.
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  const scale = Math.min(1, opts.maxSide / Math.max(width, height));
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: opts.maxPixels, failOn: 'error' })
      .rotate()
      .resize({
        width: Math.max(1, Math.round(width * scale)),
        height: Math.max(1, Math.round(height * scale)),
        fit: 'fill',
      })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error('unexpected channel count');
    return {
      image: {
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
      },
      width,
      height,
      scale: info.width / width,
    };
  } catch {
    throw new ContractError('IMAGE_NOT_OPENED', 'the image cannot be decoded');
  }
}

/** Resizes (stretches) a region of an RGB image to w×h with area averaging when shrinking. */
export async function resizeRegion(
  img: RgbImage,
  region: { left: number; top: number; width: number; height: number },
  w: number,
  h: number,
): Promise<RgbImage & { source: { left: number; top: number; width: number; height: number } }> {
  const left = Math.max(0, Math.min(img.width - 1, Math.round(region.left)));
  const top = Math.max(0, Math.min(img.height - 1, Math.round(region.top)));
  const width = Math.max(1, Math.min(img.width - left, Math.round(region.width)));
  const height = Math.max(1, Math.min(img.height - top, Math.round(region.height)));
  const { data } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left, top, width, height })
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

/**
 * Draws the whole image at the top-left of a canvasW×canvasH canvas (padding grey 127, which the
 * detector's normalization maps to 0) and resizes that canvas to w×h.
 */
export async function resizeOnto(
  img: RgbImage,
  canvasW: number,
  canvasH: number,
  w: number,
  h: number,
): Promise<RgbImage> {
  const cw = Math.max(1, Math.round((img.width * w) / canvasW));
  const ch = Math.max(1, Math.round((img.height * h) / canvasH));
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize({
    width: Math.min(w, cw),
    height: Math.min(h, ch),
    fit: 'fill',
  });
  if (cw < w || ch < h) {
    s = sharp(await s.raw().toBuffer(), {
      raw: { width: Math.min(w, cw), height: Math.min(h, ch), channels: 3 },
    }).extend({
      right: Math.max(0, w - cw),
      bottom: Math.max(0, h - ch),
      background: { r: 127, g: 127, b: 127 },
    });
  }
  const data = await s.raw().toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: w, height: h };
}

/** JPEG of a region of the working image (face crops for stored events). */
export async function encodeJpeg(
  img: RgbImage,
  region?: { left: number; top: number; width: number; height: number },
): Promise<Buffer> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (region) {
    const left = Math.max(0, Math.floor(region.left));
    const top = Math.max(0, Math.floor(region.top));
    s = s.extract({
      left,
      top,
      width: Math.max(1, Math.min(img.width - left, Math.ceil(region.width))),
      height: Math.max(1, Math.min(img.height - top, Math.ceil(region.height))),
    });
  }
  return s.jpeg({ quality: 90, mozjpeg: false }).toBuffer();
}
