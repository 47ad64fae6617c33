/**
 * Issue 18 over HTTP against a real local server (dynalite, s3rver): ingest reads only its upload prefix,
 * a face_box never stands in for a detected face, future event times are refused, retention counts from
 * the earlier of event and ingest time (and the images' lifecycle tag follows), images are no-store, and
 * the erasure list re-applied after a simulated table restore erases the resurrected event again, and an
 * event ingested again after its erasure survives reconcile and reapply-erasures.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BatchWriteItemCommand,
  DescribeTableCommand,
  type AttributeValue,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import type { Box } from '../../../functions/core/face';
import { reapplyErasures } from '../../../functions/erase/reapplyErasures';
import { reconcile } from '../../../functions/reconcile/reconcile';
import { randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { sharedDynamoEndpoint } from '../dynamoTarget';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from './helpers';

const run = promisify(execFile);
const REPO = join(__dirname, '../../..');
let server: Awaited<ReturnType<typeof startTestServer>>;
let group: Buffer;
let boxes: Box[];
let alice: Buffer;
let bob: Buffer;
let noFace: Buffer;
/** Every PutObject the server's S3 client sends (s3rver ignores the tagging header, so it is read here). */
const puts: PutObjectCommandInput[] = [];

const INGEST = () => `${server.url}/sophon/v2/face/events`;
const SEARCH = () => `${server.url}/sophon/v2/face/searchbyimage`;
const DAY = 86_400_000;

beforeAll(async () => {
  server = await startTestServer();
  group = photo(1);
  boxes = await facesOf(group);
  alice = await faceCrop(group, boxes[0]);
  bob = await faceCrop(group, boxes[1]);
  // No face anywhere: a smooth gradient with a few shapes, made here (no fixture needed).
  const w = 480,
    h = 360;
  const pixels = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) pixels.set([(x * 255) / w, (y * 255) / h, 128], (y * w + x) * 3);
  noFace = await sharp(pixels, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toBuffer();
  const s3 = server.services.clients.s3;
  s3.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as PutObjectCommandInput;
      if (input.Key?.startsWith('images/')) puts.push(input);
      return next(args);
    },
    { step: 'initialize', name: 'recordPuts' },
  );
  for (const [key, body] of [
    ['incoming/cam-1/alice.jpg', alice],
    ['other/alice.jpg', alice],
    ['incoming/cam-1/noface.jpg', noFace],
  ] as const) {
    await s3.send(new PutObjectCommand({ Bucket: server.config.IMAGE_BUCKET, Key: key, Body: body }));
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
});

/** The error's code and the key its message names (the text before ':'). */
const code = (r: { body: { error?: { code: string; message: string } } }) =>
  r.body.error && `${r.body.error.code} ${r.body.error.message.split(':')[0]}`.trim();

describe('ingest reads only its upload prefix', () => {
  it('ingests a photo named under incoming/', async () => {
    const r = await post(INGEST(), { event_id: 'conf-ok', face_image_path: 'incoming/cam-1/alice.jpg' });
    expect(r.status).toBe(201);
  });

  it.each([
    ['another key of the bucket', 'other/alice.jpg'],
    ['the same key as s3://', () => `s3://${server.config.IMAGE_BUCKET}/other/alice.jpg`],
    ['a stored image of another event', 'images/conf-ok.scene'],
    ['a traversal out of incoming/', 'incoming/../other/alice.jpg'],
    ['incoming without its slash', 'incomingx/alice.jpg'],
  ])('refuses %s (IMAGE_NOT_OPENED), though search may read it', async (_name, path) => {
    const p = typeof path === 'function' ? path() : path;
    const r = await post(INGEST(), { event_id: 'conf-bad', face_image_path: p });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('IMAGE_NOT_OPENED face_image_path');
    expect(await server.services.events.find('conf-bad')).toBeUndefined();
  });

  it('search still reads those keys: the confinement is ingest’s, not a broken path', async () => {
    const r = await post(SEARCH(), { face_image_path: 'other/alice.jpg', threshold: 70 });
    expect(r.status).toBe(200);
  });

  it('refuses a file under IMAGE_ROOT for ingest while search reads it', async () => {
    const root = join(server.dataDir, 'photos');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'alice.jpg'), alice);
    const local = await startTestServer({ IMAGE_ROOT: root });
    try {
      const ingest = await post(`${local.url}/sophon/v2/face/events`, { face_image_path: 'alice.jpg' });
      expect(code(ingest)).toBe('IMAGE_NOT_OPENED face_image_path');
      const search = await post(`${local.url}/sophon/v2/face/searchbyimage`, {
        face_image_path: 'alice.jpg',
      });
      expect(search.status).toBe(200);
    } finally {
      await local.close();
    }
  }, 60_000);
});

