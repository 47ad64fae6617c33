/**
 * Ingest and erasure under storage failures: no stored event ever points at a missing image, and what a
 * failure leaves behind (orphan images, a pointer-less record, a half-done erasure) is removed by the
 * failed request itself when storage lets it, else by reconcile().
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { reconcile } from '../../../functions/reconcile/reconcile';
import { randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';
import {
  errors,
  faultTally,
  faultsInjected,
  injectFaults,
  isPointerPut,
  isRecordPut,
  storedImageIds,
} from './faultKit';
import { DEFAULT_MESSAGES } from '../../../functions/core/errors';

let server: Awaited<ReturnType<typeof startTestServer>>;
let alice: Buffer;
const now = Date.now();
const UNAVAILABLE = {
  status: 503,
  body: { error: { code: 'SERVICE_UNAVAILABLE', message: DEFAULT_MESSAGES.SERVICE_UNAVAILABLE } },
};

const search = () => post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: b64(alice) });
const ingest = (eventId: string, minutesAgo: number) =>
  post(`${server.url}/sophon/v2/face/events`, {
    event_id: eventId,
    face_image_base64: b64(alice),
    timestamp: now - minutesAgo * 60_000,
    media_device_info: { media_device_id: 'cam-1' },
  });
const erase = async (eventId: string) =>
  (await fetch(`${server.url}/sophon/v2/face/events/${eventId}`, { method: 'DELETE' })).status;
const imageStatus = async (imageId: string) =>
  (await fetch(`${server.url}/sophon/v2/face/images/${imageId}`)).status;
const found = async () =>
  ((await search()).body.events as Array<{ event_id: string }>).map((e) => e.event_id);
const imagesOf = (eventId: string) => [`${eventId}.face`, `${eventId}.scene`];
const location = (eventId: string, minutesAgo: number) => ({
  eventId,
  timestampMs: now - minutesAgo * 60_000,
});

/** Runs `fn` with the faults in place, and removes them whatever happens. */
async function withFaults<T>(removers: Array<() => void>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    removers.forEach((r) => r());
  }
}

