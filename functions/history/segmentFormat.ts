import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { HistoryRecord, RecordBlock } from '../core/scan';

/**
 * A segment: one settled hour's records packed back to back, built from the hour's items at one write
 * version (the `v` of its `HV#` item). Little-endian throughout:
 *
 * | bytes | content |
 * |---|---|
 * | 4 | magic `SFSG` |
 * | 1 | format (1) |
 * | 3 | zero |
 * | 4 | header length H |
 * | H | header, JSON UTF-8: `{ hour, version, count, devices }` (devices: the hour's distinct device ids) |
 * | count × 516 | the codes, in record order (a search scores them in place: no copy, no merge) |
 * | count × 8 | timestamps (float64, integer ms) |
 * | count × 4 | device of each record (index into `devices`) |
 * | 4 + I | byte length I, then the event ids joined by `\n` (ids cannot hold one: core/event.ts ID_PATTERN) |
 * | 4 | CRC-32 of every byte before it |
 *
 * Records are in ascending (timestamp, id) order, as a RecordBlock wants them.
 */
export const SEGMENT_MAGIC = 'SFSG';
export const SEGMENT_FORMAT = 1;
/** The format of an hour packed as pieces (encodePiecedSegment). */
export const PIECED_FORMAT = 2;
/** Hours of more records than this are packed as pieces, read by range; smaller ones whole. */
export const WHOLE_HOUR_RECORDS = 20_000;
/**
 * Records per piece of a pieced hour (about 1.1 MB): what a search reads beyond what it examines is at
 * most a piece at each end, so a 1-minute window of a 150,000-event hour reads a few thousand records.
 */
export const PIECE_RECORDS = 2048;
/** Bytes of a pieced segment's start read to find its index (one range request for ~500 pieces). */
export const INDEX_PROBE_BYTES = 64 * 1024;
const PREFIX_BYTES = 12;
const LITTLE_ENDIAN = endianness() === 'LE';

/** What a segment says about itself. */
export interface SegmentHeader {
  hour: number;
  /** The hour's write version the segment was built from. */
  version: string;
  count: number;
  devices: string[];
}

