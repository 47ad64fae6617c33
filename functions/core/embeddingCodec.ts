/**
 * The stored form of an embedding: int8 codes with one float32 scale, 516 bytes instead of 2,048.
 * Layout: bytes 0..3 scale (float32 LE), bytes 4..515 the codes. value ≈ code * scale.
 */
export const EMBEDDING_DIM = 512;
export const ENCODED_BYTES = 4 + EMBEDDING_DIM;
// Local bindings: a global lookup (`Math.x`) in a hot loop is slow inside jest's VM context (the
// test suites run this code there, 10–50× slower); plain Node is unaffected.
const { abs, max: larger, min: smaller, round } = Math;

export function encodeEmbedding(v: Float32Array): Uint8Array {
  if (v.length !== EMBEDDING_DIM) throw new Error(`embedding must have ${EMBEDDING_DIM} values`);
  let max = 0;
  for (let i = 0; i < v.length; i++) max = larger(max, abs(v[i]));
  const scale = max > 0 ? max / 127 : 1;
  const out = new Uint8Array(ENCODED_BYTES);
  new DataView(out.buffer).setFloat32(0, scale, true);
  const codes = new Int8Array(out.buffer, 4, EMBEDDING_DIM);
  for (let i = 0; i < v.length; i++) codes[i] = larger(-127, smaller(127, round(v[i] / scale)));
  return out;
}

export function decodeEmbedding(b: Uint8Array): Float32Array {
  if (b.length !== ENCODED_BYTES) throw new Error(`encoded embedding must be ${ENCODED_BYTES} bytes`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const scale = view.getFloat32(0, true);
  const out = new Float32Array(EMBEDDING_DIM);
  for (let i = 0; i < EMBEDDING_DIM; i++) out[i] = view.getInt8(4 + i) * scale;
  return out;
}