beforeAll(async () => {
  server = await startTestServer();
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  for (const [id, minutes] of [
    ['kept-1', 50],
    ['kept-2', 49],
  ] as const) {
    expect((await ingest(id, minutes)).status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  console.log(`faults/atomicity: ${faultsInjected()} faults injected ${JSON.stringify(faultTally)}`);
});

describe('a failed ingest removes what it stored', () => {
  it('event record write fails after both images were stored: 503, the images are deleted again', async () => {
    const { dynamo } = server.services.clients;
    const r = await withFaults(
      [injectFaults(dynamo, (c) => (isRecordPut(c) ? errors.dynamoInternal() : undefined))],
      () => ingest('record-fails', 40),
    );
    expect(r).toEqual(UNAVAILABLE);
    expect(await server.services.events.find('record-fails')).toBeUndefined();
    expect(await server.services.events.recordExists(location('record-fails', 40))).toBe(false);
    expect(await storedImageIds(server.services.images)).toEqual([
      ...imagesOf('kept-1'),
      ...imagesOf('kept-2'),
    ]);
  });

  it('pointer write fails after the record: 503, record then images removed, and a retry stores it (201)', async () => {
    const { dynamo } = server.services.clients;
    const r = await withFaults(
      [injectFaults(dynamo, (c) => (isPointerPut(c) ? errors.dynamoInternal() : undefined))],
      () => ingest('pointer-fails', 39),
    );
    expect(r).toEqual(UNAVAILABLE);
    expect(await server.services.events.recordExists(location('pointer-fails', 39))).toBe(false);
    expect(await storedImageIds(server.services.images)).not.toContain('pointer-fails.face');
    expect(await found()).toEqual(['kept-2', 'kept-1']);

    // The client retries with the same id once storage is back: a new event, not a "duplicate".
    const again = await ingest('pointer-fails', 39);
    expect(again.status).toBe(201);
    expect(again.body.status).toBe('created');
    expect(await found()).toEqual(['pointer-fails', 'kept-2', 'kept-1']);
  });

  it('when the undo fails too, the leftovers stay consistent and reconcile() removes them after the grace period', async () => {
    const { dynamo, s3 } = server.services.clients;
    const r = await withFaults(
      [
        injectFaults(dynamo, (c) =>
          isPointerPut(c) || c.commandName === 'DeleteItemCommand' ? errors.dynamoInternal() : undefined,
        ),
        injectFaults(s3, (c) => (c.commandName === 'DeleteObjectsCommand' ? errors.s3Internal() : undefined)),
      ],
      () => ingest('undo-fails', 38),
    );
    expect(r).toEqual(UNAVAILABLE);
    // Left: a record without a pointer, and its images. The record still points at images that exist.
    expect(await server.services.events.find('undo-fails')).toBeUndefined();
    expect(await server.services.events.recordExists(location('undo-fails', 38))).toBe(true);
    expect(await found()).toContain('undo-fails');
    expect(await imageStatus('undo-fails.face')).toBe(200);

    // Within the grace period an ingest may still be running: nothing is touched.
    const early = await reconcile(server.services, { graceMs: 60 * 60_000 });
    expect(early).toMatchObject({
      orphanImagesRemoved: 0,
      orphanRecordsRemoved: 0,
      erasuresFinished: 0,
      intentsKept: 1,
      intentsErased: 0,
    });
    // The ingest's intent (written before its record) names the record: it is found without the images.
    expect(await server.services.events.intent('undo-fails')).toMatchObject({
      timestampMs: now - 38 * 60_000,
    });

    const report = await reconcile(server.services, { graceMs: 0 });
    expect(report).toMatchObject({
      intentsListed: 1,
      intentsErased: 1, // record, images, intent
      imagesListed: 6, // kept-1, kept-2, pointer-fails: two images each (undo-fails' went with its intent)
      kept: 6,
      orphanRecordsRemoved: 0,
      orphanImagesRemoved: 0,
      erasuresFinished: 0,
      unverified: 0,
    });
    expect(await server.services.events.intent('undo-fails')).toBeUndefined();
    expect(await server.services.events.recordExists(location('undo-fails', 38))).toBe(false);
    expect(await found()).toEqual(['pointer-fails', 'kept-2', 'kept-1']);
    expect(await storedImageIds(server.services.images)).toEqual(
      [...imagesOf('kept-1'), ...imagesOf('kept-2'), ...imagesOf('pointer-fails')].sort(),
    );
  });
});

describe('DELETE removes the event first, then its images, then its pointer', () => {
  it('if the record cannot be deleted, nothing else is: the event stays whole and a retry deletes it', async () => {
    expect((await ingest('del-record-fails', 30)).status).toBe(201);
    const status = await withFaults(
      [
        injectFaults(server.services.clients.dynamo, (c) =>
          c.commandName === 'DeleteItemCommand' ? errors.dynamoInternal() : undefined,
        ),
      ],
      () => erase('del-record-fails'),
    );
    expect(status).toBe(503);
    expect(await found()).toContain('del-record-fails');
    expect(await imageStatus('del-record-fails.face')).toBe(200);
    expect(await imageStatus('del-record-fails.scene')).toBe(200);

    expect(await erase('del-record-fails')).toBe(200);
    expect(await found()).not.toContain('del-record-fails');
    expect(await imageStatus('del-record-fails.face')).toBe(404);
  });

  it('if the images cannot be deleted, the event is already unsearchable; a retried DELETE finishes', async () => {
    expect((await ingest('del-images-fail', 29)).status).toBe(201);
    const status = await withFaults(
      [
        injectFaults(server.services.clients.s3, (c) =>
          c.commandName === 'DeleteObjectsCommand' ? errors.s3Internal() : undefined,
        ),
      ],
      () => erase('del-images-fail'),
    );
    expect(status).toBe(503);
    expect(await found()).not.toContain('del-images-fail');
    expect(await imageStatus('del-images-fail.face')).toBe(200); // erasure not finished...
    expect(await server.services.events.find('del-images-fail')).toBeDefined(); // ...and still findable by id

    expect(await erase('del-images-fail')).toBe(200);
    expect(await imageStatus('del-images-fail.face')).toBe(404);
    expect(await imageStatus('del-images-fail.scene')).toBe(404);
    expect(await server.services.events.find('del-images-fail')).toBeUndefined();
    expect(await erase('del-images-fail')).toBe(404);
  });

  it('an erasure nobody retries is finished by reconcile()', async () => {
    expect((await ingest('del-abandoned', 28)).status).toBe(201);
    const status = await withFaults(
      [
        injectFaults(server.services.clients.s3, (c) =>
          c.commandName === 'DeleteObjectsCommand' ? errors.s3Internal() : undefined,
        ),
      ],
      () => erase('del-abandoned'),
    );
    expect(status).toBe(503);
    const report = await reconcile(server.services, { graceMs: 60 * 60_000 });
    // Found through the erasure list (DELETE wrote `erasures/<id>` first), within the grace period too.
    expect(report).toMatchObject({
      listedErasuresFinished: 1,
      erasuresFinished: 0,
      orphanImagesRemoved: 0,
      orphanRecordsRemoved: 0,
    });
    expect(await imageStatus('del-abandoned.face')).toBe(404);
    expect(await server.services.events.find('del-abandoned')).toBeUndefined();
    // Complete events are untouched.
    expect(await found()).toEqual(['pointer-fails', 'kept-2', 'kept-1']);
    expect(await imageStatus('kept-1.scene')).toBe(200);
  });
});

describe('reconcile()', () => {
  it('with dryRun counts and removes nothing; it never removes images it cannot tie to an event', async () => {
    const { s3 } = server.services.clients;
    const put = (key: string, metadata?: Record<string, string>) =>
      s3.send(
        new PutObjectCommand({
          Bucket: server.config.IMAGE_BUCKET,
          Key: key,
          Body: alice,
          Metadata: metadata,
        }),
      );
    await put('images/legacy.face'); // stored before images carried their event's time
    await put('images/notes.txt'); // not an event image
    await put('images/orphan.face', { 'event-ts': String(now - 60_000) }); // a failed ingest's leftover
    const before = await storedImageIds(server.services.images);

    const dry = await reconcile(server.services, { graceMs: 0, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, orphanImagesRemoved: 1, unverified: 1, foreign: 1 });
    expect(await storedImageIds(server.services.images)).toEqual(before);

    const real = await reconcile(server.services, { graceMs: 0 });
    expect(real).toMatchObject({ dryRun: false, orphanImagesRemoved: 1, unverified: 1, foreign: 1 });
    expect(await storedImageIds(server.services.images)).toEqual(before.filter((id) => id !== 'orphan.face'));
  });
});

describe('two ingests of one id with different times', () => {
  it('one record remains, at the time of the first, and no search ever sees two', async () => {
    const examined = async () => (await search()).body.records_examined as number;
    const start = await examined();
    const code = randomUnit();
    // Hours that have ended: those are the ones searches cache.
    const first = syntheticEvent(now - 5 * 3_600_000, 'cam-1', code, {}, 'race-1');
    const second = syntheticEvent(now - 4 * 3_600_000, 'cam-1', code, {}, 'race-1');
    // Hold the first just before its pointer write: its intent and record are stored by then.
    let reached!: () => void;
    let release!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    const { dynamo } = server.services.clients;
    dynamo.middlewareStack.add(
      (next) => async (args) => {
        const item = (args.input as { Item?: Record<string, { S?: string; N?: string }> }).Item;
        if (!held && item?.pk?.S === 'EVENT#race-1') {
          held = true;
          reached();
          await gate;
        }
        return next(args);
      },
      { step: 'initialize', name: 'holdFirst' },
    );
    try {
      const firstPut = server.services.events.put(first);
      await atGate;
      expect(await examined()).toBe(start + 1); // a search sees (and caches) the first's record
      // The second finds the first's intent and writes under the same key (its time).
      expect(await server.services.events.putEvent(second)).toEqual({
        status: 'created',
        timestampMs: first.timestampMs,
      });
      release();
      expect(await firstPut).toBe('duplicate');
    } finally {
      dynamo.middlewareStack.remove('holdFirst');
    }
    expect(await server.services.events.recordExists(first)).toBe(true);
    expect(await server.services.events.recordExists(second)).toBe(false);
    expect(await server.services.events.intent('race-1')).toBeUndefined();
    expect(await examined()).toBe(start + 1);
    await server.services.events.delete('race-1');
  });
});
