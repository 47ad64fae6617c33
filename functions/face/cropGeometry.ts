import type { Box } from '../core/face';

/** A rectangle of an image, in pixels (working image unless said otherwise). */
export type Region = { left: number; top: number; width: number; height: number };

/** Face box size (px) that the 112×112 template corresponds to, roughly. */
export const WARP_FACE_SIZE = 100;
/** Larger faces are shrunk from their align square before the warp (engine.ts, `align`). */
export const SHRINK_ABOVE = 1.5 * WARP_FACE_SIZE;

/** The crops taken around a face box: squares by box height, grows by the box's sides. */
export const CROP = {
  landmarkSquare: 1,
  attributeSquare: 1.4,
  alignSquare: 2,
  /** fr_pose: the box grown by a quarter on each side. */
  poseGrow: 0.25,
  /** fr_expression: the box grown by a tenth on each side. */
  expressionGrow: 0.1,
  /** The stored face crop: the box grown by this share of its larger side on each side. */
  storedGrow: 0.3,
};

/**
 * The part of the working image that the crops of these faces can reach, so that decoding only it gives
 * the crops the whole decode gives. A face the align step warps directly (larger side at most
 * SHRINK_ABOVE) is grown by 1.5 × its larger side on every side, which holds the warp's reach even for a
 * turned, tilted face. A larger face is warped from its align square, shrunk, so the union of its crops
 * is enough: the landmark, attribute and align squares (shifted to fit the image), the pose and
 * expression crops and the stored face crop. For a 230-px face mid-photo that is about a quarter fewer
 * rows to decode (a JPEG is decoded down to the window's last row).
 */
export function neighbourhood(boxes: Box[], photo: { workWidth: number; workHeight: number }): Region {
  const W = photo.workWidth,
    H = photo.workHeight;
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  // A crop that starts outside the image is moved in, keeping its size (image.ts, inWindow).
  const add = (r: Region) => {
    const left = Math.max(0, r.left),
      top = Math.max(0, r.top);
    x1 = Math.min(x1, left);
    y1 = Math.min(y1, top);
    x2 = Math.max(x2, left + r.width);
    y2 = Math.max(y2, top + r.height);
  };
  for (const b of boxes) {
    const w = b[2] - b[0],
      h = b[3] - b[1],
      side = Math.max(w, h);
    if (side <= SHRINK_ABOVE) {
      add(grown(b, 1.5 * side, 1.5 * side));
      continue;
    }
    for (const scale of [CROP.landmarkSquare, CROP.attributeSquare, CROP.alignSquare])
      add(squareRegion(b, W, H, scale));
    add(grown(b, CROP.poseGrow * w, CROP.poseGrow * h));
    add(grown(b, CROP.expressionGrow * w, CROP.expressionGrow * h));
    add(grown(b, CROP.storedGrow * side, CROP.storedGrow * side));
  }
  // Crop edges are rounded when the crops are taken: up to two pixels either way.
  const left = Math.max(0, Math.floor(x1) - 2),
    top = Math.max(0, Math.floor(y1) - 2);
  return {
    left,
    top,
    width: Math.min(W, Math.ceil(x2) + 2) - left,
    height: Math.min(H, Math.ceil(y2) + 2) - top,
  };
}

/** The box grown by `dx` on the left and right and `dy` above and below. */
export function grown(b: Box, dx: number, dy: number): Region {
  return { left: b[0] - dx, top: b[1] - dy, width: b[2] - b[0] + 2 * dx, height: b[3] - b[1] + 2 * dy };
}

/** A square of side `scale` × box height around the box centre, shifted (not cut) to fit the image. */
export function squareRegion(box: Box, w: number, h: number, scale: number): Region {
  const side = Math.min((box[3] - box[1]) * scale, w, h);
  const cx = (box[0] + box[2]) / 2,
    cy = (box[1] + box[3]) / 2;
  const left = Math.max(0, Math.min(w - side, cx - side / 2));
  const top = Math.max(0, Math.min(h - side, cy - side / 2));
  return { left, top, width: side, height: side };
}

/** The bounding box of interleaved x, y points. */
export function pointsBox(p: Float32Array): Box {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (let i = 0; i < p.length; i += 2) {
    x1 = Math.min(x1, p[i]);
    x2 = Math.max(x2, p[i]);
    y1 = Math.min(y1, p[i + 1]);
    y2 = Math.max(y2, p[i + 1]);
  }
  return [x1, y1, x2, y2];
}

/** A working-image box in original-image pixels (the photo was shrunk by `scale` on load). */
export function toOriginal(b: Box, scale: number): Box {
  return [b[0] / scale, b[1] / scale, b[2] / scale, b[3] / scale];
}

/** An original-image box in working-image pixels. */
export function toWorking(b: Box, scale: number): Box {
  return [b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale];
}
