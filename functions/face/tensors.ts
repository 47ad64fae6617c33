import { SSR_OUTPUTS } from './attributes';
import type { RgbImage } from './image';

/**
 * Model inputs from interleaved RGB pixels: planar float tensors, normalized as each model was trained.
 * `bgr` feeds the channels in reverse order (README, "Pre-processing").
 */

/** fr_pose, fr_age, fr_gender: ImageNet mean and standard deviation. */
export function imagenetTensor(img: RgbImage, bgr: boolean): Float32Array {
  const plane = img.width * img.height;
  const mean = [0.485, 0.456, 0.406],
    std = [0.229, 0.224, 0.225];
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++)
      out[c * plane + i] = (img.data[i * 3 + (bgr ? 2 - c : c)] / 255 - mean[c]) / std[c];
  return out;
}

/** fr_landmark: Rec.601 grey, 0..1. */
export function greyTensor(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = (0.299 * img.data[i * 3] + 0.587 * img.data[i * 3 + 1] + 0.114 * img.data[i * 3 + 2]) / 256;
  return out;
}

/** fr_expression: each channel 0..1. */
export function unitTensor(img: RgbImage): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = img.data[i * 3 + c] / 255;
  return out;
}

/** fr_feature: a 112×112 aligned face, (v − 127) / 128, optionally mirrored left to right. */
export function featureTensor(rgb: Uint8Array, bgr: boolean, mirror: boolean): Float32Array {
  const plane = 112 * 112;
  const input = new Float32Array(3 * plane);
  for (let y = 0; y < 112; y++) {
    for (let x = 0; x < 112; x++) {
      const src = (y * 112 + (mirror ? 111 - x : x)) * 3;
      const dst = y * 112 + x;
      for (let c = 0; c < 3; c++) input[c * plane + dst] = (rgb[src + (bgr ? 2 - c : c)] - 127) / 128;
    }
  }
  return input;
}

/** The SSR-Net heads (fr_age, fr_gender) give their stages as separate outputs; ssrMerge wants them in a row. */
export function concatOutputs(out: Record<string, Float32Array>): number[] {
  return SSR_OUTPUTS.flatMap((k) => Array.from(out[k]));
}

/** The middle of an aligned face (cheeks, nose, eyes): brightness is judged there, not on hair or background. */
export function alignedCentre(aligned: RgbImage): Uint8Array {
  const out: number[] = [];
  for (let y = 36; y < 100; y++)
    for (let x = 28; x < 84; x++) for (let c = 0; c < 3; c++) out.push(aligned.data[(y * 112 + x) * 3 + c]);
  return Uint8Array.from(out);
}
