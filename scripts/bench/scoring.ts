/**
 * Part 2: scoring N stored embeddings against one query: the WebAssembly kernel (rows in its memory, and
 * rows elsewhere that it copies in), the plain JavaScript loop, and the memory floor: a pass that only
 * reads the same bytes with 16-byte loads.
 */
import { ENCODED_BYTES, encodeEmbedding } from '../../functions/core/embeddingCodec';
import { Int8DotKernel } from '../../functions/core/int8Dot';
import { randomUnit } from '../seed/synthetic';
import { scoreCodesJs } from './jsLoop';
import { type Summary, summarize, timeRuns } from './stats';

export interface ScoringFigures {
  n: number;
  bytes: number;
  kernel: Summary;
  kernelCopying: Summary;
  jsLoop?: Summary;
  memoryFloor: Summary;
  /** From the kernel's median. */
  recordsPerSecond: number;
  gbPerSecond: number;
  floorGbPerSecond: number;
  /** kernel median ÷ floor median. */
  timesFloor: number;
  maxAbsError: number;
}

const DISTINCT = 4096;

/**
 * `sizes` matrices of random unit vectors (4,096 distinct rows, tiled: the kernel's speed does not depend
 * on the values). Each is scored `runs` times; the JS loop only up to `jsLoopMax` rows (it is slow).
 */
export async function benchScoring(
  sizes: number[],
  runs: number,
  jsLoopMax: number,
): Promise<ScoringFigures[]> {
  const kernel = Int8DotKernel.instance();
  const distinct = new Uint8Array(DISTINCT * ENCODED_BYTES);
  for (let i = 0; i < DISTINCT; i++) distinct.set(encodeEmbedding(randomUnit()), i * ENCODED_BYTES);
  const query = randomUnit();
  const out: ScoringFigures[] = [];
  for (const n of sizes) {
    const bytes = n * ENCODED_BYTES;
    const rows = kernel.alloc(bytes);
    if (!rows) throw new Error(`no kernel memory for ${n} rows`);
    for (let i = 0; i < n; i += DISTINCT) {
      rows.set(distinct.subarray(0, Math.min(DISTINCT, n - i) * ENCODED_BYTES), i * ENCODED_BYTES);
    }
    const plain = n <= 100_000 ? rows.slice() : undefined;
    const scores = new Float32Array(n);
    const reference = new Float32Array(Math.min(n, DISTINCT));
    scoreCodesJs(query, rows, reference.length, reference);
    const inKernel = summarize(await timeRuns(() => kernel.score(query, rows, n, scores), runs, 3));
    let maxAbsError = 0;
    for (let i = 0; i < reference.length; i++)
      maxAbsError = Math.max(maxAbsError, Math.abs(scores[i] - reference[i]));
    const copying = plain
      ? summarize(await timeRuns(() => kernel.score(query, plain, n, scores), runs, 1))
      : summarize([]);
    const js =
      n <= jsLoopMax
        ? summarize(await timeRuns(() => scoreCodesJs(query, rows, n, scores), Math.min(runs, 9), 1))
        : undefined;
    const floor = summarize(await timeRuns(() => kernel.touch(rows), runs, 3));
    kernel.release(rows);
    out.push({
      n,
      bytes,
      kernel: inKernel,
      kernelCopying: copying,
      jsLoop: js,
      memoryFloor: floor,
      recordsPerSecond: n / (inKernel.median / 1000),
      gbPerSecond: bytes / 1e9 / (inKernel.median / 1000),
      floorGbPerSecond: bytes / 1e9 / (floor.median / 1000),
      timesFloor: inKernel.median / floor.median,
      maxAbsError,
    });
  }
  return out;
}
