import type { AgeBand } from '../core/face';

/** Output names of the SSR-Net style age and gender models, in the order the merge expects. */
export const SSR_OUTPUTS = [
  'prob_stage_1',
  'prob_stage_2',
  'prob_stage_3',
  'stage1_delta_k',
  'stage2_delta_k',
  'stage3_delta_k',
  'index_offset_stage1',
  'index_offset_stage2',
  'index_offset_stage3',
] as const;

/**
 * Soft stagewise regression (SSR-Net): three stages of 3 bins, each refined by a shift (index offset)
 * and a scale (delta k). `x` holds the 21 outputs concatenated in SSR_OUTPUTS order; V is the range
 * (101 years for age, 1 for gender).
 */
export function ssrMerge(x: ArrayLike<number>, V: number, stages = 3, lambdaLocal = 1, lambdaD = 1): number {
  const s = stages;
  let a = 0,
    b = 0,
    c = 0;
  for (let i = 0; i < s; i++) a += (i + lambdaLocal * x[12 + i]) * x[i];
  a = a / (s * (1 + lambdaD * x[9]));
  for (let i = 0; i < s; i++) b += (i + lambdaLocal * x[15 + i]) * x[3 + i];
  b = b / (s * (1 + lambdaD * x[9])) / (s * (1 + lambdaD * x[10]));
  for (let i = 0; i < s; i++) c += (i + lambdaLocal * x[18 + i]) * x[6 + i];
  c = c / (s * (1 + lambdaD * x[9])) / (s * (1 + lambdaD * x[10])) / (s * (1 + lambdaD * x[11]));
  return (a + b + c) * V;
}

/** The contract's age bands, from estimated years. */
export function ageBand(years: number): AgeBand {
  if (years < 13) return 'child';
  if (years < 18) return 'juvenile';
  if (years < 41) return 'youth';
  if (years < 61) return 'middle-aged';
  return 'aged';
}

/** SSR gender score: 1 is male, 0 is female (IMDB-WIKI labels). */
export function genderLabel(score: number): 'male' | 'female' {
  return score >= 0.5 ? 'male' : 'female';
}

/** fr_expression's 7 classes, in the FER-2013 order it was trained on. */
export const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

export function softmax(x: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  const e = Array.from(x, (v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

/** Expected value of a 66-bin Hopenet-style angle head: bins of 3° from −99°. */
export function binnedAngle(logits: ArrayLike<number>): number {
  const p = softmax(logits);
  return p.reduce((s, v, i) => s + v * i, 0) * 3 - 99;
}