describe('a face_box selects among detected faces, never replaces detection', () => {
  it('refuses a face_box on a photo without a face (NO_FACE_ERROR), by path or by base64, storing nothing', async () => {
    for (const image of [
      { face_image_path: 'incoming/cam-1/noface.jpg' },
      { face_image_base64: b64(noFace) },
    ]) {
      const r = await post(INGEST(), { event_id: 'box-noface', face_box: [100, 80, 300, 300], ...image });
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe('NO_FACE_ERROR');
    }
    expect(await server.services.events.find('box-noface')).toBeUndefined();
    expect((await fetch(`${server.url}/sophon/v2/face/images/box-noface.scene`)).status).toBe(404);
  });

  it('refuses a face_box that overlaps no detected face of a photo with faces', async () => {
    const meta = await sharp(group).metadata();
    // A corner box clear of every detected face.
    const corner: Box = [0, meta.height! - 60, 60, meta.height!];
    expect(
      boxes.every((b) => b[2] < corner[0] || b[0] > corner[2] || b[3] < corner[1] || b[1] > corner[3]),
    ).toBe(true);
    const r = await post(INGEST(), {
      event_id: 'box-corner',
      face_box: corner,
      face_image_base64: b64(group),
    });
    expect(r.body.error?.code).toBe('NO_FACE_ERROR');
  });

  it('picks the boxed face of a group photo', async () => {
    const r = await post(INGEST(), {
      event_id: 'box-bob',
      face_box: boxes[1],
      face_image_base64: b64(group),
    });
    expect(r.status).toBe(201);
    const found = await post(SEARCH(), { face_image_base64: b64(bob), threshold: 75 });
    const ids = (found.body.events as { event_id: string }[]).map((e) => e.event_id);
    expect(ids).toContain('box-bob');
  });
});

describe('retention', () => {
  const pointer = async (id: string) =>
    (
      await server.services.clients.dynamo.send(
        new GetItemCommand({
          TableName: server.config.EVENTS_TABLE,
          Key: { pk: { S: `EVENT#${id}` }, sk: { S: 'EVENT' } },
        }),
      )
    ).Item;

  it('refuses an event time more than MAX_FUTURE_SECONDS ahead (and out_timestamp too)', async () => {
    const ahead = Date.now() / 1000 + 10 * 60;
    const r = await post(INGEST(), { event_id: 'future', timestamp: ahead, face_image_base64: b64(alice) });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('INVALID_ARGUMENTS timestamp');
    const out = await post(INGEST(), {
      event_id: 'future-out',
      out_timestamp: ahead,
      face_image_base64: b64(alice),
    });
    expect(code(out)).toBe('INVALID_ARGUMENTS out_timestamp');
    // The year 2286 of the issue.
    const far = await post(INGEST(), {
      event_id: 'far',
      timestamp: 9_999_999_999,
      face_image_base64: b64(alice),
    });
    expect(code(far)).toBe('INVALID_ARGUMENTS timestamp');
    expect(await server.services.events.find('future')).toBeUndefined();
  });

  it('counts from the ingest time for an event a minute ahead (clock skew), from the event time when backdated', async () => {
    const before = Date.now();
    const skewed = await post(INGEST(), {
      event_id: 'skewed',
      timestamp: (before + 60_000) / 1000,
      face_image_base64: b64(alice),
    });
    expect(skewed.status).toBe(201);
    const after = Date.now();
    const days = server.config.RETENTION_DAYS;
    const exp = Number((await pointer('skewed'))!.expiresAt.N);
    expect(exp).toBeGreaterThanOrEqual(Math.floor(before / 1000) + days * 86_400);
    expect(exp).toBeLessThanOrEqual(Math.floor(after / 1000) + days * 86_400);

    // Half a day more than 30: the whole days left (59 of 90) do not depend on how fast the ingest runs.
    const back = before - 30.5 * DAY;
    const old = await post(INGEST(), {
      event_id: 'backdated',
      timestamp: back / 1000,
      face_image_base64: b64(alice),
    });
    expect(old.status).toBe(201);
    expect(Number((await pointer('backdated'))!.expiresAt.N)).toBe(Math.floor(back / 1000) + days * 86_400);
  });

  it('a search returns no event past its retention, though its item is still stored (dynalite never sweeps), and reads no hour wholly past it', async () => {
    const days = server.config.RETENTION_DAYS;
    const now = Date.now();
    const edge = now - days * DAY;
    const hourPast = Math.floor(edge / 3_600_000) * 3_600_000 - 3 * 3_600_000; // an hour wholly past
    const at = (ms: number, id: string) => syntheticEvent(ms, 'cam-ret', randomUnit(), {}, id);
    await server.services.events.putMany([
      at(hourPast, 'ret-old-0'),
      at(hourPast + 1000, 'ret-old-1'),
      at(hourPast + 2000, 'ret-old-2'),
      at(edge - 60_000, 'ret-expired'),
      at(edge + 10 * 60_000, 'ret-kept'), // kept for the test's first 10 minutes
      at(now - DAY, 'ret-fresh'),
    ]);
    // dynalite never sweeps: the items are there, so what hides them below is the search's filter.
    // DynamoDB Local (npm run test:dynamodb-local) sweeps expired items in the background, maybe already.
    if (!sharedDynamoEndpoint()) {
      expect(await server.services.events.find('ret-old-0')).toBeDefined();
      expect(await server.services.events.find('ret-expired')).toBeDefined();
    }
    for (const reverse of [true, false]) {
      const r = await post(SEARCH(), {
        face_image_base64: b64(alice),
        threshold: 0,
        media_device_ids: ['cam-ret'],
        starttime: 0,
        endtime: now / 1000,
        reverse,
      });
      expect(r.status).toBe(200);
      const ids = (r.body.events as { event_id: string }[]).map((e) => e.event_id);
      expect(ids).toEqual(reverse ? ['ret-fresh', 'ret-kept'] : ['ret-kept', 'ret-fresh']);
      expect(r.body.have_more).toBe(false);
    }
    // The hour wholly past retention is not even read (its three items are still stored).
    const past = await post(SEARCH(), {
      face_image_base64: b64(alice),
      threshold: 0,
      starttime: hourPast / 1000,
      endtime: (hourPast + 3_599_999) / 1000,
    });
    expect(past.body).toMatchObject({ events: [], have_more: false, records_read: 0 });
  });

  it('tags the images of a backdated event to expire no later than it (and a fresh one with the retention)', () => {
    const tag = (key: string) => puts.filter((p) => p.Key === key).map((p) => p.Tagging);
    const days = server.config.RETENTION_DAYS;
    for (const kind of ['face', 'scene']) {
      expect(tag(`images/backdated.${kind}`)).toEqual([`retention-days=${days - 31}`]);
      expect(tag(`images/skewed.${kind}`)).toEqual([`retention-days=${days}`]);
    }
  });
});

