import type { Box, DetectedFace } from '../core/face';

/** UltraFace RFB-320 input size. */
export const DETECT_WIDTH = 320;
export const DETECT_HEIGHT = 240;

export interface DetectOptions {
  /** Minimum face probability. */
  scoreThreshold: number;
  /** Boxes overlapping a better one by more than this IoU are dropped. */
  iouThreshold: number;
  /** At most this many candidates enter NMS (highest scores first). */
  topK: number;
}

export const DEFAULT_DETECT: DetectOptions = { scoreThreshold: 0.7, iouThreshold: 0.3, topK: 750 };

/**
 * The model's NCHW float tensor of the 320×240 detector input whose top-left part is `img` (at most
 * 320×240) and the rest grey 127, normalized as UltraFace was trained: (v − 127) / 128, so the padding
 * is 0 (drawn here rather than by libvips: ~1 ms less per photo).
 */
export function detectorTensor(
  img: { data: Uint8Array; width: number; height: number },
  bgr = false,
): Float32Array {
  const plane = DETECT_WIDTH * DETECT_HEIGHT;
  const out = new Float32Array(3 * plane);
  const r = bgr ? 2 : 0,
    b = bgr ? 0 : 2;
  const rgb = img.data;
  const w = Math.min(img.width, DETECT_WIDTH),
    h = Math.min(img.height, DETECT_HEIGHT);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * DETECT_WIDTH + x,
        p = (y * img.width + x) * 3;
      out[i] = (rgb[p + r] - 127) / 128;
      out[plane + i] = (rgb[p + 1] - 127) / 128;
      out[2 * plane + i] = (rgb[p + b] - 127) / 128;
    }
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression; `faces` in any order, result by descending score. */
export function nms(faces: DetectedFace[], iouThreshold: number, topK = Infinity): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score).slice(0, topK);
  const kept: DetectedFace[] = [];
  for (const f of sorted) {
    if (kept.every((k) => iou(k.box, f.box) <= iouThreshold)) kept.push(f);
  }
  return kept;
}

/**
 * Turns the detector outputs into faces in original-image pixels. fr_detect decodes its boxes against
 * its 4,420 priors inside the graph (strides 8/16/32/64, min sizes 10–256, variances 0.1/0.2): `boxes`
 * holds normalized corner boxes and `scores` holds [background, face] pairs, one per prior.
 */
export function facesFromOutputs(
  scores: Float32Array,
  boxes: Float32Array,
  imageWidth: number,
  imageHeight: number,
  opts: DetectOptions = DEFAULT_DETECT,
  clipWidth = imageWidth,
  clipHeight = imageHeight,
): DetectedFace[] {
  const n = Math.min(scores.length / 2, boxes.length / 4);
  const candidates: DetectedFace[] = [];
  for (let i = 0; i < n; i++) {
    const p = scores[i * 2 + 1];
    if (!(p >= opts.scoreThreshold)) continue;
    const x1 = clamp(boxes[i * 4] * imageWidth, 0, clipWidth);
    const y1 = clamp(boxes[i * 4 + 1] * imageHeight, 0, clipHeight);
    const x2 = clamp(boxes[i * 4 + 2] * imageWidth, 0, clipWidth);
    const y2 = clamp(boxes[i * 4 + 3] * imageHeight, 0, clipHeight);
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    candidates.push({ box: [x1, y1, x2, y2], score: p });
  }
  return nms(candidates, opts.iouThreshold, opts.topK);
}

/**
 * The smallest canvas of the detector's 4:3 shape that holds a w×h photo at its top-left corner:
 * padding instead of stretching keeps faces in portrait photos from being squashed.
 */
export function letterboxCanvas(w: number, h: number): { canvasWidth: number; canvasHeight: number } {
  const ratio = DETECT_WIDTH / DETECT_HEIGHT;
  return w / h >= ratio
    ? { canvasWidth: w, canvasHeight: w / ratio }
    : { canvasWidth: h * ratio, canvasHeight: h };
}

/** The query face: the one with the largest box area (ties: the higher score). */
export function largestFace(faces: DetectedFace[]): DetectedFace | undefined {
  let best: DetectedFace | undefined;
  for (const f of faces) {
    if (
      !best ||
      boxArea(f.box) > boxArea(best.box) ||
      (boxArea(f.box) === boxArea(best.box) && f.score > best.score)
    ) {
      best = f;
    }
  }
  return best;
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
