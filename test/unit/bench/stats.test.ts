import { summarize } from '../../../scripts/bench/stats';
import { scoreCodesJs } from '../../../scripts/bench/jsLoop';
import { ENCODED_BYTES, encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { scoreCodes } from '../../../functions/core/similarity';

describe('summarize', () => {
  it('takes the median of odd and even samples and the nearest-rank 95th percentile', () => {
    expect(summarize([5, 1, 3])).toMatchObject({ median: 3, min: 1, runs: 3, p95: 5 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarize(hundred)).toMatchObject({ median: 50.5, p95: 95 });
  });

  it('reports an empty sample as not measured', () => {
    expect(summarize([])).toMatchObject({ runs: 0 });
    expect(summarize([]).median).toBeNaN();
  });
});

describe('the benchmark baseline', () => {
  it('scores as the kernel does, so the two are timed on the same work', () => {
    const rows = 5;
    const codes = new Uint8Array(rows * ENCODED_BYTES);
    const vs = Array.from({ length: rows }, (_, r) => {
      const v = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * (r + 1)));
      const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      return v.map((x) => x / n);
    });
    vs.forEach((v, r) => codes.set(encodeEmbedding(v), r * ENCODED_BYTES));
    const [js, wasm] = [new Float32Array(rows), new Float32Array(rows)];
    scoreCodesJs(vs[0], codes, rows, js);
    scoreCodes(vs[0], codes, rows, wasm);
    js.forEach((x, i) => expect(Math.abs(x - wasm[i])).toBeLessThan(1e-4));
    expect(js[0]).toBeGreaterThan(0.99);
  });
});
