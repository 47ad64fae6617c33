/**
 * S3 answers, then the connection is lost in the middle of the body. The body is read after the client's
 * middleware (where SDK failures are translated), so the adapter translates this one itself: a job's page
 * answers 503 SERVICE_UNAVAILABLE, as a lost connection anywhere else does, and 200 again once S3 is back.
 * The loss is injected at the S3 client's middleware (a real server cannot be made to drop one chosen body
 * half-way), on the server's own client: the job's workers, with clients of their own, are left whole.
 */
import { DEFAULT_MESSAGES } from '../../../functions/core/errors';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';
import { cutBodies } from './faultKit';

let s: Awaited<ReturnType<typeof startTestServer>>;
let alice: Buffer;
const now = Date.now();

beforeAll(async () => {
  s = await startTestServer({ JOB_WORKERS: '1' });
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  const ingested = await post(`${s.url}/sophon/v2/face/events`, {
    event_id: 'body-read',
    face_image_base64: b64(alice),
    timestamp: now - 30 * 60_000,
    media_device_info: { media_device_id: 'cam-1' },
  });
  expect(ingested.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await s?.close();
});

async function getJob(id: string) {
  const res = await fetch(`${s.url}/sophon/v2/face/searchjobs/${id}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it("a job's results lost mid-body: 503 SERVICE_UNAVAILABLE, the page again once S3 is back", async () => {
  const started = await post(`${s.url}/sophon/v2/face/searchjobs`, {
    face_image_base64: b64(alice),
    starttime: now - 2 * 3_600_000,
    endtime: now,
  });
  expect(started.status).toBe(202);
  const id = started.body.job_id as string;
  await s.jobRunner.settled(id);
  const before = await getJob(id);
  expect(before.status).toBe(200);
  expect((before.body.events as Array<{ event_id: string }>).map((e) => e.event_id)).toEqual(['body-read']);

  const cut = cutBodies(s.services.clients.s3, (key) => key.startsWith(`jobs/${id}/`));
  try {
    expect(await getJob(id)).toEqual({
      status: 503,
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: DEFAULT_MESSAGES.SERVICE_UNAVAILABLE } },
    });
    expect(cut.cuts()).toBeGreaterThan(0);
  } finally {
    cut.stop();
  }
  expect(await getJob(id)).toEqual(before);
}, 120_000);
