/**
 * The stand-ins themselves fail: dynalite or s3rver stops (connections reset, new ones refused), hangs
 * (accepts, never answers) or slows down, between requests or in the middle of one. The server answers
 * SERVICE_UNAVAILABLE after a bounded number of bounded attempts, never crashes, and works again as soon
 * as the stand-in is back.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import { randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { reconcile } from '../../../functions/reconcile/reconcile';
import { b64, faceCrop, facesOf, photo, post } from '../api/helpers';
import {
  type Attempt,
  type FaultServer,
  faultTally,
  faultsInjected,
  recordAttempts,
  startFaultServer,
  storedImageIds,
} from './faultKit';
import { DEFAULT_MESSAGES } from '../../../functions/core/errors';

let s: FaultServer;
let alice: Buffer;
const now = Date.now();
const HOUR = 3_600_000;
// Short enough that the hung and slow cases end in seconds; long enough that a healthy dynalite, serving a
// search's few dozen queries on this same loaded event loop, answers each first attempt in time: once
// the earlier cases have spent the SDK's retry quota, a first attempt that times out is a 503.
const REQUEST_TIMEOUT_MS = 2500;
const UNAVAILABLE = {
  status: 503,
  body: { error: { code: 'SERVICE_UNAVAILABLE', message: DEFAULT_MESSAGES.SERVICE_UNAVAILABLE } },
};

const search = (body: Record<string, unknown> = { face_image_base64: b64(alice) }) =>
  post(`${s.url}/sophon/v2/face/searchbyimage`, body);
const ingest = (eventId: string, minutesAgo: number) =>
  post(`${s.url}/sophon/v2/face/events`, {
    event_id: eventId,
    face_image_base64: b64(alice),
    timestamp: now - minutesAgo * 60_000,
    media_device_info: { media_device_id: 'cam-1' },
  });
const ids = (r: { body: Record<string, unknown> }) =>
  ((r.body.events ?? []) as Array<{ event_id: string }>).map((e) => e.event_id);
const attemptsOf = (attempts: Attempt[], commandName: string, call = 0) =>
  attempts.filter((a) => a.commandName === commandName && a.call === call).map((a) => a.attempt);
/** The attempts of the first call of `commandName` (the search's slot is its first PutItem). */
const firstCallOf = (attempts: Attempt[], commandName: string) =>
  attemptsOf(attempts, commandName, attempts.find((a) => a.commandName === commandName)?.call ?? -1);

