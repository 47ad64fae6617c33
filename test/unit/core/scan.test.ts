import { ENCODED_BYTES, encodeEmbedding as encode } from '../../../functions/core/embeddingCodec';
import { type HistoryReader, type HistoryRecord, scanHistory } from '../../../functions/core/scan';
import { unit } from '../../support/history';

const target = unit(7);
const other = unit(8);

function rec(timestamp: number, id: string, match: boolean, deviceId = 'cam-1'): HistoryRecord {
  return { timestamp, eventId: id, deviceId, code: encode(match ? target : other), doc: '{}' };
}

/** Ascending records as a reader: blocks of two milliseconds each (a block never splits one). */
function stream(records: HistoryRecord[]): HistoryReader {
  return {
    reverse: false,
    docs: async (rs) => rs.map((r) => r.doc),
    async *blocks() {
      for (let i = 0; i < records.length;) {
        let j = i;
        const stamps = new Set<number>();
        while (j < records.length && (stamps.size < 2 || stamps.has(records[j].timestamp)))
          stamps.add(records[j++].timestamp);
        const part = records.slice(i, j);
        const codes = new Uint8Array(part.length * ENCODED_BYTES);
        part.forEach((r, k) => codes.set(r.code, k * ENCODED_BYTES));
        yield { records: part, codes, through: part[part.length - 1].timestamp };
        i = j;
      }
    },
  };
}

const scan = (records: HistoryRecord[], limits = { maxExamined: 5, maxResults: 3 }, deviceIds?: string[]) =>
  scanHistory(stream(records), {
    query: target,
    minCosine: 0.9,
    limits,
    deviceIds: deviceIds && new Set(deviceIds),
  });

