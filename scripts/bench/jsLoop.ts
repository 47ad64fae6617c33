import { EMBEDDING_DIM, ENCODED_BYTES } from '../../functions/core/embeddingCodec';

/**
 * The straightforward JavaScript scoring loop (the first version of functions/core/similarity.ts), kept
 * as the benchmark's baseline for the WebAssembly kernel. The sizes are copied into locals: under tsx,
 * an imported constant is a getter call, which would slow the inner loop tenfold and flatter the kernel.
 */
export function scoreCodesJs(query: Float32Array, codes: Uint8Array, n: number, out: Float32Array): void {
  const dim = EMBEDDING_DIM;
  const rowBytes = ENCODED_BYTES;
  const view = new DataView(codes.buffer, codes.byteOffset, codes.byteLength);
  const ints = new Int8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  for (let r = 0; r < n; r++) {
    const base = r * rowBytes;
    const scale = view.getFloat32(base, true);
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += query[i] * ints[base + 4 + i];
    out[r] = dot * scale;
  }
}
