/**
 * One query from several embeddings of a person: the normalised mean. Averaging unit vectors keeps what
 * the photos share (the identity) and shrinks what differs (pose, light), and renormalising puts the
 * template back on the unit sphere, so compare_score's calibration applies to it as to one photo
 * (scripts/eval.ts --query-photos K measures it).
 *
 * @example const q = meanTemplate([a.embedding, b.embedding]);
 */
export function meanTemplate(embeddings: readonly Float32Array[]): Float32Array {
  if (embeddings.length === 0) throw new Error('a template needs at least one embedding');
  const dim = embeddings[0].length;
  const sum = new Float64Array(dim);
  for (const e of embeddings) {
    if (e.length !== dim) throw new Error('embeddings must have the same length');
    const n = Math.hypot(...e) || 1;
    for (let i = 0; i < dim; i++) sum[i] += e[i] / n;
  }
  const norm = Math.hypot(...sum) || 1;
  return Float32Array.from(sum, (v) => v / norm);
}
