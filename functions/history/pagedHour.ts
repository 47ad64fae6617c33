import { ENCODED_BYTES } from '../core/embeddingCodec';
import type { HistoryRecord, RecordBlock } from '../core/scan';

/**
 * The shards of one hour read page by page in scan direction and merged in exact (timestamp, id) order,
 * as blocks that never split a millisecond; reading stops when the consumer stops, so a call reads about
 * what it examines (plus one page per shard), however many events the hour holds. Each block's
 * `through` is its last millisecond, the last block's the range's far edge `edge`.
 *
 * @example for await (const b of pagedBlocks(shardPages, true, fromMs, n => read += n)) scan(b);
 */
export async function* pagedBlocks(
  shards: AsyncIterable<HistoryRecord[]>[],
  reverse: boolean,
  edge: number,
  onRead: (records: number) => void,
  /** Records per block handed to the scan (cut at the next millisecond boundary). */
  blockRecords = 1024,
): AsyncGenerator<RecordBlock> {
  const its = shards.map((s) => s[Symbol.asyncIterator]());
  const bufs: HistoryRecord[][] = its.map(() => []);
  const pos = its.map(() => 0);
  const done = its.map(() => false);
  // Every shard not exhausted has a record in hand: only then is the smallest head the next record.
  const fill = () =>
    Promise.all(
      its.map(async (it, s) => {
        while (!done[s] && pos[s] >= bufs[s].length) {
          const page = await it.next();
          if (page.done) done[s] = true;
          else {
            // A damaged item (no 516-byte code) never breaks a search: it is left out.
            bufs[s] = page.value.filter((r) => r.code.length === ENCODED_BYTES);
            pos[s] = 0;
            onRead(page.value.length);
          }
        }
      }),
    );
  const sign = reverse ? -1 : 1;
  const order = (a: HistoryRecord, b: HistoryRecord) =>
    sign * (a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  let out: HistoryRecord[] = [];
  for (;;) {
    if (its.some((_, s) => !done[s] && pos[s] >= bufs[s].length)) await fill();
    let best = -1;
    for (let s = 0; s < its.length; s++) {
      if (pos[s] < bufs[s].length && (best < 0 || order(bufs[s][pos[s]], bufs[best][pos[best]]) < 0))
        best = s;
    }
    if (best < 0) break;
    const r = bufs[best][pos[best]++];
    if (out.length >= blockRecords && r.timestamp !== out[out.length - 1].timestamp) {
      yield pack(out, reverse, out[out.length - 1].timestamp);
      out = [];
    }
    out.push(r);
  }
  yield pack(out, reverse, edge);
}

/** Records in scan order as an ascending block with its codes packed back to back. */
function pack(records: HistoryRecord[], reverse: boolean, through: number): RecordBlock {
  if (reverse) records.reverse();
  const codes = new Uint8Array(records.length * ENCODED_BYTES);
  records.forEach((r, i) => {
    codes.set(r.code, i * ENCODED_BYTES);
    r.code = codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES);
  });
  return { records, codes, through };
}
