import fc from 'fast-check';
import { concatPrefetched, mergeOrdered } from '../../../functions/core/merge';

async function* pages<T>(items: T[], size: number) {
  for (let i = 0; i < items.length; i += size) {
    await new Promise((r) => setImmediate(r));
    yield items.slice(i, i + size);
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('mergeOrdered', () => {
  it('merges sorted paged sources into one sorted stream (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        async (lists, size) => {
          const sorted = lists.map((l) => [...l].sort((a, b) => a - b));
          const merged = await collect(
            mergeOrdered(
              sorted.map((l) => pages(l, size)),
              (a, b) => a < b,
            ),
          );
          expect(merged).toEqual(lists.flat().sort((a, b) => a - b));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('stops its sources when the consumer stops early', async () => {
    let closed = 0;
    async function* source() {
      try {
        yield [1, 2, 3];
        yield [4, 5];
      } finally {
        closed++;
      }
    }
    for await (const x of mergeOrdered([source(), source()], (a, b) => a < b)) if (x >= 2) break;
    expect(closed).toBe(2);
  });
});

describe('concatPrefetched', () => {
  it('yields the streams in order while starting the next ones early', async () => {
    const started: number[] = [];
    const make = (i: number) => () => {
      started.push(i);
      return (async function* () {
        yield i * 10;
        yield i * 10 + 1;
      })();
    };
    const it = concatPrefetched([make(0), make(1), make(2), make(3)], 2)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    expect(started).toEqual([0, 1, 2]);
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual([1, 10, 11, 20, 21, 30, 31]);
  });
});