describe('erasure', () => {
  it('serves images with Cache-Control: no-store', async () => {
    const res = await fetch(`${server.url}/sophon/v2/face/images/conf-ok.face`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('re-erases an erased event that a table restore brought back (reapply-erasures)', async () => {
    const { dynamo, s3 } = server.services.clients;
    const table = server.config.EVENTS_TABLE;
    for (const [id, face] of [
      ['erase-me', alice],
      ['keep-me', bob],
    ] as const) {
      expect((await post(INGEST(), { event_id: id, face_image_base64: b64(face) })).status).toBe(201);
    }
    // The backup: every item of the table as it is now.
    const snapshot = (await dynamo.send(new ScanCommand({ TableName: table }))).Items!;
    expect(snapshot.length).toBeGreaterThan(4);

    const del = await fetch(`${server.url}/sophon/v2/face/events/erase-me`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: server.config.IMAGE_BUCKET, Prefix: 'erasures/' }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['erasures/erase-me']);
    expect(await server.services.events.find('erase-me')).toBeUndefined();

    // The restore: the table's items as they were before the erasure (S3 is not part of a table restore).
    for (let i = 0; i < snapshot.length; i += 25) {
      const chunk: Record<string, AttributeValue>[] = snapshot.slice(i, i + 25);
      await dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: { [table]: chunk.map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
    expect(await server.services.events.find('erase-me')).toBeDefined();
    const resurrected = await post(SEARCH(), { face_image_base64: b64(alice), threshold: 75 });
    expect((resurrected.body.events as { event_id: string }[]).map((e) => e.event_id)).toContain('erase-me');

    // The documented step: the script, against this running server.
    const { stdout } = await run('npx', ['tsx', 'scripts/reapply-erasures.ts', '--url', server.url], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ listed: 1, erased: 1, kept: 0 });

    expect(await server.services.events.find('erase-me')).toBeUndefined();
    expect(await server.services.events.find('keep-me')).toBeDefined();
    const after = await post(SEARCH(), { face_image_base64: b64(alice), threshold: 75 });
    expect((after.body.events as { event_id: string }[]).map((e) => e.event_id)).not.toContain('erase-me');
    // Run again: nothing left to erase, nothing else touched.
    expect(await reapplyErasures(server.services)).toEqual({ listed: 1, erased: 0, kept: 0 });
    expect(await server.services.events.find('keep-me')).toBeDefined();
  }, 120_000);

  const ids = async (body: Buffer) =>
    (
      (await post(SEARCH(), { face_image_base64: b64(body), threshold: 75 })).body.events as {
        event_id: string;
      }[]
    ).map((e) => e.event_id);
  const erase = async (id: string) =>
    (await fetch(`${server.url}/sophon/v2/face/events/${id}`, { method: 'DELETE' })).status;

  it('keeps an event ingested again after its erasure: reconcile leaves it searchable and deletable', async () => {
    expect((await post(INGEST(), { event_id: 'again-me', face_image_base64: b64(bob) })).status).toBe(201);
    expect(await erase('again-me')).toBe(200);
    // The same event_id sent again after the erasure: new data.
    expect((await post(INGEST(), { event_id: 'again-me', face_image_base64: b64(bob) })).status).toBe(201);
    expect(await server.services.erasures.erasedAt('again-me')).toBeLessThan(
      (await server.services.events.find('again-me'))!.ingestedAtMs!,
    );

    // Past the grace period, so every pass of reconcile runs in full.
    const report = await reconcile(server.services, { now: () => Date.now() + 2 * 3_600_000 });
    expect(report).toMatchObject({ listedErasuresFinished: 0, listedErasuresNewer: 1, intentsErased: 0 });
    expect(await server.services.events.find('again-me')).toBeDefined();
    expect(await ids(bob)).toContain('again-me');
    const image = await fetch(`${server.url}/sophon/v2/face/images/again-me.face`);
    expect(image.status).toBe(200);

    expect(await erase('again-me')).toBe(200);
    expect(await ids(bob)).not.toContain('again-me');
    expect((await fetch(`${server.url}/sophon/v2/face/images/again-me.face`)).status).toBe(404);
    expect(await server.services.events.find('again-me')).toBeUndefined();
  }, 120_000);

  it('after a restore, reapply-erasures erases the old copy and keeps an event ingested again after its erasure', async () => {
    const { dynamo, s3 } = server.services.clients;
    const table = server.config.EVENTS_TABLE;
    for (const [id, face] of [
      ['old-copy', alice],
      ['new-copy', bob],
    ] as const) {
      expect((await post(INGEST(), { event_id: id, face_image_base64: b64(face) })).status).toBe(201);
    }
    expect(await erase('new-copy')).toBe(200);
    expect((await post(INGEST(), { event_id: 'new-copy', face_image_base64: b64(bob) })).status).toBe(201);
    // The restore point: new-copy as ingested after its erasure, old-copy not yet erased.
    const snapshot = (await dynamo.send(new ScanCommand({ TableName: table }))).Items!;
    expect(await erase('old-copy')).toBe(200);
    for (let i = 0; i < snapshot.length; i += 25) {
      const chunk: Record<string, AttributeValue>[] = snapshot.slice(i, i + 25);
      await dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: { [table]: chunk.map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
    expect(await ids(alice)).toContain('old-copy');

    const markers = await s3.send(
      new ListObjectsV2Command({ Bucket: server.config.IMAGE_BUCKET, Prefix: 'erasures/' }),
    );
    const { stdout } = await run('npx', ['tsx', 'scripts/reapply-erasures.ts', '--url', server.url], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      listed: markers.Contents!.length,
      erased: 1,
      kept: 1,
    });
    expect(await server.services.events.find('old-copy')).toBeUndefined();
    expect(await ids(alice)).not.toContain('old-copy');
    expect(await server.services.events.find('new-copy')).toBeDefined();
    expect(await ids(bob)).toContain('new-copy');
    // Still deletable, and then gone.
    expect(await erase('new-copy')).toBe(200);
    expect(await ids(bob)).not.toContain('new-copy');
    expect(await server.services.events.find('new-copy')).toBeUndefined();
  }, 120_000);
});

describe('decommissioning', () => {
  it('--retain erases nothing; --erase empties the bucket and deletes the table (the last test: it ends the data)', async () => {
    const { dynamo, s3 } = server.services.clients;
    const objects = async () =>
      (await s3.send(new ListObjectsV2Command({ Bucket: server.config.IMAGE_BUCKET }))).Contents ?? [];
    const before = (await objects()).length;
    expect(before).toBeGreaterThan(4);
    const cli = (args: string[]) =>
      run('npx', ['tsx', 'scripts/decommission.ts', ...args, '--url', server.url], {
        cwd: REPO,
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
    const kept = await cli(['--retain']);
    expect(kept.stdout).toMatch(/Retained on `cdk destroy`/);
    expect((await objects()).length).toBe(before);
    await expect(cli([])).rejects.toThrow(/say --erase or --retain/);

    const { stdout } = await cli(['--erase']);
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report).toEqual({ objects: { [server.config.IMAGE_BUCKET]: before }, table: 'deleted' });
    expect(await objects()).toEqual([]);
    await expect(
      dynamo.send(new DescribeTableCommand({ TableName: server.config.EVENTS_TABLE })),
    ).rejects.toThrow(/not found|ResourceNotFound|Cannot do operations on a non-existent table/i);
  }, 120_000);
});
