/**
 * Test fixtures of the history read path, shared by the unit and integration suites: deterministic
 * unit vectors, and reading a HistoryReader to the end through the one block path the scan uses.
 */
import type { HistoryReader, HistoryRecord } from '../../functions/core/scan';

export const DIM = 512;

/** A deterministic pseudo-random unit vector (LCG): fixtures built in the test, no files. */
export function unit(seed: number): Float32Array {
  const v = new Float32Array(DIM);
  let s = seed >>> 0 || 1;
  let norm = 0;
  for (let i = 0; i < DIM; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
    norm += v[i] * v[i];
  }
  return v.map((x) => x / Math.sqrt(norm));
}

/**
 * Every record of a reader in scan order, block by block as the scan reads them (each block walked
 * backwards for a reverse reader); only `deviceIds`' records when given (the scan's filter), and with
 * their event JSON (`docs`: a record whose event is gone is left out).
 */
export async function readRecords(
  reader: HistoryReader,
  opts: { deviceIds?: readonly string[]; docs?: boolean } = {},
): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const b of reader.blocks()) {
    const n = b.records.length;
    for (let k = 0; k < n; k++) {
      const r = b.records[reader.reverse ? n - 1 - k : k];
      if (!opts.deviceIds || opts.deviceIds.includes(r.deviceId)) out.push(r);
    }
  }
  if (!opts.docs) return out;
  const docs = await reader.docs(out);
  return out.flatMap((r, i) => (docs[i] === undefined ? [] : [{ ...r, doc: docs[i] }]));
}
