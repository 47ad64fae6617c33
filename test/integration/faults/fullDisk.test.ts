/**
 * A full disk under the local stand-ins (issue 14): s3rver's object write had no error handler, so
 * ENOSPC ended the whole server, and a crash mid-write left partial objects that broke every listing.
 * ENOSPC is injected at the file-system layer (fs-extra's createWriteStream, which s3rver writes
 * objects through), in process; test/crash/fullDisk.test.ts fills a real tmpfs. scripts/patch-s3rver.mjs
 * makes writes atomic (temporary name, renamed into place) and turns a write error into a 500 for the SDK.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { sweepPartialObjects } from '../../../functions/local/standIns';
import { reconcile } from '../../../functions/reconcile/reconcile';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';

/** The module instance s3rver writes through (untyped here: no @types/fs-extra). */
const fsExtra = createRequire(__filename)('fs-extra') as { createWriteStream: () => Writable };

let server: Awaited<ReturnType<typeof startTestServer>>;
let alice: Buffer;
const now = Date.now();

const ingest = (eventId: string) =>
  post(`${server.url}/sophon/v2/face/events`, {
    event_id: eventId,
    face_image_base64: b64(alice),
    timestamp: now - 60_000,
    media_device_info: { media_device_id: 'cam-1' },
  });
const search = () => post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: b64(alice) });

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String);
}

beforeAll(async () => {
  server = await startTestServer();
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  expect((await ingest('before-full')).status).toBe(201);
});

afterAll(async () => {
  jest.restoreAllMocks();
  await server.close();
});

it('an ingest on a full disk answers 503 SERVICE_UNAVAILABLE; the server stays up, searches work, nothing partial is left', async () => {
  const spy = jest.spyOn(fsExtra, 'createWriteStream').mockImplementation(
    () =>
      new Writable({
        write(_chunk, _enc, cb) {
          cb(
            Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
              errno: -28,
            }),
          );
        },
      }),
  );
  try {
    const r = await ingest('on-full-disk');
    expect(r).toMatchObject({ status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE' } } });
    expect(spy).toHaveBeenCalled();
    const s = await search();
    expect(s.status).toBe(200);
    expect((s.body.events as Array<{ event_id: string }>).map((e) => e.event_id)).toEqual(['before-full']);
  } finally {
    spy.mockRestore();
  }
  // No partial or temporary file of the failed event anywhere in the store.
  expect(filesUnder(join(server.dataDir, 's3')).filter((f) => f.includes('on-full-disk'))).toEqual([]);
  // Space back: the same ingest succeeds.
  expect((await ingest('on-full-disk')).status).toBe(201);
});

it('a partial object a crash left (temporary file, or a 0-byte metadata file) is never listed or served, and reconcile and the next start remove them', async () => {
  const dir = join(server.dataDir, 's3', server.config.IMAGE_BUCKET, 'images');
  mkdirSync(dir, { recursive: true });
  // An older s3rver killed mid-write: the object file and an empty metadata file.
  writeFileSync(join(dir, 'torn.face._S3rver_object'), Buffer.from([0xff, 0xd8]));
  writeFileSync(join(dir, 'torn.face._S3rver_metadata.json'), '');
  // The patched one killed mid-write: only a temporary file.
  writeFileSync(join(dir, 'half.face._S3rver_object.4242.0a1b2c3d.tmp'), Buffer.from([0xff]));

  const listed: string[] = [];
  for await (const page of server.services.images.list()) listed.push(...page.map((p) => p.imageId));
  expect(listed.sort()).toEqual(
    ['before-full.face', 'before-full.scene', 'on-full-disk.face', 'on-full-disk.scene'].sort(),
  );
  expect((await fetch(`${server.url}/sophon/v2/face/images/torn.face`)).status).toBe(404);
  expect((await fetch(`${server.url}/sophon/v2/face/images/half.face`)).status).toBe(404);
  const report = await reconcile(server.services, { graceMs: 0 });
  expect(report).toMatchObject({ imagesListed: 4, kept: 4 });

  // Reconcile's sweep (npm run reconcile) leaves what is younger than its grace period (a write in flight),
  // counts in a dry run, then removes the temporary file and the torn object with its metadata.
  const s3Dir = join(server.dataDir, 's3');
  expect(sweepPartialObjects(s3Dir, { minAgeMs: 3_600_000 })).toBe(0);
  const hourAgo = new Date(Date.now() - 2 * 3_600_000);
  for (const f of filesUnder(dir)) utimesSync(join(dir, f), hourAgo, hourAgo);
  expect(sweepPartialObjects(s3Dir, { minAgeMs: 3_600_000, dryRun: true })).toBe(2);
  expect(sweepPartialObjects(s3Dir, { minAgeMs: 3_600_000 })).toBe(2);
  expect(filesUnder(dir).filter((f) => /\.tmp$|torn\.face/.test(f))).toEqual([]);
  // Whole objects stay, listed and served.
  const after: string[] = [];
  for await (const page of server.services.images.list()) after.push(...page.map((p) => p.imageId));
  expect(after.sort()).toEqual(listed);
  expect((await fetch(`${server.url}/sophon/v2/face/images/before-full.face`)).status).toBe(200);
});
