import { ContractError } from './errors';
import type { FiqaLevel, QualityReport } from './face';

/**
 * The fiqa_level gate of the contract. Sizes and angles are the contract's; brightness, sharpness,
 * completeness and occlusion limits were set from the dev set (README, "Quality gate").
 */
export const GATES: Record<Exclude<FiqaLevel, 'no'>, Gate> = {
  low: { minSize: 60, maxPoseSum: 120 },
  middle: { minSize: 80, maxPoseSum: 90, completeness: 0.95, brightness: [40, 225] },
  high: {
    minSize: 112,
    maxPoseSum: 60,
    completeness: 0.98,
    brightness: [50, 215],
    minSharpness: 20,
    maxOcclusion: 0.5,
  },
};

interface Gate {
  minSize: number;
  maxPoseSum: number;
  completeness?: number;
  brightness?: [number, number];
  minSharpness?: number;
  maxOcclusion?: number;
}

/** The first check the face fails at `level`, as a message for LOW_QUALITY_ERROR; null when it passes. */
export function failedCheck(q: QualityReport, level: FiqaLevel): string | null {
  if (level === 'no') return null;
  const g = GATES[level];
  if (!(q.faceSize > g.minSize))
    return `face size: ${Math.round(q.faceSize)} px, needs more than ${g.minSize} px`;
  if (!(q.poseSum <= g.maxPoseSum)) {
    return `face angle: yaw+pitch+roll ${Math.round(q.poseSum)}°, needs at most ${g.maxPoseSum}°`;
  }
  if (g.completeness !== undefined && q.completeness < g.completeness) {
    return 'completeness: part of the face is outside the image';
  }
  if (g.brightness && (q.brightness < g.brightness[0] || q.brightness > g.brightness[1])) {
    return `brightness: ${Math.round(q.brightness)}, needs ${g.brightness[0]}–${g.brightness[1]}`;
  }
  if (g.minSharpness !== undefined && q.sharpness < g.minSharpness)
    return 'blur: the face is not sharp enough';
  if (g.maxOcclusion !== undefined && q.occlusion > g.maxOcclusion)
    return 'occlusion: part of the face is hidden';
  return null;
}

/**
 * Search's gate: a face that fails `level` is a LOW_QUALITY_ERROR whose message names the first failed check.
 *
 * @example assertPassesGate(face.quality, 'high');
 */
export function assertPassesGate(q: QualityReport, level: FiqaLevel): void {
  const failed = failedCheck(q, level);
  if (failed) throw new ContractError('LOW_QUALITY_ERROR', failed);
}
