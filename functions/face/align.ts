import type { Point } from '../core/face';
import type { RgbImage } from './image';
// Local bindings: a global lookup (`Math.x`) in a hot loop is slow inside jest's VM context (the
// test suites run this code there, 10–50× slower); plain Node is unaffected.
const { floor, round } = Math;

/** The standard 5-point template of a 112×112 aligned face (eyes, nose tip, mouth corners). */
export const REFERENCE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** 2×3 affine matrix [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f. */
export type Affine = [number, number, number, number, number, number];

/**
 * Reduces the 68-point (iBUG) layout to the 5 template points: eye centres (mean of the four lid points),
 * the nose tip (30) and the mouth corners (mean of the outer and inner corner points).
 */
export function fivePointsFrom68(p: ArrayLike<number>): Point[] {
  const x = (i: number) => p[i * 2];
  const y = (i: number) => p[i * 2 + 1];
  const mean = (ids: number[]): Point => [
    ids.reduce((s, i) => s + x(i), 0) / ids.length,
    ids.reduce((s, i) => s + y(i), 0) / ids.length,
  ];
  return [mean([37, 38, 40, 41]), mean([43, 44, 46, 47]), [x(30), y(30)], mean([48, 60]), mean([54, 64])];
}

/**
 * The least-squares similarity transform (rotation, uniform scale, translation; no reflection) that maps
 * `src` onto `dst`. Closed form: with both point sets centred, a = Σ(s·d)/Σ|s|², b = Σ(s×d)/Σ|s|².
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  let msx = 0,
    msy = 0,
    mdx = 0,
    mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i][0] / n;
    msy += src[i][1] / n;
    mdx += dst[i][0] / n;
    mdy += dst[i][1] / n;
  }
  let dot = 0,
    cross = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i][0] - msx,
      sy = src[i][1] - msy,
      dx = dst[i][0] - mdx,
      dy = dst[i][1] - mdy;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    norm += sx * sx + sy * sy;
  }
  if (norm === 0) throw new Error('degenerate landmarks');
  const a = dot / norm;
  const b = cross / norm;
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (det === 0) throw new Error('singular transform');
  const ia = m[4] / det,
    ib = -m[1] / det,
    id = -m[3] / det,
    ie = m[0] / det;
  return [ia, ib, -(ia * m[2] + ib * m[5]), id, ie, -(id * m[2] + ie * m[5])];
}

/**
 * Warps `img` by the source→destination transform `m` into a w×h RGB image, sampling bilinearly at the
 * inverse-mapped pixel centres; samples outside the source are black (as OpenCV's constant border).
 */
export function warpAffine(img: RgbImage, m: Affine, w: number, h: number): RgbImage {
  const inv = invertAffine(m);
  const out = new Uint8Array(w * h * 3);
  const { data, width, height } = img;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = inv[0] * x + inv[1] * y + inv[2];
      const sy = inv[3] * x + inv[4] * y + inv[5];
      const x0 = floor(sx),
        y0 = floor(sy);
      const fx = sx - x0,
        fy = sy - y0;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const p00 = sample(data, width, height, x0, y0, c);
        const p10 = sample(data, width, height, x0 + 1, y0, c);
        const p01 = sample(data, width, height, x0, y0 + 1, c);
        const p11 = sample(data, width, height, x0 + 1, y0 + 1, c);
        const v = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
        out[o + c] = round(v);
      }
    }
  }
  return { data: out, width: w, height: h };
}

function sample(data: Uint8Array, w: number, h: number, x: number, y: number, c: number): number {
  return x < 0 || y < 0 || x >= w || y >= h ? 0 : data[(y * w + x) * 3 + c];
}
