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
