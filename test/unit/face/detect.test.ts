import { facesFromOutputs, iou, largestFace, nms, detectorTensor } from '../../../functions/face/detect';
import type { DetectedFace } from '../../../functions/core/face';

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint boxes, and the overlap share otherwise', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
  });
});

describe('nms', () => {
  it('keeps the best of overlapping boxes and every separate one, best first', () => {
    const faces: DetectedFace[] = [
      { box: [0, 0, 10, 10], score: 0.8 },
      { box: [1, 1, 11, 11], score: 0.95 },
      { box: [50, 50, 60, 60], score: 0.7 },
    ];
    expect(nms(faces, 0.3)).toEqual([faces[1], faces[2]]);
  });

  it('honours topK before suppression', () => {
    const faces: DetectedFace[] = [0, 1, 2].map((i) => ({
      box: [i * 100, 0, i * 100 + 10, 10],
      score: 0.9 - i * 0.1,
    }));
    expect(nms(faces, 0.3, 2)).toHaveLength(2);
  });
});

describe('facesFromOutputs', () => {
  it('scales normalized corner boxes to image pixels, drops low scores and merges duplicates', () => {
    const scores = new Float32Array([0.1, 0.9, 0.5, 0.5, 0.02, 0.98, 0.2, 0.8]);
    const boxes = new Float32Array([
      0.1, 0.1, 0.3, 0.4, 0.5, 0.5, 0.6, 0.6, 0.11, 0.1, 0.31, 0.41, 0.7, 0.7, 0.9, 0.95,
    ]);
    const faces = facesFromOutputs(scores, boxes, 1000, 500, {
      scoreThreshold: 0.7,
      iouThreshold: 0.3,
      topK: 750,
    });
    expect(faces).toHaveLength(2);
    expect(faces[0].score).toBeCloseTo(0.98, 6);
    expect(faces[0].box.map((v) => Math.round(v))).toEqual([110, 50, 310, 205]);
    expect(faces[1].box.map((v) => Math.round(v))).toEqual([700, 350, 900, 475]);
  });

  it('clamps boxes to the image', () => {
    const faces = facesFromOutputs(
      new Float32Array([0, 1]),
      new Float32Array([-0.2, -0.1, 0.5, 1.3]),
      100,
      100,
    );
    expect(faces[0].box).toEqual([0, 0, 50, 100]);
  });
});

describe('largestFace', () => {
  it('picks the largest box, not the most confident', () => {
    const small = { box: [0, 0, 10, 10], score: 0.99 } as DetectedFace;
    const big = { box: [0, 0, 30, 30], score: 0.75 } as DetectedFace;
    expect(largestFace([small, big])).toBe(big);
    expect(largestFace([])).toBeUndefined();
  });
});

describe('detectorTensor', () => {
  it('writes planar RGB normalized as (v − 127) / 128', () => {
    const rgb = new Uint8Array(320 * 240 * 3);
    rgb.set([255, 127, 0], 0);
    const t = detectorTensor({ data: rgb, width: 320, height: 240 });
    expect(t[0]).toBeCloseTo(1, 6);
    expect(t[320 * 240]).toBe(0);
    expect(t[2 * 320 * 240]).toBeCloseTo(-127 / 128, 6);
  });

  it('lays a smaller input at the top-left and pads the rest as grey 127 (0), whatever the channel order', () => {
    const rgb = new Uint8Array(2 * 3 * 3).fill(255); // 2 wide, 3 high
    rgb.set([0, 10, 20], (2 * 2 + 1) * 3); // x 1, y 2
    const whole = new Uint8Array(320 * 240 * 3).fill(127);
    for (let y = 0; y < 3; y++) whole.set(rgb.subarray(y * 6, y * 6 + 6), y * 320 * 3);
    for (const bgr of [false, true]) {
      const t = detectorTensor({ data: rgb, width: 2, height: 3 }, bgr);
      expect(t).toEqual(detectorTensor({ data: whole, width: 320, height: 240 }, bgr));
      expect(t[2 * 320 + 1]).toBeCloseTo(bgr ? -107 / 128 : -1 + 1 / 128, 6);
      expect(t[2]).toBe(0);
      expect(t[3 * 320]).toBe(0);
    }
  });
});