/** Unhandled rejections (for example of a read-ahead query) would crash a Lambda container. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  s = await startFaultServer({ STORAGE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  expect((await ingest('before', 120)).status).toBe(201);
  await s.services.clients.s3.send(
    new PutObjectCommand({ Bucket: s.config.IMAGE_BUCKET, Key: 'people/alice.jpg', Body: alice }),
  );
}, 60_000);

afterEach(async () => {
  await s.dynamoProxy.restart();
  await s.s3Proxy.restart();
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await s?.close();
  console.log(`faults/outage: ${faultsInjected()} faults injected ${JSON.stringify(faultTally)}`);
});

it('DynamoDB stopped: search and ingest answer 503 after four attempts; both work again once it is back', async () => {
  const rec = recordAttempts(s.services.clients.dynamo);
  await s.dynamoProxy.stop();
  try {
    expect(await search()).toEqual(UNAVAILABLE);
    expect(await ingest('during-dynamo-outage', 60)).toEqual(UNAVAILABLE);
  } finally {
    rec.stop();
  }
  expect(firstCallOf(rec.attempts, 'PutItemCommand')).toEqual([1, 2, 3, 4]); // the search's slot, one conditional put
  expect(firstCallOf(rec.attempts, 'GetItemCommand')).toEqual([1, 2, 3, 4]); // the ingest's id lookup

  await s.dynamoProxy.restart();
  expect(ids(await search())).toEqual(['before']);
  expect((await ingest('during-dynamo-outage', 60)).status).toBe(201);
  expect(ids(await search())).toEqual(['during-dynamo-outage', 'before']);
});

it('S3 stopped: ingest answers 503 and stores nothing, a search by path 503, a search by base64 still works', async () => {
  await s.s3Proxy.stop();
  expect(await ingest('during-s3-outage', 59)).toEqual(UNAVAILABLE);
  expect(await search({ face_image_path: '/people/alice.jpg' })).toEqual(UNAVAILABLE);
  expect((await search()).status).toBe(200);
  expect(await s.services.events.find('during-s3-outage')).toBeUndefined();

  await s.s3Proxy.restart();
  expect(await storedImageIds(s.services.images)).not.toContain('during-s3-outage.face');
  expect(ids(await search({ face_image_path: '/people/alice.jpg' }))).toEqual([
    'during-dynamo-outage',
    'before',
  ]);
  expect((await ingest('during-s3-outage', 59)).status).toBe(201);
});

it('DynamoDB hung: each attempt is abandoned after the request timeout, 503 within seconds, not minutes', async () => {
  const rec = recordAttempts(s.services.clients.dynamo);
  s.dynamoProxy.hang();
  const t0 = performance.now();
  try {
    expect(await search()).toEqual(UNAVAILABLE);
  } finally {
    rec.stop();
  }
  const elapsed = performance.now() - t0;
  const put = rec.attempts.find((a) => a.commandName === 'PutItemCommand')!.call;
  const slot = rec.attempts.filter((a) => a.call === put); // the search's slot, one conditional put
  expect(slot.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  // Each attempt waited its full timeout before the next one started.
  for (let i = 1; i < slot.length; i++)
    expect(slot[i].at - slot[i - 1].at).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
  // 4 timeouts + at most 0.7 s of backoff ≈ 10.7 s; the SDK's default (no timeout) would wait forever.
  expect(elapsed).toBeLessThan(30_000);
  console.log(`faults/outage: hung DynamoDB answered 503 after ${Math.round(elapsed)} ms`);

  await s.dynamoProxy.restart();
  expect((await search()).status).toBe(200);
});

it('DynamoDB slow: answers within the timeout are waited for (200), slower ones retried, then 503', async () => {
  const rec = recordAttempts(s.services.clients.dynamo);
  try {
    s.dynamoProxy.slow(REQUEST_TIMEOUT_MS / 5);
    expect(ids(await search())).toEqual(['during-s3-outage', 'during-dynamo-outage', 'before']);
    expect(rec.attempts.every((a) => a.attempt === 1)).toBe(true);

    s.dynamoProxy.slow(REQUEST_TIMEOUT_MS * 1.5);
    rec.attempts.length = 0;
    expect(await search()).toEqual(UNAVAILABLE);
    expect(firstCallOf(rec.attempts, 'PutItemCommand')).toEqual([1, 2, 3, 4]);
  } finally {
    rec.stop();
  }
});

it('DynamoDB stops in the middle of a search: 503, no crash, no stray rejection; complete again once back', async () => {
  // 2,000 synthetic events over the last 8 hours: a search reads them with dozens of queries.
  const synthetic = Array.from({ length: 2000 }, (_, i) =>
    syntheticEvent(now - 5 * 60_000 - (i * 8 * HOUR) / 2000, `cam-${i % 4}`, randomUnit()),
  );
  await s.services.events.putMany(synthetic, { pointers: false });
  let queries = 0;
  const { dynamo } = s.services.clients;
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      if ((args.input as { KeyConditionExpression?: string }).KeyConditionExpression && ++queries === 10) {
        await s.dynamoProxy.stop(); // the 10th query of the search finds DynamoDB gone
      }
      return next(args);
    },
    { step: 'initialize', name: 'stopMidSearch' },
  );
  try {
    expect(await search()).toEqual(UNAVAILABLE);
  } finally {
    dynamo.middlewareStack.remove('stopMidSearch');
  }
  expect(queries).toBeGreaterThanOrEqual(10);

  await s.dynamoProxy.restart();
  const r = await search();
  expect(r.status).toBe(200);
  expect(r.body.records_examined).toBe(2000 + 3);
  expect(ids(r)).toEqual(['during-s3-outage', 'during-dynamo-outage', 'before']);
  await new Promise((r) => setTimeout(r, 100)); // let any stray rejection surface
  expect(unhandled).toEqual([]);
});

it('S3 stops between the two image writes of an ingest: 503; the image it kept is removed by reconcile', async () => {
  const { s3 } = s.services.clients;
  let puts = 0;
  let firstStored!: () => void;
  const firstDone = new Promise<void>((r) => (firstStored = r));
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutObjectCommand') return next(args);
      if (++puts === 1) {
        const out = await next(args);
        firstStored();
        return out;
      }
      await firstDone;
      await s.s3Proxy.stop();
      return next(args);
    },
    { step: 'initialize', name: 'stopMidIngest' },
  );
  const before = await storedImageIds(s.services.images);
  try {
    expect(await ingest('s3-dies-mid-ingest', 30)).toEqual(UNAVAILABLE);
  } finally {
    s3.middlewareStack.remove('stopMidIngest');
  }
  // The undo could not reach S3 either: one image is left, with no event pointing at it.
  await s.s3Proxy.restart();
  const left = (await storedImageIds(s.services.images)).filter((id) => !before.includes(id));
  expect(left).toHaveLength(1);
  expect(left[0]).toMatch(/^s3-dies-mid-ingest\.(face|scene)$/);
  expect(await s.services.events.find('s3-dies-mid-ingest')).toBeUndefined();

  const report = await reconcile(s.services, { graceMs: 0 });
  expect(report).toMatchObject({ orphanImagesRemoved: 1, orphanRecordsRemoved: 0, erasuresFinished: 0 });
  expect(await storedImageIds(s.services.images)).toEqual(before);
});
