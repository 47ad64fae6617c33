import { ENCODED_BYTES } from '../../../functions/core/embeddingCodec';
import { Int8DotKernel } from '../../../functions/core/int8Dot';
import type { RecordBlock } from '../../../functions/core/scan';
import { HourCache, createHourCache, dropSearchCaches } from '../../../functions/history/hourCache';

/** A block of n records with empty docs: n × (516 + 96 + 2 × id and device lengths) bytes. */
function block(n: number, tag = 'x'): RecordBlock {
  const codes = new Uint8Array(n * ENCODED_BYTES).map((_, i) => i % 251);
  const records = Array.from({ length: n }, (_, i) => ({
    timestamp: i,
    eventId: `${tag}${i}`.padEnd(8, '-'),
    deviceId: 'cam1',
    code: codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES),
    doc: '',
  }));
  return { records, codes };
}
const PER_RECORD = ENCODED_BYTES + 96 + 2 * (8 + 4);

describe('HourCache', () => {
  it('serves a block while its version stands, and drops it when the version moved', () => {
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const b = block(3);
    expect(cache.set('h1', '4', b)).toBe(b);
    expect(cache.get('h1', '4')?.records.map((r) => r.eventId)).toEqual(['x0------', 'x1------', 'x2------']);
    expect(cache.get('h1', '5')).toBeUndefined();
    expect(cache.get('h1', '4')).toBeUndefined(); // the stale entry is gone, not kept for later
    expect(cache.bytes).toBe(0);
  });

  it('keeps within its byte budget by evicting the least recently used hours', () => {
    const cache = new HourCache({ budgetBytes: 10 * PER_RECORD, memory: Int8DotKernel.instance() });
    cache.set('a', '1', block(4, 'a'));
    cache.set('b', '1', block(4, 'b'));
    expect(cache.get('a', '1')).toBeDefined(); // a is now the most recent
    cache.set('c', '1', block(4, 'c')); // 12 records > 10: b goes
    expect(cache.get('b', '1')).toBeUndefined();
    expect(cache.get('a', '1')).toBeDefined();
    expect(cache.get('c', '1')).toBeDefined();
    expect(cache.bytes).toBe(8 * PER_RECORD);
    expect(cache.size).toBe(2);
  });

  it("keeps matches' event JSON by key, version and id, within a sixteenth of the budget, least recent first out", () => {
    const cache = new HourCache({ budgetBytes: 16 * 1000, memory: Int8DotKernel.instance() });
    const doc = (n: number) => `{"n":${n}}`.padEnd(200, ' ');
    cache.setDoc('h', '1', 'e1', doc(1));
    expect(cache.doc('h', '1', 'e1')).toBe(doc(1));
    expect(cache.doc('h', '2', 'e1')).toBeUndefined(); // another version of the hour
    expect(cache.doc('g', '1', 'e1')).toBeUndefined();
    cache.setDoc('h', '1', 'e2', doc(2)); // ~480 bytes each: two fit in 1,000
    expect(cache.doc('h', '1', 'e1')).toBe(doc(1)); // e1 is now the most recent
    cache.setDoc('h', '1', 'e3', doc(3)); // e2 goes
    expect(cache.doc('h', '1', 'e2')).toBeUndefined();
    expect(cache.doc('h', '1', 'e1')).toBe(doc(1));
    expect(cache.doc('h', '1', 'e3')).toBe(doc(3));
    cache.setDoc('h', '1', 'big', 'x'.repeat(1000)); // alone past the budget: not kept
    expect(cache.doc('h', '1', 'big')).toBeUndefined();
    expect(cache.doc('h', '1', 'e1')).toBe(doc(1));
    cache.clear();
    expect(cache.doc('h', '1', 'e1')).toBeUndefined();
  });

  it('does not keep a block larger than the whole budget, but still hands it back', () => {
    const cache = new HourCache({ budgetBytes: 2 * PER_RECORD, memory: Int8DotKernel.instance() });
    const big = block(3);
    expect(cache.set('big', '1', big)).toBe(big);
    expect(cache.size).toBe(0);
  });

  it('replaces an hour stored again and counts its bytes once', () => {
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    cache.set('h', '1', block(2));
    cache.set('h', '2', block(3));
    expect(cache.bytes).toBe(3 * PER_RECORD);
    expect(cache.get('h', '2')?.records).toHaveLength(3);
  });

  it('keeps a copy of the codes in the kernel memory, where they are scored without a copy', () => {
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const b = block(3);
    cache.set('h', '1', b);
    const hit = cache.get('h', '1')!;
    expect(Int8DotKernel.instance().owns(hit.codes)).toBe(true);
    expect(Buffer.from(hit.codes).equals(Buffer.from(b.codes))).toBe(true);
    expect(Buffer.from(hit.records[2].code).equals(Buffer.from(b.records[2].code))).toBe(true);
    expect(Int8DotKernel.instance().owns(b.codes)).toBe(false); // the caller's block stays its own
  });

  it('keeps a block whose codes it handed out (alloc) as it is, without a copy', () => {
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    const done = cache.claim();
    const b = block(3);
    const codes = cache.alloc(b.codes.byteLength);
    codes.set(b.codes);
    const adopted = { ...b, codes };
    expect(cache.set('h', '1', adopted)).toBe(adopted);
    expect(cache.get('h', '1')?.codes).toBe(codes);
    done();
  });

  it('retires a handed-out block too large to keep, freed once the claims holding it end', () => {
    const kernel = Int8DotKernel.instance();
    const cache = new HourCache({ budgetBytes: 2 * PER_RECORD, memory: kernel });
    const before = kernel.allocatedBytes;
    const done = cache.claim();
    const b = block(3);
    const codes = cache.alloc(b.codes.byteLength);
    codes.set(b.codes);
    cache.set('big', '1', { ...b, codes });
    expect(cache.size).toBe(0);
    expect(cache.retiredBytes).toBe(3 * ENCODED_BYTES);
    expect(Buffer.from(codes).equals(Buffer.from(b.codes))).toBe(true); // intact while claimed
    done();
    expect(cache.retiredBytes).toBe(0);
    expect(kernel.allocatedBytes).toBe(before);
  });

  it('frees an evicted block only once the claims that may hold it have ended', () => {
    const kernel = Int8DotKernel.instance();
    const cache = new HourCache({ budgetBytes: 4 * PER_RECORD, memory: Int8DotKernel.instance() });
    cache.set('a', '1', block(3, 'a'));
    const done = cache.claim();
    const held = cache.get('a', '1')!;
    const later = cache.claim(); // taken after the eviction below: cannot hold a's block
    const before = kernel.allocatedBytes;
    cache.set('b', '1', block(3, 'b')); // a goes
    const afterClaim = cache.claim();
    expect(cache.get('a', '1')).toBeUndefined();
    expect(cache.retiredBytes).toBe(3 * ENCODED_BYTES);
    later();
    afterClaim();
    expect(cache.retiredBytes).toBe(3 * ENCODED_BYTES); // the first claim is still open
    expect(Buffer.from(held.codes).equals(Buffer.from(block(3).codes))).toBe(true); // intact
    done();
    done(); // ending a claim twice counts once
    expect(cache.retiredBytes).toBe(0);
    expect(kernel.allocatedBytes).toBeLessThanOrEqual(before);
  });

  it('frees at once what no claim can hold', () => {
    const cache = new HourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    cache.set('a', '1', block(3));
    cache.set('a', '2', block(3));
    cache.delete('a');
    expect(cache.retiredBytes).toBe(0);
  });

  it('is emptied by dropSearchCaches', () => {
    const cache = createHourCache({ budgetBytes: 1e6, memory: Int8DotKernel.instance() });
    cache.set('h', '1', block(2));
    dropSearchCaches();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});
