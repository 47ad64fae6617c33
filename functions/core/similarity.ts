import { EMBEDDING_DIM, ENCODED_BYTES } from './embeddingCodec';

/**
 * Cosine similarity of one query embedding (unit length) against n stored codes packed back to back
 * (n × 516 bytes, embeddingCodec's layout), written to out[0..n). The scan's hot loop: keep the
 * signature stable so it can be optimized in place.
 *
 * @example scoreCodes(query, packed, 2, out) // out[0], out[1] = cosines
 */
export function scoreCodes(query: Float32Array, codes: Uint8Array, n: number, out: Float32Array): void {
  if (query.length !== EMBEDDING_DIM) throw new Error(`query must have ${EMBEDDING_DIM} values`);
  if (codes.length < n * ENCODED_BYTES || out.length < n) throw new Error('codes or out too short');
  const view = new DataView(codes.buffer, codes.byteOffset, codes.byteLength);
  const ints = new Int8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  for (let r = 0; r < n; r++) {
    const base = r * ENCODED_BYTES;
    const scale = view.getFloat32(base, true);
    let dot = 0;
    for (let i = 0; i < EMBEDDING_DIM; i++) dot += query[i] * ints[base + 4 + i];
    out[r] = dot * scale;
  }
}
