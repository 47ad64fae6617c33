import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';

/**
 * Single-face photos cut from the real group photos in build/fixtures/photos (from @vladmandic/face-api,
 * MIT). The boxes are where the faces are in those photos; a crop is a square around the face with some
 * margin, so each photo holds one face and the service has to find and match it for real.
 */
type Box = [x1: number, y1: number, x2: number, y2: number];

const PHOTOS = resolve(__dirname, '../../build/fixtures/photos');

export const PEOPLE = {
  /** The person the tests search for: the centre woman of sample1. */
  target: { photo: 1, box: [824, 422, 1039, 654] as Box },
  others: [
    { photo: 1, box: [413, 354, 601, 597] as Box },
    { photo: 2, box: [1446, 157, 1645, 392] as Box },
    { photo: 3, box: [1071, 206, 1300, 523] as Box },
    { photo: 4, box: [990, 189, 1159, 425] as Box },
    { photo: 6, box: [262, 489, 468, 765] as Box },
  ],
};

export interface CropOptions {
  /** Side of the square crop as a multiple of the face box's longer side. */
  margin?: number;
  /** Output width and height in pixels. */
  size?: number;
  /** 1 keeps the brightness; 0.7 is darker, 1.3 brighter. */
  brightness?: number;
}

/** A JPEG of one face from a group photo. */
export async function faceCrop(
  person: { photo: number; box: Box },
  { margin = 1.8, size = 400, brightness = 1 }: CropOptions = {},
): Promise<Buffer> {
  const source = readFileSync(resolve(PHOTOS, `sample${person.photo}.jpg`));
  const { width = 0, height = 0 } = await sharp(source).metadata();
  const [x1, y1, x2, y2] = person.box;
  const side = Math.max(x2 - x1, y2 - y1) * margin;
  const left = Math.max(0, Math.round((x1 + x2) / 2 - side / 2));
  const top = Math.max(0, Math.round((y1 + y2) / 2 - side / 2));
  return sharp(source)
    .extract({
      left,
      top,
      width: Math.min(width - left, Math.round(side)),
      height: Math.min(height - top, Math.round(side)),
    })
    .resize(size, size, { fit: 'fill' })
    .modulate({ brightness })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A photo with no face at all: a smooth colour gradient. */
export async function gradientPng(width = 320, height = 240): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.round((255 * x) / width);
      raw[i + 1] = Math.round((255 * y) / height);
      raw[i + 2] = 160;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
