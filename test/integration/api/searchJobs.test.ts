/**
 * Search jobs (issue 13) against the real local server: a job and the contract's iterated calls over the
 * same window answer the same events in the same order (both directions, device filters, thresholds);
 * cancellation frees the workers; a worker killed mid-piece is retried without duplicates or losses;
 * expired jobs and bad ids are 404 NOT_FOUND. History is written straight through the store adapter
 * (BatchWriteItem), most hours then packed as segments, one left to its items by a late write.
 */
import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { getFaceEngine } from '../../../functions/face';
import type { PieceTask } from '../../../functions/jobs/localRunner';
import { scanPiece } from '../../../functions/jobs/pieceScan';
import { specOf } from '../../../functions/jobs/coordinator';
import { createJobStore } from '../../../functions/jobs/services';
import { near, randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { assertConforms } from './openapiConformance';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from './helpers';

const TOTAL = 6000;
const HOUR = 3_600_000;
const T0 = Math.floor((Date.now() - 5 * 24 * HOUR) / HOUR) * HOUR; // settled, within retention
const STEP_MS = 29_000; // ~48 hours: 20 pieces of about 300 records
let server: Awaited<ReturnType<typeof startTestServer>>;
let query: string;
const END = T0 + TOTAL * STEP_MS;

type Ev = { event_id: string; compare_score: number };

beforeAll(async () => {
  server = await startTestServer(
    {
      JOB_WORKERS: '2',
      JOB_PIECE_RECORDS: '300',
      // Small pages: the contract's calls and the job's pages both span several responses.
      MAX_RESPONSE_BYTES: String(64 * 1024),
      STORAGE_REQUEST_TIMEOUT_MS: '30000',
      // One search slot: a job that took it would leave the contract's calls beside it a 429.
      MAX_CONCURRENT_SEARCHES: '1',
    },
    { tableInMemory: true },
  );
  const group = photo(2);
  const crop = await faceCrop(group, (await facesOf(group))[0]);
  query = b64(crop);
  const target = (await getFaceEngine().analyzeQuery(crop, 'low')).embedding;
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pool = Array.from({ length: 200 }, () => encodeEmbedding(randomUnit(random)));
  const batch = [];
  for (let i = 0; i < TOTAL; i++) {
    // Matches of three strengths (thresholds select different sets); pairs share a millisecond.
    const strength = i % 11 === 0 ? 0.2 : i % 17 === 0 ? 0.45 : i % 23 === 0 ? 0.7 : undefined;
    const ts = T0 + Math.floor(i / 2) * 2 * STEP_MS;
    batch.push(
      syntheticEvent(
        ts,
        `cam-${i % 3}`,
        strength === undefined ? pool[i % pool.length] : near(target, strength, random),
        {},
        `j${String(i).padStart(5, '0')}`,
      ),
    );
  }
  await server.services.events.putMany(batch, { pointers: false });
  await server.compactor.run();
  // A late write after compaction: its hour's segment is stale and the hour is read from its items.
  await server.services.events.putMany(
    [syntheticEvent(T0 + 10 * HOUR + 5, 'cam-1', near(target, 0.2, random), {}, 'late-1')],
    { pointers: false },
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
});

async function iterate(body: Record<string, unknown>): Promise<Ev[]> {
  const seen: Ev[] = [];
  let last: number | null = null;
  for (let i = 0; i < 200; i++) {
    const r = await post(`${server.url}/sophon/v2/face/searchbyimage`, { ...body, last_end_timestamp: last });
    expect(r.status).toBe(200);
    for (const e of r.body.events as Ev[])
      seen.push({ event_id: e.event_id, compare_score: e.compare_score });
    if (!r.body.have_more) return seen;
    last = r.body.endtimestamp as number;
  }
  throw new Error('the contract iteration did not end');
}

async function getJob(id: string, token?: string) {
  const url = `${server.url}/sophon/v2/face/searchjobs/${id}${token ? `?page_token=${token}` : ''}`;
  const res = await fetch(url);
  const body = (await res.json()) as Record<string, unknown>;
  assertConforms('GET', url, undefined, res.status, body, res.headers.get('content-type') ?? '');
  return { status: res.status, body };
}

async function cancel(id: string) {
  const url = `${server.url}/sophon/v2/face/searchjobs/${id}`;
  const res = await fetch(url, { method: 'DELETE' });
  const body = (await res.json()) as Record<string, unknown>;
  assertConforms('DELETE', url, undefined, res.status, body, res.headers.get('content-type') ?? '');
  return { status: res.status, body };
}

/** Runs a job to its end and reads every page: its events, pages and final state. */
async function runJob(body: Record<string, unknown>) {
  const started = await post(`${server.url}/sophon/v2/face/searchjobs`, body);
  expect(started.status).toBe(202);
  const id = started.body.job_id as string;
  await server.jobRunner.settled(id);
  const events: Ev[] = [];
  let token: string | undefined;
  let pages = 0;
  let last: Record<string, unknown> = {};
  do {
    const r = await getJob(id, token);
    expect(r.status).toBe(200);
    last = r.body;
    pages++;
    for (const e of r.body.events as Ev[])
      events.push({ event_id: e.event_id, compare_score: e.compare_score });
    token = (r.body.next_page_token as string | null) ?? undefined;
  } while (token);
  return { id, events, pages, last, total: started.body.records_total as number };
}

const window = { starttime: T0, endtime: END };

describe('a job answers what the iterated contract calls answer', () => {
  it.each([
    ['newest first', { reverse: true }],
    ['oldest first', { reverse: false }],
    ['two devices, newest first', { reverse: true, media_device_ids: ['cam-0', 'cam-2'] }],
    [
      'one device, oldest first, threshold 60',
      { reverse: false, media_device_ids: ['cam-1'], threshold: 60 },
    ],
    ['threshold 90', { reverse: true, threshold: 90 }],
  ])(
    '%s',
    async (_name, extra) => {
      const body = { face_image_base64: query, ...window, ...extra };
      const expected = await iterate(body);
      const job = await runJob(body);
      expect(expected.length).toBeGreaterThan(0);
      if (!('media_device_ids' in extra) && !('threshold' in extra)) {
        expect(expected.map((e) => e.event_id)).toContain('late-1'); // the hour read from its items
      }
      expect(job.events).toEqual(expected);
      expect(job.last.state).toBe('done');
      expect(job.last.truncated).toBe(false);
      expect(job.last.records_examined).toBe(job.total);
      expect(job.total).toBe(TOTAL + 1);
    },
    120_000,
  );

  it('pages stay under the response limit, and max_results keeps the leading events', async () => {
    const body = { face_image_base64: query, ...window, threshold: 60 };
    const expected = await iterate(body);
    const full = await runJob(body);
    expect(full.pages).toBeGreaterThan(1);
    const capped = await runJob({ ...body, max_results: 25 });
    expect(capped.events).toEqual(expected.slice(0, 25));
    expect(capped.last.truncated).toBe(true);
  }, 120_000);
});

describe('failures', () => {
  it('a worker killed with a piece in hand: the piece is retried, nothing lost or repeated', async () => {
    const body = { face_image_base64: query, ...window, reverse: false };
    const expected = await iterate(body);
    const dispatched: number[] = [];
    let killed = false;
    const onDispatch = (task: PieceTask, worker: Worker) => {
      dispatched.push(task.piece.index);
      if (!killed && task.piece.index === 3) {
        killed = true;
        void worker.terminate();
      }
    };
    server.jobRunner.pool.on('dispatch', onDispatch);
    try {
      const job = await runJob(body);
      expect(killed).toBe(true);
      expect(dispatched.filter((i) => i === 3)).toHaveLength(2);
      expect(job.last.state).toBe('done');
      expect(job.events).toEqual(expected);

      // A piece stored twice (a worker that died after storing it) is still one piece.
      const jobs = createJobStore(server.config, server.services.clients);
      const record = (await jobs.get(job.id))!;
      const r = await scanPiece(server.services.history, specOf(record), record.pieces[3]);
      await jobs.putPiece(job.id, record.expiresAt, r);
      expect((await jobs.pieces(job.id)).size).toBe(record.pieces.length);
      const again = await runPages(job.id);
      expect(again).toEqual(expected);
    } finally {
      server.jobRunner.pool.off('dispatch', onDispatch);
    }
  }, 120_000);

  it("a running job takes no search slot: the contract's call beside it answers", async () => {
    const started = await post(`${server.url}/sophon/v2/face/searchjobs`, {
      face_image_base64: query,
      ...window,
    });
    const search = await post(`${server.url}/sophon/v2/face/searchbyimage`, {
      face_image_base64: query,
      ...window,
    });
    expect(search.status).toBe(200);
    await cancel(started.body.job_id as string);
  }, 60_000);

  it('cancel stops the job and frees its workers; its results so far stay readable', async () => {
    const started = await post(`${server.url}/sophon/v2/face/searchjobs`, {
      face_image_base64: query,
      ...window,
    });
    const id = started.body.job_id as string;
    const c = await cancel(id);
    expect(c.status).toBe(200);
    expect(c.body.state).toBe('cancelled');
    expect(await server.jobRunner.runningJobs()).toBe(0);
    expect(server.jobRunner.pool.busy).toBe(0);
    expect(server.jobRunner.pool.queued).toBe(0);
    const r = await getJob(id);
    expect(r.body.state).toBe('cancelled');
    expect(r.body.records_examined as number).toBeLessThan(r.body.records_total as number);
    expect(r.body.next_page_token).toBeNull();
    // Cancelling again changes nothing.
    expect((await cancel(id)).body.state).toBe('cancelled');
  }, 60_000);

  it('an expired job is gone: 404 NOT_FOUND', async () => {
    const job = await runJob({ face_image_base64: query, ...window, threshold: 90 });
    // The table's TTL removes it within days; readers refuse it from its expiry on.
    await server.services.clients.dynamo.send(
      new UpdateItemCommand({
        TableName: server.config.EVENTS_TABLE,
        Key: { pk: { S: `JOB#${job.id}` }, sk: { S: 'JOB' } },
        UpdateExpression: 'SET expiresAt = :t',
        ExpressionAttributeValues: { ':t': { N: String(Math.floor(Date.now() / 1000) - 1) } },
      }),
    );
    for (const r of [await getJob(job.id), await cancel(job.id)]) {
      expect(r.status).toBe(404);
      expect((r.body.error as { code: string }).code).toBe('NOT_FOUND');
    }
  }, 60_000);

  it('the local sweep (dynalite has no TTL): expired jobs and their results go; jobs a dead process left running fail', async () => {
    const { clients } = server.services;
    const bucket = server.config.IMAGE_BUCKET;
    const objects = async (prefix: string) =>
      (await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [];
    const items = async (id: string) =>
      (
        await clients.dynamo.send(
          new QueryCommand({
            TableName: server.config.EVENTS_TABLE,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: `JOB#${id}` } },
          }),
        )
      ).Items ?? [];
    const old = await runJob({ face_image_base64: query, ...window, threshold: 90 });
    expect((await objects(`jobs/${old.id}/`)).length).toBeGreaterThan(0);
    const record = (await server.jobStore.get(old.id))!;
    // A job a process that died left running, and results whose job is long gone.
    const dead = {
      ...record,
      jobId: randomUUID(),
      state: 'running' as const,
      expiresAt: record.expiresAt + 3600,
    };
    await server.jobStore.create(dead);
    const stray = `jobs/${randomUUID()}/0.json`;
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: stray, Body: '[]' }));

    // As at the server's start, at a time past the first job's expiry.
    const swept = await server.jobStore.sweep(record.expiresAt + 1, { failRunning: true });
    expect(swept.failed).toBe(1);
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect(await items(old.id)).toEqual([]);
    expect(await objects(`jobs/${old.id}/`)).toEqual([]);
    expect(await objects(stray)).toEqual([]);
    const r = await getJob(dead.jobId);
    expect([r.status, r.body.state]).toEqual([200, 'failed']);
  }, 60_000);

  it('bad and unknown job ids are 404 NOT_FOUND; a bad page token is INVALID_ARGUMENTS', async () => {
    for (const id of ['nope', '00000000-0000-0000-0000-000000000000', '..%2F..%2Fsecrets']) {
      const g = await getJob(id);
      expect([g.status, (g.body.error as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
      const d = await cancel(id);
      expect([d.status, (d.body.error as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    }
    const job = await runJob({ face_image_base64: query, ...window, threshold: 90 });
    const bad = await getJob(job.id, 'garbage');
    expect([bad.status, (bad.body.error as { code: string }).code]).toEqual([400, 'INVALID_ARGUMENTS']);
  }, 60_000);

  it('photo and argument errors come back at once, with the contract codes', async () => {
    const noFace = await post(`${server.url}/sophon/v2/face/searchjobs`, {
      face_image_base64: b64(await faceCrop(photo(2), [0, 0, 40, 40], 0)),
    });
    expect(noFace.status).toBe(400);
    expect(['NO_FACE_ERROR', 'LOW_QUALITY_ERROR']).toContain(noFace.body.error!.code);
    const missing = await post(`${server.url}/sophon/v2/face/searchjobs`, { threshold: 50 });
    expect([missing.status, missing.body.error!.code]).toEqual([400, 'MISSING_ARGUMENTS']);
    const tooMany = await post(`${server.url}/sophon/v2/face/searchjobs`, {
      face_image_base64: query,
      max_results: 10_000_000,
    });
    expect([tooMany.status, tooMany.body.error!.code]).toEqual([400, 'INVALID_ARGUMENTS']);
    expect(tooMany.body.error!.message).toMatch(/^max_results: /);
  }, 60_000);
});

async function runPages(id: string): Promise<Ev[]> {
  const events: Ev[] = [];
  let token: string | undefined;
  do {
    const r = await getJob(id, token);
    for (const e of r.body.events as Ev[])
      events.push({ event_id: e.event_id, compare_score: e.compare_score });
    token = (r.body.next_page_token as string | null) ?? undefined;
  } while (token);
  return events;
}
