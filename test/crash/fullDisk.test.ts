/**
 * Real full disks under the local server (issue 14; docs/store.md, "Local storage and its disk"). The
 * server runs in a child process in a private mount namespace (`unshare -rm`: a user namespace, no root
 * needed) with DATA_DIR's dynamodb/ and s3/ each on a small tmpfs of its own, so either can be filled
 * alone. This process reaches those mounts through /proc/<pid>/root. Before the fixes: s3rver's ENOSPC
 * was an unhandled stream error and dynalite rethrew LevelDB's `IO error: ... No space left on device`;
 * either ended the server, and a search (its slot lease) could not run on a full table disk.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../functions/shared/config';
import { createServices } from '../../functions/store/services';
import { b64, faceCrop, facesOf, photo } from '../integration/api/helpers';
import { audit, spawnScript, startServerChild } from './crashKit';

jest.setTimeout(300_000);

/** Mounts a tmpfs on $1/dynamodb and $1/s3 (sizes in MB), optionally fills dynamodb/, then execs the rest. */
const inSmallDisks = (dir: string, fillTable = false) => [
  'unshare',
  '-rm',
  'sh',
  '-c',
  'mount -t tmpfs -o size=24m tmpfs "$1/dynamodb" && mount -t tmpfs -o size=16m tmpfs "$1/s3" || exit 97; ' +
    (fillTable ? 'cat /dev/zero > "$1/dynamodb/filler" 2>/dev/null; ' : '') +
    'shift; exec "$@"',
  'sh',
  dir,
];

/** Fills the filesystem of `dir` to the last byte with one file; returns its path (delete it to free the space). */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (const size of [1 << 20, 1 << 12, 1]) {
    try {
      for (;;) writeSync(fd, chunk, 0, size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
  }
  closeSync(fd);
  return file;
}

let dir: string;
let alice: Buffer;
const now = Date.now();

beforeAll(async () => {
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  dir = mkdtempSync(join(tmpdir(), 'sfs-fulldisk-'));
  mkdirSync(join(dir, 'dynamodb'));
  mkdirSync(join(dir, 's3'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('an ingest on a full disk answers 503 SERVICE_UNAVAILABLE, searches keep answering, nothing half-written is left, and ingests work again once space is back', async () => {
  const server = await startServerChild(dir, {}, inSmallDisks(dir));
  const mounted = (sub: string) => `/proc/${server.child.pid}/root${dir}/${sub}`;
  const ingest = async (eventId: string) => {
    const res = await fetch(`${server.url}/sophon/v2/face/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        event_id: eventId,
        face_image_base64: b64(alice),
        timestamp: now - 60_000,
        media_device_info: { media_device_id: 'cam-1' },
      }),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const searchIds = async () => {
    const res = await fetch(`${server.url}/sophon/v2/face/searchbyimage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ face_image_base64: b64(alice), starttime: now - 3_600_000, endtime: now }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: Array<{ event_id: string }> }).events
      .map((e) => e.event_id)
      .sort();
  };
  const unavailable = { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE' } } };
  const endpoints = (await (await fetch(`${server.url}/_local/endpoints`)).json()) as {
    dynamodb: string;
    s3: string;
  };
  const store = (() => {
    const config = loadConfig({
      ...process.env,
      DATA_DIR: dir,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      S3_ENDPOINT: endpoints.s3,
    });
    return { config, services: createServices(config, { localCredentials: true }) };
  })();
  try {
    expect((await ingest('before-full')).status).toBe(201);

    // The object store's disk full (s3rver: ENOSPC on the object's first byte).
    let filler = fill(mounted('s3'));
    expect(await ingest('on-full-s3')).toMatchObject(unavailable);
    expect(await searchIds()).toEqual(['before-full']);
    rmSync(filler);

    // The table's disk full. LevelDB appends to its log inside a page tmpfs has already given it, so a
    // few small writes still land: write until the table refuses one, as it must (500, not a dead server).
    filler = fill(mounted('dynamodb'));
    let refused: { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
    for (let i = 0; i < 2000 && !refused; i++) {
      await store.services.clients.dynamo
        .send(
          new PutItemCommand({
            TableName: store.config.EVENTS_TABLE,
            Item: { pk: { S: 'FILL#' }, sk: { S: String(i) }, v: { S: 'x'.repeat(1000) } },
          }),
        )
        .catch((err: typeof refused) => (refused = err));
    }
    // The storage client's translation (store/clients.ts), carrying what the patched dynalite answered.
    expect(refused).toMatchObject({
      name: 'StorageUnavailableError',
      cause: { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } },
    });
    expect(await ingest('on-full-table')).toMatchObject(unavailable);
    // Searches still run (their slot is counted in process when its lease cannot be written).
    expect(await searchIds()).toEqual(['before-full']);
    expect(await searchIds()).toEqual(['before-full']);
    const a = await audit(store);
    expect(a.problems).toEqual([]);
    expect([...a.records.keys(), ...a.pointers.keys()].sort()).toEqual(['before-full', 'before-full']);
    // The refused ingests undid themselves: no intent, no image of theirs.
    expect(a.intents.size).toBe(0);
    expect(a.images.sort()).toEqual(['before-full.face', 'before-full.scene']);
    expect(server.child.exitCode).toBeNull();

    // Space back: the table reopens (LevelDB keeps failing writes until then), the same ingests succeed.
    rmSync(filler);
    expect((await ingest('on-full-table')).status).toBe(201);
    expect((await ingest('on-full-s3')).status).toBe(201);
    expect(await searchIds()).toEqual(['before-full', 'on-full-s3', 'on-full-table']);
    const reconcile = spawnScript('scripts/reconcile.ts', ['--grace-minutes', '0'], dir, {});
    expect(await reconcile.exited).toBe('0');
    expect(JSON.parse(reconcile.stdout().trim().split('\n').at(-1)!)).toMatchObject({
      imagesListed: 6,
      kept: 6,
      orphanImagesRemoved: 0,
      orphanRecordsRemoved: 0,
      intentsErased: 0,
      partialObjectsRemoved: 0,
    });
    const b = await audit(store);
    expect(b.problems).toEqual([]);
    expect(b.intents.size).toBe(0);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  expect(await server.exited).toBe('0');
});

it('starting on a full disk says so in one line', async () => {
  const start = spawnScript('functions/local/server.ts', [], dir, {}, inSmallDisks(dir, true));
  const marker = join(dir, 'local-server.json');
  const ended = await Promise.race([
    start.exited,
    new Promise<string>((r) => {
      const poll = setInterval(() => {
        if (start.stdout().includes('listening')) r('listening');
      }, 100);
      void start.exited.then(() => clearInterval(poll));
    }),
  ]);
  if (ended === 'listening') {
    start.child.kill('SIGTERM');
    await start.exited;
  }
  rmSync(marker, { force: true });
  // LevelDB cannot write its CURRENT file, so the start fails (exit 1); were the table to open, the
  // server would start with the warning instead. One line either way, naming the full disk.
  const full = /the disk of DATA_DIR .* \(its dynamodb\/\) is full \(0 MB free\)/;
  expect(start.stderr().trim().split('\n')).toEqual([expect.stringMatching(full)]);
  expect(['1', 'listening']).toContain(ended);
});
