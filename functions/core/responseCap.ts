/** Room kept for the response's other fields (`query_face`, timings, the brackets). */
const ENVELOPE_BYTES = 4096;

/**
 * The leading results whose JSON fits in `maxBytes`, cut only between milliseconds (a page never splits
 * a millisecond), and the timestamp of the last millisecond kept when anything was cut. The first
 * millisecond is kept whatever its size, so iteration always advances.
 *
 * @example capResponse([{ timestamp: 5, event }], 5_000_000) // { events: [event], cut: undefined }
 */
export function capResponse<E>(
  results: Array<{ timestamp: number; event: E }>,
  maxBytes: number,
): { events: E[]; cut?: number } {
  let bytes = ENVELOPE_BYTES;
  let kept = 0;
  for (let i = 0; i < results.length;) {
    let j = i;
    let group = 0;
    for (; j < results.length && results[j].timestamp === results[i].timestamp; j++) {
      group += Buffer.byteLength(JSON.stringify(results[j].event)) + 1; // and its comma
    }
    if (kept > 0 && bytes + group > maxBytes) {
      return { events: results.slice(0, kept).map((r) => r.event), cut: results[kept - 1].timestamp };
    }
    bytes += group;
    kept = j;
    i = j;
  }
  return { events: results.map((r) => r.event) };
}
