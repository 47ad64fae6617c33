import { DEFAULT_FACENESS, isFace } from '../../../functions/face/faceness';

describe('isFace', () => {
  it('takes a detection that embeds strongly for a face, however unsure the detector is', () => {
    expect(isFace(0.71, 2.0)).toBe(true);
    expect(isFace(1, 3.74)).toBe(true);
  });

  it('rejects the known false detections: an unsure detector and a weak embedding together', () => {
    expect(isFace(0.735, 1.844)).toBe(false); // skimage's cat
    expect(isFace(0.878, 1.678)).toBe(false); // a stray box on deepface img41
  });

  it('accepts a strongly turned face the detector is sure of, below the general limit', () => {
    // sample2's half-profile face: crops a few pixels apart measure 1.92–2.31, detector 0.90–0.999.
    for (const [score, norm] of [
      [0.903, 1.916],
      [0.997, 1.95],
      [0.9677, 1.956],
    ]) {
      expect(isFace(score, norm)).toBe(true);
    }
  });

  it('switches limits at the confident score', () => {
    const { confidentScore, minNorm, minNormConfident } = DEFAULT_FACENESS;
    const between = (minNorm + minNormConfident) / 2;
    expect(isFace(confidentScore, between)).toBe(true);
    expect(isFace(confidentScore - 1e-6, between)).toBe(false);
    expect(isFace(1, minNormConfident - 1e-6)).toBe(false);
  });
});
