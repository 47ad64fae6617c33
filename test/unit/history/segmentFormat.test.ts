import { ENCODED_BYTES } from '../../../functions/core/embeddingCodec';
import type { HistoryRecord } from '../../../functions/core/scan';
import {
  SegmentDamagedError,
  decodeIndex,
  decodePiece,
  decodeSegment,
  encodePiecedSegment,
  encodeSegment,
  indexLength,
  segmentHeader,
} from '../../../functions/history/segmentFormat';

const HOUR = 490_000;

function record(ms: number, eventId: string, deviceId: string, fill: number): HistoryRecord {
  const code = new Uint8Array(ENCODED_BYTES);
  for (let i = 0; i < code.length; i++) code[i] = (fill + i * 7) & 0xff;
  return { timestamp: ms, eventId, deviceId, code, doc: '' };
}

// Out of order on purpose, with a millisecond shared by two ids and a non-ASCII device id.
const records = [
  record(HOUR * 3_600_000 + 900, 'b-2', 'cam-1', 3),
  record(HOUR * 3_600_000 + 5, 'z:9', 'caméra-ü', 1),
  record(HOUR * 3_600_000 + 900, 'a.1', 'cam-1', 2),
  record(HOUR * 3_600_000 + 3_599_999, 'last', 'cam-2', 4),
];

describe('segment format', () => {
  it('decodes the same from a Buffer inside a larger allocation and from a copy into alloc', () => {
    const bytes = encodeSegment(HOUR, '17', records);
    // A Buffer view at an odd offset of a larger buffer (as Buffer.concat or a pool hands out).
    const pooled = Buffer.alloc(bytes.length + 3);
    pooled.set(bytes, 3);
    const inPool = decodeSegment(pooled.subarray(3));
    const allocated: Uint8Array[] = [];
    const copied = decodeSegment(bytes, {
      alloc: (n) => {
        allocated.push(new Uint8Array(n));
        return allocated[0];
      },
    });
    const plain = decodeSegment(bytes);
    for (const b of [inPool.block, copied.block]) {
      expect(b.records.map((r) => [r.timestamp, r.eventId, r.deviceId])).toEqual(
        plain.block.records.map((r) => [r.timestamp, r.eventId, r.deviceId]),
      );
      expect(Buffer.from(b.codes).equals(Buffer.from(plain.block.codes))).toBe(true);
    }
    expect(copied.block.codes).toBe(allocated[0]);
    expect(copied.block.records[1].code.buffer).toBe(allocated[0].buffer);
  });

  it('refuses a segment of another hour or version than the one expected, before allocating', () => {
    const bytes = encodeSegment(HOUR, '17', records);
    const alloc = jest.fn((n: number) => new Uint8Array(n));
    expect(() => decodeSegment(bytes, { alloc, expect: { hour: HOUR, version: '18' } })).toThrow(
      SegmentDamagedError,
    );
    expect(() => decodeSegment(bytes, { alloc, expect: { hour: HOUR + 1, version: '17' } })).toThrow(
      SegmentDamagedError,
    );
    expect(alloc).not.toHaveBeenCalled();
  });

  it('round-trips records in (timestamp, id) order with their devices and codes, and its header', () => {
    const bytes = encodeSegment(HOUR, '17', records);
    const { header, block } = decodeSegment(bytes);
    expect(header).toEqual({ hour: HOUR, version: '17', count: 4, devices: ['caméra-ü', 'cam-1', 'cam-2'] });
    expect(block.records.map((r) => [r.timestamp - HOUR * 3_600_000, r.eventId, r.deviceId])).toEqual([
      [5, 'z:9', 'caméra-ü'],
      [900, 'a.1', 'cam-1'],
      [900, 'b-2', 'cam-1'],
      [3_599_999, 'last', 'cam-2'],
    ]);
    const byId = new Map(records.map((r) => [r.eventId, r]));
    block.records.forEach((r, i) => {
      expect(Buffer.from(r.code).equals(Buffer.from(byId.get(r.eventId)!.code))).toBe(true);
      expect(r.doc).toBe('');
      // The block's contract: records[i].code is row i of the packed codes.
      expect(r.code.buffer).toBe(block.codes.buffer);
      expect(r.code.byteOffset).toBe(block.codes.byteOffset + i * ENCODED_BYTES);
    });
    expect(block.codes.length).toBe(4 * ENCODED_BYTES);
  });

  it('round-trips an hour with no records (all of them deleted)', () => {
    const { header, block } = decodeSegment(encodeSegment(HOUR, '3', []));
    expect(header.count).toBe(0);
    expect(block.records).toEqual([]);
    expect(block.codes.length).toBe(0);
  });

  it('detects every truncation', () => {
    const bytes = encodeSegment(HOUR, '17', records);
    for (const cut of [0, 3, 11, 40, bytes.length - 600, bytes.length - 5, bytes.length - 1]) {
      expect(() => decodeSegment(bytes.subarray(0, cut))).toThrow(SegmentDamagedError);
    }
  });

  it('detects a flipped byte anywhere (codes, timestamps, ids, header, checksum)', () => {
    const bytes = encodeSegment(HOUR, '17', records);
    for (let at = 0; at < bytes.length; at += 97) {
      const damaged = Uint8Array.from(bytes);
      damaged[at] ^= 0x20;
      expect(() => decodeSegment(damaged)).toThrow(SegmentDamagedError);
    }
    const tail = Uint8Array.from(bytes);
    tail[tail.length - 1] ^= 1;
    expect(() => segmentHeader(tail)).toThrow(SegmentDamagedError);
  });

  it('rejects bytes that are not a segment, and a record whose code is not 516 bytes', () => {
    expect(() => decodeSegment(new TextEncoder().encode('<Error>NoSuchKey</Error>'))).toThrow(
      SegmentDamagedError,
    );
    expect(() => encodeSegment(HOUR, '1', [{ ...records[0], code: new Uint8Array(10) }])).toThrow(/516/);
  });

  it('decodes a segment that sits at an offset inside a larger buffer', () => {
    const bytes = encodeSegment(HOUR, '5', records);
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 13);
    expect(decodeSegment(big.subarray(13)).block.records.map((r) => r.eventId)).toEqual([
      'z:9',
      'a.1',
      'b-2',
      'last',
    ]);
  });
});

