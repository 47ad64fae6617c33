/**
 * Crash points (docs/store.md, "Crashes"): the local server (or the reconcile script) runs in a child
 * process that kills itself with SIGKILL right after its Nth storage write (CRASH_AFTER_WRITES), for
 * every N of an ingest, a DELETE and a reconcile. After each crash the same DATA_DIR is opened again and
 * checked (audit(): every record reachable through its pointer or intent, no event id twice, the store
 * lists), the interrupted operation is retried, reconcile runs, and the event is erased: nothing is
 * left, no image is served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSegmentStore } from '../../functions/history/services';
import type { LocalServer } from '../../functions/local/server';
import { reconcile } from '../../functions/reconcile/reconcile';
import { b64, faceCrop, facesOf, photo } from '../integration/api/helpers';
import { audit, prepare, reopen, spawnScript, startServerChild } from './crashKit';

jest.setTimeout(600_000);

let alice: Buffer;
const T1 = Date.now() - 3 * 3_600_000;
const T2 = Date.now() - 2 * 3_600_000; // a retry carries another time, as a re-run seed does
const ID = 'crash-ev';

const ingest = async (url: string, timestamp: number, eventId = ID) => {
  try {
    const res = await fetch(`${url}/sophon/v2/face/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        event_id: eventId,
        face_image_base64: b64(alice),
        timestamp,
        media_device_info: { media_device_id: 'cam-1' },
      }),
    });
    return res.status;
  } catch {
    return 'dropped';
  }
};
const erase = async (url: string, eventId = ID) => {
  try {
    return (await fetch(`${url}/sophon/v2/face/events/${eventId}`, { method: 'DELETE' })).status;
  } catch {
    return 'dropped';
  }
};
const imageStatus = async (url: string, imageId: string) =>
  (await fetch(`${url}/sophon/v2/face/images/${imageId}`)).status;

/** What one crash point found, for the summary printed at the end (and the report). */
const findings: Array<{ op: string; n: number; answer: string; problems: string[]; left: string }> = [];

/** After the retry and reconcile: erase, reconcile, and check that nothing at all is left. */
async function eraseAndCheckEmpty(s: LocalServer): Promise<void> {
  const del = await erase(s.url);
  expect([200, 404]).toContain(del);
  await reconcile(s.services, { graceMs: 0 });
  const a = await audit(s);
  expect(a.problems).toEqual([]);
  expect([...a.records.keys(), ...a.pointers.keys(), ...a.intents.keys(), ...a.images]).toEqual([]);
  expect(await imageStatus(s.url, `${ID}.face`)).toBe(404);
  expect(await imageStatus(s.url, `${ID}.scene`)).toBe(404);
}

const summary = (a: Awaited<ReturnType<typeof audit>>) =>
  `records ${[...a.records.values()].flat().length}, pointers ${a.pointers.size}, intents ${a.intents.size}, images ${a.images.length}`;

beforeAll(async () => {
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
});

