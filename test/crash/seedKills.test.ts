/**
 * Random kill -9 during a seed (docs/store.md, "Crashes"): `npm run seed` on a folder of photos, with no
 * server running (it opens DATA_DIR itself), killed with SIGKILL at a random moment, again and again, each
 * re-run carrying new random timestamps as a real re-run does; then one run to the end. After every kill
 * the store is audited; at the end every photo is one event, reconcile finds nothing wrong, and every
 * event can be erased with nothing left.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcile } from '../../functions/reconcile/reconcile';
import { faceCrop, facesOf, photo } from '../integration/api/helpers';
import { audit, reopen, spawnScript } from './crashKit';

jest.setTimeout(900_000);

const KILLS = Number(process.env.CRASH_SEED_KILLS ?? 8);
let dir: string;
let photos: string;
let planned = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-seedkill-'));
  photos = join(dir, 'photos');
  for (const n of [1, 2]) {
    const group = photo(n);
    const boxes = (await facesOf(group)).slice(0, 4);
    for (const [k, box] of boxes.entries()) {
      mkdirSync(join(photos, `p${n}-${k}`), { recursive: true });
      writeFileSync(join(photos, `p${n}-${k}`, 'a.jpg'), await faceCrop(group, box));
      writeFileSync(join(photos, `p${n}-${k}`, 'b.jpg'), await faceCrop(group, box, 0.4));
      planned += 2;
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`stays consistent through ${KILLS} random kills of a seed, and ends with one erasable event per photo`, async () => {
  const data = join(dir, 'data');
  const log: string[] = [];
  for (let round = 0; round < KILLS; round++) {
    const seed = spawnScript('scripts/seed.ts', [photos, '--hours', '6'], data, {});
    // Start-up (stand-ins, the models loaded by the first new event) takes seconds and varies with
    // load: the clock starts when a new event's first image file appears, so the kill lands among the
    // writes of that event or of the next ones (two ingests are in flight at a time).
    const imagesDir = join(data, 's3', 'sophon-face-images', 'images');
    const count = () => (existsSync(imagesDir) ? readdirSync(imagesDir).length : 0);
    const before = count();
    let timer: NodeJS.Timeout | undefined;
    // An ingest's writes span tens to hundreds of ms after its images (more under load), the engine hundreds before the next.
    const delay = Math.round(Math.random() * 1000);
    const poll = setInterval(() => {
      if (timer || count() <= before) return;
      timer = setTimeout(() => seed.child.kill('SIGKILL'), delay);
    }, 10);
    const exit = await seed.exited;
    clearInterval(poll);
    clearTimeout(timer);
    const s = await reopen(data);
    try {
      const a = await audit(s);
      log.push(
        `round ${round + 1}: kill ${delay} ms after a new event's first image (${exit}): records ${[...a.records.values()].flat().length}, intents ${a.intents.size}, images ${a.images.length}, problems ${a.problems.join(', ') || 'none'}`,
      );
      expect(a.problems).toEqual([]);
    } finally {
      await s.close();
    }
  }
  const last = spawnScript('scripts/seed.ts', [photos, '--hours', '6'], data, {});
  expect(await last.exited).toBe('0');
  const s = await reopen(data);
  try {
    const a = await audit(s);
    log.push(`final run: ${a.records.size} events, problems ${a.problems.join(', ') || 'none'}`);
    console.log(log.join('\n'));
    expect(a.problems).toEqual([]);
    expect(a.records.size).toBe(planned);
    expect([...a.records.values()].every((t) => t.length === 1)).toBe(true);
    // A seed killed after an event's pointer but before its intent's removal leaves the intent: the re-run
    // answers "duplicate" and writes nothing, and reconcile settles it (it names the pointer's time).
    for (const [id, t] of a.intents) expect(a.pointers.get(id)).toBe(t);
    const report = await reconcile(s.services, { graceMs: 0 });
    expect(report).toMatchObject({
      intentsListed: a.intents.size,
      intentsSettled: a.intents.size,
      orphanRecordsRemoved: 0,
      staleRecordsRemoved: 0,
    });
    expect((await audit(s)).intents.size).toBe(0);
    for (const id of a.records.keys()) {
      const res = await fetch(`${s.url}/sophon/v2/face/events/${id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
    }
    await reconcile(s.services, { graceMs: 0 });
    const after = await audit(s);
    expect([
      ...after.records.keys(),
      ...after.pointers.keys(),
      ...after.intents.keys(),
      ...after.images,
    ]).toEqual([]);
    for (const id of a.records.keys())
      expect((await fetch(`${s.url}/sophon/v2/face/images/${id}.face`)).status).toBe(404);
  } finally {
    await s.close();
  }
});