describe('scanHistory', () => {
  it('scores every record and returns the matches in scan order', async () => {
    const out = await scan([rec(1, 'a', true), rec(2, 'b', false), rec(3, 'c', true)]);
    expect(out.matches.map((m) => m.record.eventId)).toEqual(['a', 'c']);
    expect(out.matches[0].cosine).toBeGreaterThan(0.99);
    expect(out).toMatchObject({ examined: 3, through: 3, haveMore: false });
  });

  it('stops after maxExamined records and reports have_more', async () => {
    const records = Array.from({ length: 8 }, (_, i) => rec(i + 1, `e${i}`, false));
    const out = await scan(records);
    expect(out).toMatchObject({ examined: 5, through: 5, haveMore: true });
  });

  it('reports have_more false when the last record is exactly the cap', async () => {
    const records = Array.from({ length: 5 }, (_, i) => rec(i + 1, `e${i}`, false));
    expect(await scan(records)).toMatchObject({ examined: 5, haveMore: false });
  });

  it('never splits a millisecond at the examined cap', async () => {
    // Records 5, 6, 7 share ms 40: taking them would exceed 5, so the page ends at ms 30.
    const ts = [10, 20, 30, 30, 40, 40, 40, 50];
    const out = await scan(ts.map((t, i) => rec(t, `e${i}`, false)));
    expect(out).toMatchObject({ examined: 4, through: 30, haveMore: true });
  });

  it('never splits a millisecond at the result cap', async () => {
    const ts = [10, 20, 30, 30];
    const out = await scan(ts.map((t, i) => rec(t, `e${i}`, true)));
    expect(out.matches.map((m) => m.record.eventId)).toEqual(['e0', 'e1']);
    expect(out).toMatchObject({ through: 20, haveMore: true });
  });

  it('takes an oversized first millisecond whole so iteration always progresses', async () => {
    const out = await scan(
      Array.from({ length: 7 }, (_, i) => rec(10, `e${i}`, false)).concat(rec(11, 'x', false)),
    );
    expect(out).toMatchObject({ examined: 7, through: 10, haveMore: true });
  });

  it('examines only the requested devices', async () => {
    const out = await scan(
      [rec(1, 'a', true, 'cam-1'), rec(2, 'b', true, 'cam-2'), rec(3, 'c', true, 'cam-3')],
      undefined,
      ['cam-2', 'cam-3'],
    );
    expect(out.matches.map((m) => m.record.eventId)).toEqual(['b', 'c']);
    expect(out.examined).toBe(2);
  });

  it('reports nothing examined on an empty stream', async () => {
    expect(await scan([])).toEqual({ matches: [], examined: 0, through: undefined, haveMore: false });
  });

  it('stops between blocks when out of time, once it has advanced, at the edge it covered', async () => {
    const records = Array.from({ length: 8 }, (_, i) => rec(i + 1, `e${i}`, true));
    const out = await scanHistory(stream(records), { query: target, minCosine: 0.9, outOfTime: () => true });
    expect(out).toMatchObject({ examined: 2, through: 2, haveMore: true });
    expect(out.matches.map((m) => m.record.eventId)).toEqual(['e0', 'e1']);
  });

  it('throws when its caller is gone', async () => {
    const signal = AbortSignal.abort(new Error('gone'));
    await expect(
      scanHistory(stream([rec(1, 'a', true)]), { query: target, minCosine: 0.9, signal }),
    ).rejects.toThrow('gone');
  });

  it('resumes without loss or repetition when a client loops on through', async () => {
    // Random groups of equal timestamps; every record matches so each is seen in the results.
    const records: HistoryRecord[] = [];
    let t = 100;
    for (let i = 0; i < 60; i++) {
      if (i % 3 !== 1) t += 1 + (i % 5);
      records.push(rec(t, `e${i}`, i % 2 === 0));
    }
    const seen: string[] = [];
    let resume = -Infinity;
    for (let calls = 0; calls < 100; calls++) {
      const out = await scan(records.filter((r) => r.timestamp > resume));
      seen.push(...out.matches.map((m) => m.record.eventId));
      if (!out.haveMore) break;
      resume = out.through!;
    }
    const expected = records.filter((_, i) => i % 2 === 0).map((r) => r.eventId);
    expect(seen).toEqual(expected);
  });

  it('takes a block whole exactly as it takes it record by record (caps, directions, empty blocks)', async () => {
    // A device set naming every device makes the scan visit each record; without one it takes whole
    // blocks where no cap can stop it inside them. Both must give the same outcome.
    let seed = 5;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 40; round++) {
      const records: HistoryRecord[] = [];
      let t = 1000;
      for (let i = 0; i < 20 + Math.floor(random() * 60); i++) {
        if (random() < 0.7) t += 1 + Math.floor(random() * 3);
        records.push(rec(t, `e${String(i).padStart(3, '0')}`, random() < 0.3));
      }
      const reverse = round % 2 === 1;
      const limits = {
        maxExamined: 1 + Math.floor(random() * 40),
        maxResults: 1 + Math.floor(random() * 12),
      };
      const reader = (): HistoryReader => ({
        reverse,
        docs: async (rs) => rs.map((r) => r.doc),
        async *blocks() {
          // Blocks of 0-4 whole milliseconds, in scan order, each ascending.
          const stamps = [...new Set(records.map((r) => r.timestamp))];
          const parts: HistoryRecord[][] = [];
          for (let i = 0; i < stamps.length;) {
            const take = Math.floor(random() * 5);
            const ms = new Set(stamps.slice(i, i + take));
            parts.push(records.filter((r) => ms.has(r.timestamp)));
            i += take;
          }
          if (reverse) parts.reverse();
          for (const part of parts) {
            const codes = new Uint8Array(part.length * ENCODED_BYTES);
            part.forEach((r, k) => codes.set(r.code, k * ENCODED_BYTES));
            const edge = part.length ? part[reverse ? 0 : part.length - 1].timestamp : undefined;
            yield { records: part, codes, through: edge };
          }
        },
      });
      const seedBefore = seed;
      const whole = await scanHistory(reader(), { query: target, minCosine: 0.9, limits });
      seed = seedBefore; // the same blocks again
      const byRecord = await scanHistory(reader(), {
        query: target,
        minCosine: 0.9,
        limits,
        deviceIds: new Set(['cam-1']),
      });
      const view = (o: typeof whole) => ({ ...o, matches: o.matches.map((m) => m.record.eventId) });
      expect(view(whole)).toEqual(view(byRecord));
    }
  });
});
