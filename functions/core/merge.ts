/**
 * Ordered merging of paged sources: the shards of one hour bucket are each sorted by sort key, and a
 * search must see their union in exact time order.
 */

/**
 * Merges sources that each yield pages of items already in order into one ordered stream. Every
 * source's next page is requested as soon as its current one arrives, so page latency overlaps.
 *
 * @example for await (const r of mergeOrdered(shards, (a, b) => a.sk < b.sk)) ...
 */
export async function* mergeOrdered<T>(
  sources: AsyncIterable<T[]>[],
  before: (a: T, b: T) => boolean,
): AsyncGenerator<T> {
  type Cursor = { it: AsyncIterator<T[]>; page: T[]; i: number; next?: Promise<IteratorResult<T[]>> };
  const cursors: Cursor[] = sources.map((s) => {
    const it = s[Symbol.asyncIterator]();
    return { it, page: [], i: 0, next: it.next() };
  });
  try {
    // Fill a cursor's page, skipping empty pages; drop it when exhausted.
    const fill = async (c: Cursor): Promise<boolean> => {
      while (c.i >= c.page.length) {
        if (!c.next) return false;
        const r = await c.next;
        if (r.done) {
          c.next = undefined;
          return false;
        }
        c.page = r.value;
        c.i = 0;
        c.next = c.it.next();
      }
      return true;
    };
    const filled = await Promise.all(cursors.map(fill));
    let active = cursors.filter((_, i) => filled[i]);
    while (active.length > 0) {
      let best = active[0];
      for (let k = 1; k < active.length; k++) {
        const c = active[k];
        if (before(c.page[c.i], best.page[best.i])) best = c;
      }
      yield best.page[best.i++];
      if (best.i >= best.page.length && !(await fill(best))) active = active.filter((c) => c !== best);
    }
  } finally {
    await Promise.all(cursors.map((c) => c.it.return?.().catch(() => undefined)));
  }
}

/**
 * Concatenates lazily created streams, starting up to `lookahead` of the following ones early so their
 * first round trips overlap the current one (a window of mostly empty hours costs one round trip per
 * `lookahead + 1` hours, not per hour).
 */
export async function* concatPrefetched<T>(
  factories: Array<() => AsyncIterable<T>>,
  lookahead: number,
): AsyncGenerator<T> {
  type Started = { it: AsyncIterator<T>; first: Promise<IteratorResult<T>> };
  const started: Started[] = [];
  const start = (i: number) => {
    if (i < factories.length && !started[i]) {
      const it = factories[i]()[Symbol.asyncIterator]();
      const first = it.next();
      first.catch(() => undefined); // observed when its turn comes
      started[i] = { it, first };
    }
  };
  let current = 0;
  try {
    for (; current < factories.length; current++) {
      for (let k = current; k <= current + lookahead; k++) start(k);
      const { it, first } = started[current];
      let r = await first;
      while (!r.done) {
        yield r.value;
        r = await it.next();
      }
    }
  } finally {
    for (let i = current; i < started.length; i++) {
      const s = started[i];
      if (s) await s.first.then(() => s.it.return?.()).catch(() => undefined);
    }
  }
}