describe('pieced segment format (hours of many records)', () => {
  // 230 records: one every 10 ms, ids out of order, and a group of 30 sharing the millisecond where a
  // 40-record piece would end (records 35..64), so that piece must hold the whole group.
  const many: HistoryRecord[] = [];
  for (let i = 0; i < 230; i++) {
    const ms = HOUR * 3_600_000 + (i >= 35 && i < 65 ? 350 : i * 10);
    many.push(record(ms, `e-${(i * 7919) % 1000}-${i}`, `cam-${i % 3}`, i));
  }
  const bytes = encodePiecedSegment(HOUR, '9', many, 40);
  const whole = decodeSegment(encodeSegment(HOUR, '9', many)).block;
  const key = (r: HistoryRecord) =>
    `${r.timestamp}|${r.eventId}|${r.deviceId}|${Buffer.from(r.code).toString('hex')}`;

  it('round-trips: the pieces in order are the hour, each a contiguous sort-key range of whole milliseconds', () => {
    const index = decodeIndex(bytes.subarray(0, indexLength(bytes)), { hour: HOUR, version: '9' });
    expect(index.count).toBe(230);
    expect(index.pieces.length).toBeGreaterThan(4);
    const pieces = index.pieces.map((p) =>
      decodePiece(bytes.subarray(p.at, p.at + p.bytes), p, { expect: { hour: HOUR, version: '9' } }),
    );
    expect(pieces.flatMap((b) => b.records).map(key)).toEqual(whole.records.map(key));
    for (const [i, p] of index.pieces.entries()) {
      expect(p.count).toBe(pieces[i].records.length);
      if (i > 0) expect(p.first).toBeGreaterThan(index.pieces[i - 1].last); // no millisecond split
      const G = HOUR * 3_600_000 + 350;
      if (!(p.first <= G && p.last >= G)) expect(p.count).toBeLessThanOrEqual(40);
    }
    // The same-millisecond group lies in one piece, which is larger than 40 for it.
    const group = index.pieces.filter(
      (p) => p.first <= HOUR * 3_600_000 + 350 && p.last >= HOUR * 3_600_000 + 350,
    );
    expect(group).toHaveLength(1);
    expect(group[0].count).toBeGreaterThan(40);
    // Read whole (an hour whose directory count said small): the same records.
    expect(decodeSegment(bytes, { expect: { hour: HOUR, version: '9' } }).block.records.map(key)).toEqual(
      whole.records.map(key),
    );
  });

  it('refuses a damaged index, a piece of another hour or version, and a piece not matching its entry', () => {
    const head = indexLength(bytes);
    for (const at of [5, 13, head - 6, head - 1]) {
      const bad = Uint8Array.from(bytes);
      bad[at] ^= 0x20;
      expect(() => decodeIndex(bad.subarray(0, head))).toThrow(SegmentDamagedError);
    }
    expect(() => decodeIndex(bytes.subarray(0, head - 1))).toThrow(SegmentDamagedError);
    expect(() => decodeIndex(bytes, { hour: HOUR, version: '10' })).toThrow(SegmentDamagedError);
    expect(() => decodeIndex(encodeSegment(HOUR, '9', many))).toThrow(SegmentDamagedError); // not pieced
    const [p0, p1] = decodeIndex(bytes).pieces;
    const body1 = bytes.subarray(p1.at, p1.at + p1.bytes);
    expect(() => decodePiece(body1, p0, { expect: { hour: HOUR, version: '9' } })).toThrow(
      SegmentDamagedError,
    );
    expect(() => decodePiece(body1, p1, { expect: { hour: HOUR + 1, version: '9' } })).toThrow(
      SegmentDamagedError,
    );
    const flipped = Uint8Array.from(body1);
    flipped[100] ^= 1;
    expect(() => decodePiece(flipped, p1, { expect: { hour: HOUR, version: '9' } })).toThrow(
      SegmentDamagedError,
    );
  });
});
