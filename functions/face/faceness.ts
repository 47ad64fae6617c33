/**
 * Whether a detection is a human face. The detector alone fires on some animal faces, so a detection also
 * has to embed like a face: its raw (pre-normalization) embedding norm must reach a limit. The limit is
 * lower for detections the detector is sure of, because a strongly turned face embeds weakly: sample2's
 * half-profile face (yaw ≈ 70°, detector ≥ 0.90) measures norm 1.92–2.31 for crops a few pixels apart,
 * astride a single limit of 2.0, while the false detections we know of are unsure and weak together
 * (skimage's cat: detector 0.735, norm 1.84; a stray box on deepface img41: 0.878, 1.68). The weakest
 * largest face of the 1,480 dev photos measures 2.19.
 */
export interface FacenessLimits {
  /** Norm any detection must reach. */
  minNorm: number;
  /** Detector score from which `minNormConfident` applies instead. */
  confidentScore: number;
  minNormConfident: number;
}

export const DEFAULT_FACENESS: FacenessLimits = { minNorm: 2.0, confidentScore: 0.85, minNormConfident: 1.8 };

/**
 * @example isFace(0.997, 1.95) // true: a confident detection of a turned face
 * @example isFace(0.735, 1.84) // false: the cat
 */
export function isFace(detScore: number, norm: number, limits: FacenessLimits = DEFAULT_FACENESS): boolean {
  return norm >= (detScore >= limits.confidentScore ? limits.minNormConfident : limits.minNorm);
}
