import { encodeEmbedding, ENCODED_BYTES } from '../../../functions/core/embeddingCodec';
import { scoreCodes } from '../../../functions/core/similarity';

function randomUnit(): Float32Array {
  const v = Float32Array.from({ length: 512 }, () => Math.random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('scoreCodes', () => {
  it('computes cosines of packed codes within int8 quantization error', () => {
    const q = randomUnit();
    const rows = [q, randomUnit(), q.map((x) => -x)];
    const packed = new Uint8Array(rows.length * ENCODED_BYTES);
    rows.forEach((r, i) => packed.set(encodeEmbedding(r), i * ENCODED_BYTES));
    const out = new Float32Array(rows.length);
    scoreCodes(q, packed, rows.length, out);
    const exact = rows.map((r) => r.reduce((s, x, i) => s + x * q[i], 0));
    out.forEach((c, i) => expect(Math.abs(c - exact[i])).toBeLessThan(0.01));
    expect(out[0]).toBeGreaterThan(0.99);
    expect(out[2]).toBeLessThan(-0.99);
  });
});
