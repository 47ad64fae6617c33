import { Int8DotKernel } from './int8Dot';

/**
 * Cosine similarity of one query embedding (unit length) against n stored codes packed back to back
 * (n × 516 bytes, embeddingCodec's layout), written to out[0..n). The scan's hot loop: a WebAssembly
 * SIMD kernel (int8Dot.ts), several times faster than a plain JavaScript loop (`npm run bench`). Codes
 * allocated in the kernel's memory (`Int8DotKernel.instance().alloc`) are scored without a copy.
 *
 * @example scoreCodes(query, packed, 2, out) // out[0], out[1] = cosines
 */
export function scoreCodes(query: Float32Array, codes: Uint8Array, n: number, out: Float32Array): void {
  Int8DotKernel.instance().score(query, codes, n, out);
}