/** A segment whose bytes do not check out (truncated, damaged, or not a segment at all). */
export class SegmentDamagedError extends Error {
  constructor(reason: string) {
    super(`damaged segment: ${reason}`);
    this.name = 'SegmentDamagedError';
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

const before = (a: HistoryRecord, b: HistoryRecord) =>
  a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/**
 * The segment of an hour's records (any order; sorted here) at `version`.
 *
 * @example const bytes = encodeSegment(hour, '7', records);
 */
export function encodeSegment(hour: number, version: string, records: readonly HistoryRecord[]): Uint8Array {
  const sorted = [...records].sort(before);
  const devices: string[] = [];
  const deviceIndex = new Map<string, number>();
  for (const r of sorted) {
    if (r.code.length !== ENCODED_BYTES)
      throw new Error(`record ${r.eventId}: code is not ${ENCODED_BYTES} bytes`);
    if (r.eventId.includes('\n')) throw new Error('an event id holds a newline');
    if (!deviceIndex.has(r.deviceId)) {
      deviceIndex.set(r.deviceId, devices.length);
      devices.push(r.deviceId);
    }
  }
  const n = sorted.length;
  const header = utf8.encode(JSON.stringify({ hour, version, count: n, devices } satisfies SegmentHeader));
  const ids = utf8.encode(sorted.map((r) => r.eventId).join('\n'));
  const size = PREFIX_BYTES + header.length + n * (ENCODED_BYTES + 8 + 4) + 4 + ids.length + 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(utf8.encode(SEGMENT_MAGIC), 0);
  out[4] = SEGMENT_FORMAT;
  view.setUint32(8, header.length, true);
  out.set(header, PREFIX_BYTES);
  let at = PREFIX_BYTES + header.length;
  for (const r of sorted) {
    out.set(r.code, at);
    at += ENCODED_BYTES;
  }
  for (const r of sorted) {
    view.setFloat64(at, r.timestamp, true);
    at += 8;
  }
  for (const r of sorted) {
    view.setUint32(at, deviceIndex.get(r.deviceId)!, true);
    at += 4;
  }
  view.setUint32(at, ids.length, true);
  out.set(ids, at + 4);
  at += 4 + ids.length;
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** The header alone (after the checksum is verified); throws SegmentDamagedError. */
export function segmentHeader(bytes: Uint8Array): SegmentHeader {
  return parse(bytes).header;
}

/**
 * The segment's records as one block (event JSON empty as in every scan block) and its header. The
 * codes stay in place (records[i].code is a view of the segment's bytes) unless `alloc` is given: then
 * they are copied once into what it hands out (the hour cache's kernel memory), after every check
 * passed. Throws SegmentDamagedError on any inconsistency, or when the header is not `expect`'s hour
 * and version: a reader then reads the hour's items instead.
 *
 * @example const { header, block } = decodeSegment(bytes);
 */
export function decodeSegment(
  bytes: Uint8Array,
  opts: { alloc?: (bytes: number) => Uint8Array; expect?: { hour: number; version: string } } = {},
): { header: SegmentHeader; block: RecordBlock } {
  const { alloc, expect } = opts;
  if (bytes.length > 4 && bytes[4] === PIECED_FORMAT) return decodeAllPieces(bytes, opts);
  const { header, view, codesAt } = parse(bytes);
  if (!LITTLE_ENDIAN) throw new Error('segments are read on little-endian platforms only');
  if (expect && (header.hour !== expect.hour || header.version !== expect.version)) {
    throw new SegmentDamagedError(`of hour ${header.hour} version ${header.version}, not the one asked for`);
  }
  const n = header.count;
  const stored = bytes.subarray(codesAt, codesAt + n * ENCODED_BYTES);
  const tsAt = codesAt + n * ENCODED_BYTES;
  const devAt = tsAt + n * 8;
  const idsAt = devAt + n * 4;
  const idBytes = view.getUint32(idsAt, true);
  let ids: string[];
  try {
    ids = n === 0 ? [] : fromUtf8.decode(bytes.subarray(idsAt + 4, idsAt + 4 + idBytes)).split('\n');
  } catch {
    throw new SegmentDamagedError('event ids are not UTF-8');
  }
  if (ids.length !== n) throw new SegmentDamagedError(`${ids.length} event ids for ${n} records`);
  // Copies of the sections (aligned, whatever the header's length) read as typed arrays: a few
  // milliseconds less per 5,000 records than a DataView per field. Segments are little-endian, as is
  // every platform this runs on (x86-64, Graviton).
  // (new Uint8Array(view) copies; a Buffer's slice would not.)
  const stamps = new Float64Array(new Uint8Array(bytes.subarray(tsAt, tsAt + n * 8)).buffer);
  const devs = new Uint32Array(new Uint8Array(bytes.subarray(devAt, devAt + n * 4)).buffer);
  const devices = header.devices;
  const records = new Array<HistoryRecord>(n);
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const d = devs[i];
    if (d >= devices.length) throw new SegmentDamagedError(`record ${i}: device index out of range`);
    const t = stamps[i];
    if (!(t >= last) || (t === last && ids[i - 1] >= ids[i])) {
      throw new SegmentDamagedError(`record ${i}: out of (timestamp, id) order`);
    }
    last = t;
    records[i] = { timestamp: t, eventId: ids[i], deviceId: devices[d], code: stored, doc: '' };
  }
  let codes = stored;
  if (alloc) {
    codes = alloc(stored.byteLength);
    codes.set(stored);
  }
  for (let i = 0; i < n; i++) records[i].code = codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES);
  return { header, block: { records, codes } };
}

/**
 * One piece of a pieced hour: a contiguous (timestamp, id) range of its records, never splitting a
 * millisecond, stored as a format-1 segment at bytes [at, at + bytes) of the object.
 */
export interface SegmentPiece {
  at: number;
  bytes: number;
  count: number;
  /** First and last timestamps (ms) and event ids: the piece's sort-key range. */
  first: number;
  last: number;
  firstId: string;
  lastId: string;
}

/** A pieced segment's index: where each piece lies, in ascending order. */
export interface SegmentIndex {
  hour: number;
  version: string;
  count: number;
  pieces: SegmentPiece[];
}

/**
 * An hour of many records as one object read by range (format 2): a checked index of pieces, then the
 * pieces, each a format-1 segment of at most `pieceRecords` records (more only for a millisecond
 * shared by more: a piece never splits one, so each piece is a scan block as it is):
 *
 * | bytes | content |
 * |---|---|
 * | 4 | magic `SFSG` |
 * | 1 | format (2) |
 * | 3 | zero |
 * | 4 | index length X |
 * | X | index, JSON UTF-8: `{ hour, version, count, pieces: [{ at, bytes, count, first, last, firstId, lastId }] }` |
 * | 4 | CRC-32 of every byte before it |
 * | ... | the pieces back to back (`at` counts from the object's first byte) |
 *
 * @example const bytes = encodePiecedSegment(hour, '7', records); // then readIndex, readPiece by range
 */
export function encodePiecedSegment(
  hour: number,
  version: string,
  records: readonly HistoryRecord[],
  pieceRecords = PIECE_RECORDS,
): Uint8Array {
  const sorted = [...records].sort(before);
  const groups: HistoryRecord[][] = [];
  let cur: HistoryRecord[] = [];
  for (const r of sorted) {
    if (cur.length >= pieceRecords && r.timestamp !== cur[cur.length - 1].timestamp) {
      groups.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) groups.push(cur);
  const bodies = groups.map((g) => encodeSegment(hour, version, g));
  const pieces = groups.map((g, i) => ({
    at: 0,
    bytes: bodies[i].length,
    count: g.length,
    first: g[0].timestamp,
    last: g[g.length - 1].timestamp,
    firstId: g[0].eventId,
    lastId: g[g.length - 1].eventId,
  }));
  // The offsets depend on the index's own length: lay out until it stops growing (twice at most).
  let index = new Uint8Array(0);
  for (let len = -1; len !== index.length;) {
    len = index.length;
    let at = PREFIX_BYTES + len + 4;
    for (const p of pieces) {
      p.at = at;
      at += p.bytes;
    }
    index = utf8.encode(
      JSON.stringify({ hour, version, count: sorted.length, pieces } satisfies SegmentIndex),
    );
  }
  const head = PREFIX_BYTES + index.length + 4;
  const out = new Uint8Array(head + bodies.reduce((s, b) => s + b.length, 0));
  const view = new DataView(out.buffer);
  out.set(utf8.encode(SEGMENT_MAGIC), 0);
  out[4] = PIECED_FORMAT;
  view.setUint32(8, index.length, true);
  out.set(index, PREFIX_BYTES);
  view.setUint32(head - 4, crc32(out.subarray(0, head - 4)), true);
  bodies.forEach((b, i) => out.set(b, pieces[i].at));
  return out;
}

/**
 * The bytes of a segment's start a reader needs for its index: the whole index when `start` holds
 * it, else how many bytes to ask for; throws SegmentDamagedError for what is not a pieced segment.
 */
export function indexLength(start: Uint8Array): number {
  if (start.length < PREFIX_BYTES) throw new SegmentDamagedError(`${start.length} bytes`);
  if (String.fromCharCode(...start.subarray(0, 4)) !== SEGMENT_MAGIC) throw new SegmentDamagedError('magic');
  if (start[4] !== PIECED_FORMAT) throw new SegmentDamagedError(`format ${start[4]}, not pieced`);
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  return PREFIX_BYTES + view.getUint32(8, true) + 4;
}

/**
 * A pieced segment's index from its first bytes (at least `indexLength`), checked: its checksum,
 * that its pieces are contiguous, ascending and never share a millisecond, and (with `expect`) its
 * hour and version. Throws SegmentDamagedError.
 */
export function decodeIndex(start: Uint8Array, expect?: { hour: number; version: string }): SegmentIndex {
  const head = indexLength(start);
  if (start.length < head) throw new SegmentDamagedError('index truncated');
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  if (crc32(start.subarray(0, head - 4)) !== view.getUint32(head - 4, true))
    throw new SegmentDamagedError('index checksum');
  let index: SegmentIndex;
  try {
    index = JSON.parse(fromUtf8.decode(start.subarray(PREFIX_BYTES, head - 4))) as SegmentIndex;
  } catch {
    throw new SegmentDamagedError('index');
  }
  if (!Number.isInteger(index?.hour) || typeof index.version !== 'string' || !Array.isArray(index.pieces))
    throw new SegmentDamagedError('index fields');
  if (expect && (index.hour !== expect.hour || index.version !== expect.version))
    throw new SegmentDamagedError(`of hour ${index.hour} version ${index.version}, not the one asked for`);
  let at = head;
  let last = -Infinity;
  let count = 0;
  for (const p of index.pieces) {
    if (p.at !== at || !(p.bytes > 0) || !(p.first > last) || !(p.last >= p.first))
      throw new SegmentDamagedError('index pieces');
    at += p.bytes;
    last = p.last;
    count += p.count;
  }
  if (count !== index.count) throw new SegmentDamagedError('index count');
  return index;
}

/** One piece's bytes decoded as a block (see decodeSegment), checked against its index entry. */
export function decodePiece(
  bytes: Uint8Array,
  piece: SegmentPiece,
  opts: { alloc?: (bytes: number) => Uint8Array; expect: { hour: number; version: string } },
): RecordBlock {
  const { block } = decodeSegment(bytes, opts);
  const rs = block.records;
  if (
    rs.length !== piece.count ||
    rs[0]?.timestamp !== piece.first ||
    rs[rs.length - 1]?.timestamp !== piece.last ||
    rs[0].eventId !== piece.firstId ||
    rs[rs.length - 1].eventId !== piece.lastId
  )
    throw new SegmentDamagedError('piece does not match its index entry');
  return block;
}

/** Every record of a pieced segment as one block (an hour read whole whose segment came pieced). */
function decodeAllPieces(
  bytes: Uint8Array,
  opts: { alloc?: (bytes: number) => Uint8Array; expect?: { hour: number; version: string } },
): { header: SegmentHeader; block: RecordBlock } {
  const index = decodeIndex(bytes, opts.expect);
  const expect = { hour: index.hour, version: index.version };
  const parts = index.pieces.map((p) => decodePiece(bytes.subarray(p.at, p.at + p.bytes), p, { expect }));
  const n = index.count;
  const codes = opts.alloc ? opts.alloc(n * ENCODED_BYTES) : new Uint8Array(n * ENCODED_BYTES);
  const records: HistoryRecord[] = [];
  const devices = new Set<string>();
  for (const part of parts) {
    codes.set(part.codes, records.length * ENCODED_BYTES);
    for (const r of part.records) {
      const i = records.length;
      devices.add(r.deviceId);
      records.push({ ...r, code: codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES) });
    }
  }
  if (bytes.length !== (index.pieces.at(-1)?.at ?? indexLength(bytes)) + (index.pieces.at(-1)?.bytes ?? 0))
    throw new SegmentDamagedError('section lengths');
  return {
    header: { hour: index.hour, version: index.version, count: n, devices: [...devices] },
    block: { records, codes },
  };
}

function parse(bytes: Uint8Array): { header: SegmentHeader; view: DataView; codesAt: number } {
  if (bytes.length < PREFIX_BYTES + 4) throw new SegmentDamagedError(`${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== SEGMENT_MAGIC) throw new SegmentDamagedError('magic');
  if (bytes[4] !== SEGMENT_FORMAT) throw new SegmentDamagedError(`format ${bytes[4]}`);
  const end = bytes.length - 4;
  if (crc32(bytes.subarray(0, end)) !== view.getUint32(end, true)) throw new SegmentDamagedError('checksum');
  const headerBytes = view.getUint32(8, true);
  if (PREFIX_BYTES + headerBytes > end) throw new SegmentDamagedError('header length');
  let header: SegmentHeader;
  try {
    header = JSON.parse(
      fromUtf8.decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)),
    ) as SegmentHeader;
  } catch {
    throw new SegmentDamagedError('header');
  }
  const n = header?.count;
  if (
    !Number.isInteger(header.hour) ||
    typeof header.version !== 'string' ||
    !Number.isInteger(n) ||
    n < 0 ||
    !Array.isArray(header.devices)
  ) {
    throw new SegmentDamagedError('header fields');
  }
  const codesAt = PREFIX_BYTES + headerBytes;
  const idsAt = codesAt + n * (ENCODED_BYTES + 8 + 4);
  if (idsAt + 4 > end || idsAt + 4 + view.getUint32(idsAt, true) !== end) {
    throw new SegmentDamagedError('section lengths');
  }
  return { header, view, codesAt };
}