afterAll(() => {
  console.log(
    `crash points: ${findings.length}\n` +
      findings
        .map(
          (f) =>
            `${f.op} after write ${f.n}: answer ${f.answer}; left ${f.left}; problems ${f.problems.join(', ') || 'none'}`,
        )
        .join('\n'),
  );
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sfs-crash-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An ingest's writes: 2 images, intent, hour directory entry, record, hour count and version, pointer,
 * intent removed (8).
 */
const INGEST_WRITES = 8;
it.each(Array.from({ length: INGEST_WRITES }, (_, i) => i + 1))('ingest, killed after write %i', (n) =>
  withDir(async (dir) => {
    await prepare(dir);
    const child = await startServerChild(dir, { CRASH_AFTER_WRITES: String(n) });
    const answer = await ingest(child.url, T1);
    const exit = await child.exited;
    const s = await reopen(dir);
    try {
      const a = await audit(s);
      const finding = { op: 'ingest', n, answer: String(answer), problems: a.problems, left: summary(a) };
      findings.push(finding);
      expect(exit).toBe('SIGKILL');
      expect(answer).toBe('dropped');
      // The retry completes the event under the first attempt's key, whatever time it carries.
      const retried = await ingest(s.url, T2);
      const b = await audit(s);
      finding.problems = [...a.problems, ...b.problems.map((p) => `after retry: ${p}`)];
      expect(a.problems).toEqual([]);
      expect([201, 200]).toContain(retried);
      expect(b.problems).toEqual([]);
      expect(b.records.get(ID)).toHaveLength(1);
      // Killed after its pointer: the retry answers "duplicate" and writes nothing; reconcile settles it.
      expect(b.intents.size).toBe(retried === 200 ? Number(n === INGEST_WRITES - 1) : 0);
      expect(await imageStatus(s.url, `${ID}.face`)).toBe(200);
      await reconcile(s.services, { graceMs: 0 });
      const c = await audit(s);
      expect(c.records.get(ID)).toHaveLength(1);
      expect(c.intents.size).toBe(0);
      await eraseAndCheckEmpty(s);
    } finally {
      await s.close();
    }
  }),
);

it('an ingest without a crash point makes 8 writes', () =>
  withDir(async (dir) => {
    await prepare(dir);
    const child = await startServerChild(dir, { CRASH_AFTER_WRITES: String(INGEST_WRITES + 1) });
    expect(await ingest(child.url, T1)).toBe(201);
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe('0');
  }));

/**
 * A DELETE's writes: erasure marker (`erasures/<id>`, the durable erasure list), intent marked erasing,
 * record, hour count and version, images, pointer, intent (7).
 */
const ERASE_WRITES = 7;
it.each(Array.from({ length: ERASE_WRITES }, (_, i) => i + 1))('DELETE, killed after write %i', (n) =>
  withDir(async (dir) => {
    const setup = await reopen(dir);
    expect(await ingest(setup.url, T1)).toBe(201);
    await setup.close();
    const child = await startServerChild(dir, { CRASH_AFTER_WRITES: String(n) });
    const answer = await erase(child.url);
    const exit = await child.exited;
    const s = await reopen(dir);
    try {
      const a = await audit(s);
      findings.push({ op: 'DELETE', n, answer: String(answer), problems: a.problems, left: summary(a) });
      expect(exit).toBe('SIGKILL');
      expect(a.problems).toEqual([]);
      if (n === 1) {
        // Killed after the marker only: the event is whole, its intent unmarked; reconcile finishes the
        // erasure from the erasure list, with no DELETE retried.
        expect(a.pointers.has(ID)).toBe(true);
        const r = await reconcile(s.services, { graceMs: 0 });
        expect(r.listedErasuresFinished).toBe(1);
        const b = await audit(s);
        expect([...b.records.keys(), ...b.pointers.keys(), ...b.intents.keys(), ...b.images]).toEqual([]);
        expect(await erase(s.url)).toBe(404);
      } else {
        // The retried DELETE finds what is left (pointer or intent) until the very last write.
        expect(await erase(s.url)).toBe(n < ERASE_WRITES ? 200 : 404);
      }
      await eraseAndCheckEmpty(s);
    } finally {
      await s.close();
    }
  }),
);

/**
 * Reconcile of an ingest killed after its record (images, intent, directory entry, record: searchable,
 * no pointer): it erases the event. Its writes: intent marked erasing, record, hour count and version,
 * images, intent (the pointer delete of an absent pointer is a write too): 6.
 */
const RECONCILE_WRITES = 6;
it.each(Array.from({ length: RECONCILE_WRITES }, (_, i) => i + 1))('reconcile, killed after write %i', (n) =>
  withDir(async (dir) => {
    await prepare(dir);
    const crashed = await startServerChild(dir, { CRASH_AFTER_WRITES: '5' });
    await ingest(crashed.url, T1);
    expect(await crashed.exited).toBe('SIGKILL');
    const run = spawnScript('scripts/reconcile.ts', ['--grace-minutes', '0'], dir, {
      CRASH_AFTER_WRITES: String(n),
    });
    const exit = await run.exited;
    const s = await reopen(dir);
    try {
      const a = await audit(s);
      findings.push({ op: 'reconcile', n, answer: exit, problems: a.problems, left: summary(a) });
      expect(exit).toBe('SIGKILL');
      expect(a.problems).toEqual([]);
      const again = await reconcile(s.services, { graceMs: 0 });
      expect(again.intentsListed).toBe(n < RECONCILE_WRITES ? 1 : 0);
      await eraseAndCheckEmpty(s);
    } finally {
      await s.close();
    }
  }),
);

/**
 * The history compactor (issue 12: "a compactor crash mid-write leaves readable history"). Two settled
 * hours with segments, both made stale (an event added to one, the other's only event erased); then the
 * server's compaction timer runs and is killed after each of its writes: the stale segments removed
 * (one DeleteObjects), the first hour's new segment, the second hour's (3). After each: the store audits
 * clean, a search returns exactly the live events (from segments where current, else items), the next
 * compaction leaves every segment current, and an erasure still takes the event out of search.
 */
const COMPACTION_WRITES = 3;
const searchIds = async (url: string): Promise<string[]> => {
  const res = await fetch(`${url}/sophon/v2/face/searchbyimage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      face_image_base64: b64(alice),
      starttime: T1 - 3_600_000,
      endtime: Date.now(),
      threshold: 90,
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { events: Array<{ event_id: string }> };
  return body.events.map((e) => e.event_id).sort();
};
it.each(Array.from({ length: COMPACTION_WRITES }, (_, i) => i + 1))(
  'compaction, killed after write %i',
  (n) =>
    withDir(async (dir) => {
      const setup = await reopen(dir);
      expect(await ingest(setup.url, T1, 'cmp-a')).toBe(201);
      expect(await ingest(setup.url, T2, 'cmp-b')).toBe(201);
      expect((await setup.compactor.run()).built).toBe(2);
      expect(await ingest(setup.url, T1 + 1_000, 'cmp-c')).toBe(201);
      expect(await erase(setup.url, 'cmp-b')).toBe(200);
      await setup.close();

      const child = await startServerChild(dir, {
        CRASH_AFTER_WRITES: String(n),
        COMPACTION_INTERVAL_SECONDS: '1',
      });
      const exit = await child.exited;
      const s = await reopen(dir);
      try {
        const a = await audit(s);
        const found = await searchIds(s.url);
        const segments = (await createSegmentStore(s.config, s.services.clients).list()).length;
        findings.push({
          op: 'compaction',
          n,
          answer: exit,
          problems: [
            ...a.problems,
            ...(JSON.stringify(found) === '["cmp-a","cmp-c"]' ? [] : [`search found ${found.join(',')}`]),
          ],
          left: `${summary(a)}, segments ${segments}`,
        });
        expect(exit).toBe('SIGKILL');
        expect(child.stderr()).toContain(`killed after write ${n}`);
        expect(a.problems).toEqual([]);
        expect(found).toEqual(['cmp-a', 'cmp-c']);
        // The next run (the restarted timer's) finishes the job: afterwards nothing is stale or missing.
        await s.compactor.run();
        const again = await s.compactor.run();
        expect(again).toMatchObject({ built: 0, removed: 0 });
        expect(await searchIds(s.url)).toEqual(['cmp-a', 'cmp-c']);
        // Erasure still works through the rebuilt segments.
        expect(await erase(s.url, 'cmp-a')).toBe(200);
        expect(await searchIds(s.url)).toEqual(['cmp-c']);
        await s.compactor.run();
        expect(await searchIds(s.url)).toEqual(['cmp-c']);
        await reconcile(s.services, { graceMs: 0 });
        expect((await audit(s)).problems).toEqual([]);
      } finally {
        await s.close();
      }
    }),
);
