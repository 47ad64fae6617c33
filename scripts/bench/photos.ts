import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export interface QueryPhoto {
  name: string;
  width: number;
  height: number;
  bytes: Buffer;
  source: string;
}

/**
 * The three query photos of the benchmark, all JPEG: a 250×250 LFW crop (from the labelled set when it is
 * there, otherwise the largest face of sample3.jpg cropped the same way), sample1.jpg cut to 16:9 and
 * scaled to 1280×720, and sample1.jpg itself (1920×1280).
 */
export async function queryPhotos(fixtures: string, facesDev?: string): Promise<QueryPhoto[]> {
  const sample1 = readFileSync(join(fixtures, 'sample1.jpg'));
  const lfw = facesDev && join(facesDev, 'Alan_Greenspan/1.jpg');
  const small =
    lfw && existsSync(lfw)
      ? { bytes: readFileSync(lfw), source: 'dev/Alan_Greenspan/1.jpg (LFW)' }
      : {
          bytes: await sharp(readFileSync(join(fixtures, 'sample3.jpg')))
            .extract({ left: 866, top: 44, width: 640, height: 640 })
            .resize(250, 250)
            .jpeg({ quality: 90 })
            .toBuffer(),
          source: 'sample3.jpg, 640×640 around its largest face, scaled to 250×250',
        };
  const hd = await sharp(sample1)
    .resize(1280, 720, { fit: 'cover', position: 'centre' })
    .jpeg({ quality: 90 })
    .toBuffer();
  const out: QueryPhoto[] = [
    { name: '250x250', ...small },
    { name: '1280x720', bytes: hd, source: 'sample1.jpg cut to 16:9, 1280×720, JPEG q90' },
    { name: '1920x1280', bytes: sample1, source: 'sample1.jpg as is' },
  ].map((p) => ({ ...p, width: 0, height: 0 }));
  for (const p of out) {
    const m = await sharp(p.bytes).metadata();
    p.width = m.width ?? 0;
    p.height = m.height ?? 0;
  }
  return out;
}
