/**
 * `x` rounded to `digits` decimals, for the figures a response carries (scores, boxes, times).
 *
 * @example round(0.123456, 4) // 0.1235
 */
export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
