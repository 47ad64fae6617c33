import { failedCheck } from '../../../functions/core/qualityGate';
import { insideShare, laplacianVariance, meanLuma } from '../../../functions/face/quality';
import type { QualityReport } from '../../../functions/core/face';

const good: QualityReport = {
  faceSize: 200,
  yaw: 5,
  pitch: 5,
  roll: 5,
  poseSum: 15,
  brightness: 120,
  sharpness: 300,
  completeness: 1,
  occlusion: 0,
};

describe('failedCheck (fiqa_level gate)', () => {
  it('passes a good face at every level', () => {
    for (const level of ['no', 'low', 'middle', 'high'] as const) expect(failedCheck(good, level)).toBeNull();
  });

  it.each([
    ['low', 60, true],
    ['low', 61, false],
    ['middle', 80, true],
    ['middle', 81, false],
    ['high', 112, true],
    ['high', 113, false],
  ] as const)(
    'at %s rejects a face of %i px: %s (size must be strictly greater)',
    (level, size, rejected) => {
      const msg = failedCheck({ ...good, faceSize: size }, level);
      expect(msg !== null).toBe(rejected);
      if (rejected) expect(msg).toMatch(/^face size/);
    },
  );

  it.each([
    ['low', 120, 121],
    ['middle', 90, 91],
    ['high', 60, 61],
  ] as const)('at %s allows yaw+pitch+roll up to %i and rejects %i', (level, ok, bad) => {
    expect(failedCheck({ ...good, poseSum: ok }, level)).toBeNull();
    expect(failedCheck({ ...good, poseSum: bad }, level)).toMatch(/^face angle/);
  });

  it('checks completeness and brightness from middle up, not at low', () => {
    expect(failedCheck({ ...good, completeness: 0.5 }, 'low')).toBeNull();
    expect(failedCheck({ ...good, completeness: 0.5 }, 'middle')).toMatch(/^completeness/);
    expect(failedCheck({ ...good, brightness: 10 }, 'low')).toBeNull();
    expect(failedCheck({ ...good, brightness: 10 }, 'middle')).toMatch(/^brightness/);
    expect(failedCheck({ ...good, brightness: 250 }, 'high')).toMatch(/^brightness/);
  });

  it('checks blur and occlusion only at high', () => {
    expect(failedCheck({ ...good, sharpness: 1 }, 'middle')).toBeNull();
    expect(failedCheck({ ...good, sharpness: 1 }, 'high')).toMatch(/^blur/);
    expect(failedCheck({ ...good, occlusion: 0.9 }, 'middle')).toBeNull();
    expect(failedCheck({ ...good, occlusion: 0.9 }, 'high')).toMatch(/^occlusion/);
  });

  it('never checks anything at no', () => {
    expect(
      failedCheck({ ...good, faceSize: 1, poseSum: 300, brightness: 0, completeness: 0 }, 'no'),
    ).toBeNull();
  });

  it('rejects NaN measurements instead of letting them pass', () => {
    expect(failedCheck({ ...good, faceSize: NaN }, 'low')).not.toBeNull();
    expect(failedCheck({ ...good, poseSum: NaN }, 'low')).not.toBeNull();
  });
});

describe('image measures', () => {
  it('meanLuma weights channels as Rec.601', () => {
    expect(meanLuma(Uint8Array.from([255, 0, 0, 0, 255, 0]))).toBeCloseTo((0.299 * 255 + 0.587 * 255) / 2, 6);
  });

  it('laplacianVariance is 0 on a flat image and high on a checkerboard', () => {
    const flat = new Uint8Array(10 * 10 * 3).fill(90);
    const checker = Uint8Array.from({ length: 300 }, (_, i) =>
      ((Math.floor(i / 3) % 10) + Math.floor(i / 30)) % 2 ? 255 : 0,
    );
    expect(laplacianVariance(flat, 10, 10)).toBe(0);
    expect(laplacianVariance(checker, 10, 10)).toBeGreaterThan(10000);
  });

  it('insideShare is 1 inside the image and falls as the box leaves it', () => {
    expect(insideShare([20, 20, 40, 40], 100, 100, 0)).toBe(1);
    expect(insideShare([-10, 0, 10, 20], 100, 100, 0)).toBeCloseTo(0.5, 9);
  });
});
