/** Mean Rec.601 luma of an RGB image. */
export function meanLuma(rgb: Uint8Array): number {
  let s = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < n; i++) s += 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  return n > 0 ? s / n : 0;
}

/** Variance of the 4-neighbour Laplacian of the luma: a standard focus measure. */
export function laplacianVariance(rgb: Uint8Array, w: number, h: number): number {
  const g = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) g[i] = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  let sum = 0,
    sq = 0,
    n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4 * g[i];
      sum += l;
      sq += l * l;
      n++;
    }
  }
  return n > 0 ? sq / n - (sum / n) ** 2 : 0;
}

/** Share of box `b` (expanded by `margin` of its size on each side) that lies inside a w×h image. */
export function insideShare(b: [number, number, number, number], w: number, h: number, margin = 0.1): number {
  const bw = b[2] - b[0],
    bh = b[3] - b[1];
  const x1 = b[0] - margin * bw,
    y1 = b[1] - margin * bh,
    x2 = b[2] + margin * bw,
    y2 = b[3] + margin * bh;
  const iw = Math.max(0, Math.min(w, x2) - Math.max(0, x1));
  const ih = Math.max(0, Math.min(h, y2) - Math.max(0, y1));
  const area = (x2 - x1) * (y2 - y1);
  return area > 0 ? (iw * ih) / area : 0;
}
