import { ENCODED_BYTES, decodeEmbedding, encodeEmbedding } from '../../../functions/core/embeddingCodec';

function randomUnit(seed: number): Float32Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const v = Float32Array.from({ length: 512 }, rnd);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('embedding codec (int8 + scale)', () => {
  it('stores 516 bytes', () => {
    expect(encodeEmbedding(randomUnit(1)).length).toBe(ENCODED_BYTES);
  });

  it('keeps cosine similarity within 0.005 of the float value', () => {
    for (let k = 0; k < 20; k++) {
      const a = randomUnit(k + 1),
        b = randomUnit(k + 100);
      const mixed = a.map((x, i) => 0.7 * x + 0.3 * b[i]);
      const exact = a.reduce((s, x, i) => s + x * mixed[i], 0);
      const dq = decodeEmbedding(encodeEmbedding(mixed));
      const approx = a.reduce((s, x, i) => s + x * dq[i], 0);
      expect(Math.abs(exact - approx)).toBeLessThan(0.005);
    }
  });

  it('survives a zero vector and rejects wrong sizes', () => {
    expect(Array.from(decodeEmbedding(encodeEmbedding(new Float32Array(512))))).toEqual(
      new Array(512).fill(0),
    );
    expect(() => encodeEmbedding(new Float32Array(10))).toThrow();
    expect(() => decodeEmbedding(new Uint8Array(10))).toThrow();
  });

  it('decodes from a view into a larger buffer (as DynamoDB returns binaries)', () => {
    const enc = encodeEmbedding(randomUnit(7));
    const big = new Uint8Array(ENCODED_BYTES + 8);
    big.set(enc, 8);
    expect(Array.from(decodeEmbedding(big.subarray(8)))).toEqual(Array.from(decodeEmbedding(enc)));
  });
});
