import fc from 'fast-check';
import {
  EMBEDDING_DIM,
  ENCODED_BYTES,
  decodeEmbedding,
  encodeEmbedding,
} from '../../../functions/core/embeddingCodec';
import { Int8DotKernel } from '../../../functions/core/int8Dot';

function unit(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

/** Deterministic pseudo-random unit vectors (xorshift), so large fixtures cost no fast-check shrinking. */
function vectors(count: number, seed: number): Float32Array[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => unit(Array.from({ length: EMBEDDING_DIM }, next)));
}

function pack(vs: Float32Array[], into?: Uint8Array): Uint8Array {
  const rows = into ?? new Uint8Array(vs.length * ENCODED_BYTES);
  vs.forEach((v, i) => rows.set(encodeEmbedding(v), i * ENCODED_BYTES));
  return rows;
}

/** The reference: decode each stored row to floats and take the dot product in float64. */
function reference(query: Float32Array, rows: Uint8Array, i: number): number {
  const d = decodeEmbedding(rows.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES));
  let s = 0;
  for (let k = 0; k < EMBEDDING_DIM; k++) s += d[k] * query[k];
  return s;
}

const floats = fc.array(fc.float({ min: -1, max: 1, noNaN: true }), {
  minLength: EMBEDDING_DIM,
  maxLength: EMBEDDING_DIM,
});

describe('Int8DotKernel.score', () => {
  const kernel = Int8DotKernel.create();

  it('matches the decoded dot product within 1e-4 for any query and stored vectors', () => {
    fc.assert(
      fc.property(floats, fc.array(floats, { minLength: 1, maxLength: 6 }), (q, stored) => {
        const query = unit(q);
        const rows = pack(stored.map(unit));
        const out = new Float32Array(stored.length);
        kernel.score(query, rows, stored.length, out);
        stored.forEach((_, i) => expect(Math.abs(out[i] - reference(query, rows, i))).toBeLessThan(1e-4));
      }),
      { numRuns: 60 },
    );
  });

  it('scores a vector against its own stored form at 1 (within the int8 error)', () => {
    const [v] = vectors(1, 7);
    const out = new Float32Array(1);
    kernel.score(v, pack([v]), 1, out);
    expect(out[0]).toBeGreaterThan(0.995);
    expect(out[0]).toBeLessThanOrEqual(1.0001);
  });

  it('gives the same scores for rows in kernel memory (in place) and rows anywhere else (copied)', () => {
    // 4,096 rows per chunk: 9,001 rows cross two chunk boundaries and end mid-chunk. 61 distinct rows,
    // tiled (encoding is slow under jest), so row i holds vector i % 61.
    const n = 9001;
    const vs = vectors(61, 11);
    const [query] = vectors(1, 12);
    const plain = new Uint8Array(n * ENCODED_BYTES);
    pack(vs, plain);
    for (let i = 61; i < n; i++)
      plain.copyWithin(i * ENCODED_BYTES, (i % 61) * ENCODED_BYTES, ((i % 61) + 1) * ENCODED_BYTES);
    const inKernel = kernel.alloc(n * ENCODED_BYTES)!;
    inKernel.set(plain);
    expect(kernel.owns(inKernel)).toBe(true);
    expect(kernel.owns(plain)).toBe(false);
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    kernel.score(query, inKernel, n, a);
    kernel.score(query, plain, n, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    for (const i of [0, 4095, 4096, 8191, 8192, 9000]) {
      expect(Math.abs(a[i] - reference(query, plain, i))).toBeLessThan(1e-4);
      expect(a[i]).toBe(a[i % 61]);
    }
    kernel.release(inKernel);
  });

  it('scores only the first n rows and leaves the rest of out alone', () => {
    const vs = vectors(3, 5);
    const out = new Float32Array([7, 7, 7, 7]);
    kernel.score(vs[0], pack(vs), 2, out);
    expect(out[2]).toBe(7);
    expect(out[3]).toBe(7);
    kernel.score(vs[0], pack(vs), 0, out);
  });

  it('rejects a query of the wrong length or codes shorter than n rows', () => {
    const out = new Float32Array(2);
    expect(() => kernel.score(new Float32Array(3), new Uint8Array(ENCODED_BYTES), 1, out)).toThrow();
    expect(() => kernel.score(vectors(1, 3)[0], new Uint8Array(ENCODED_BYTES), 2, out)).toThrow();
  });
});

describe('Int8DotKernel memory', () => {
  it('keeps earlier views valid when the memory grows, and reuses released space', () => {
    const kernel = Int8DotKernel.create();
    const first = kernel.alloc(1000)!;
    first.fill(42);
    const big = kernel.alloc(8 * 1024 * 1024)!; // grows the memory
    expect(first[999]).toBe(42);
    expect(kernel.owns(first) && kernel.owns(big)).toBe(true);
    const before = kernel.allocatedBytes;
    kernel.release(big);
    expect(kernel.allocatedBytes).toBe(before - 8 * 1024 * 1024);
    const again = kernel.alloc(4 * 1024 * 1024)!;
    expect(again.byteOffset).toBe(big.byteOffset);
    expect(again.every((b) => b === 0)).toBe(true);
    expect(() => kernel.release(new Uint8Array(4))).toThrow();
  });

  it('reads a whole region with touch, and only regions in kernel memory', () => {
    const kernel = Int8DotKernel.create();
    const region = kernel.alloc(64 * 100)!;
    expect(kernel.touch(region)).toBe(0);
    region[64 * 99 + 3] = 1; // the last 64-byte block, lane 0 of its first word
    expect(kernel.touch(region)).not.toBe(0);
    expect(() => kernel.touch(new Uint8Array(64))).toThrow();
  });
});
