/**
 * Load: autocannon against the real local server (HTTP listener, dynalite, s3rver, the face engine) for
 * a bounded time, every connection alternating a search and an ingest. Some ingests repeat an id that
 * was just sent (a client retry racing its original). Afterwards: no unexpected answer, every
 * acknowledged event stored exactly once (its record, its pointer, its images), nothing stored twice,
 * and the process's RSS stayed within bounds while it ran.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import type { Box } from '../../../functions/core/face';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';
import { readRecords } from '../../support/history';

const CONNECTIONS = 8;
const SECONDS = 15;
/** One ingest in RETRY_EVERY repeats the id sent just before it, often while that one is still running. */
const RETRY_EVERY = 4;
const MAX_CONCURRENT_SEARCHES = 3;
/** RSS may grow this much over its level after warm-up (engine loaded, caches filled) while under load. */
const RSS_GROWTH_LIMIT_MB = 400;

/** The part of autocannon's options and result this test uses (the package ships no types). */
interface LoadRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (req: LoadRequest, context: Record<string, unknown>) => LoadRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface LoadResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  duration: number;
}
const run = autocannon as unknown as (opts: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: LoadRequest[];
}) => Promise<LoadResult>;

let server: Awaited<ReturnType<typeof startTestServer>>;
const now = Date.now();
const HOUR = 3_600_000;

afterAll(async () => {
  await server?.close();
});

it(`holds ${CONNECTIONS} connections of searches and ingests for ${SECONDS} s: nothing lost, nothing doubled`, async () => {
  server = await startTestServer({ MAX_CONCURRENT_SEARCHES: String(MAX_CONCURRENT_SEARCHES) });
  // Faces to ingest: the three largest of three group photos, cut out.
  const faces: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const group = photo(n);
    const boxes: Box[] = (await facesOf(group)).slice(0, 3);
    for (const box of boxes) faces.push(b64(await faceCrop(group, box)));
  }
  const query = faces[0];
  // Warm-up: engine sessions loaded, one ingest and one search done, before RSS is taken as the baseline.
  const seeded = await post(`${server.url}/sophon/v2/face/events`, {
    event_id: 'warm-up',
    face_image_base64: faces[1],
    timestamp: now - 2 * HOUR,
  });
  expect(seeded.status).toBe(201);
  expect(
    (await post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: query })).status,
  ).toBe(200);

  const rss: number[] = [];
  const sample = () => rss.push(process.memoryUsage().rss);
  sample();
  const baseline = rss[0];
  const sampler = setInterval(sample, 200);

  // Ingest bookkeeping: the body of every id sent, and every answer by id.
  const bodies = new Map<string, string>();
  const answers = new Map<string, string[]>();
  const tally = { searchOk: 0, searchBusy: 0, created: 0, duplicate: 0, unexpected: [] as string[] };
  let sent = 0;
  let retries = 0;
  let lastId: string | undefined;

  const jsonHeaders = { 'content-type': 'application/json' };
  const requests: LoadRequest[] = [
    {
      method: 'POST',
      path: '/sophon/v2/face/searchbyimage',
      headers: jsonHeaders,
      body: JSON.stringify({ face_image_base64: query }),
      onResponse: (status, body) => {
        const code = status === 200 ? 'ok' : (JSON.parse(body) as { error?: { code: string } }).error?.code;
        if (code === 'ok') tally.searchOk++;
        else if (status === 429 && code === 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR') tally.searchBusy++;
        else tally.unexpected.push(`search ${status} ${code}`);
      },
    },
    {
      method: 'POST',
      path: '/sophon/v2/face/events',
      headers: jsonHeaders,
      setupRequest: (req, context) => {
        const retry = lastId !== undefined && (sent + 1) % RETRY_EVERY === 0;
        const id = retry ? lastId! : `load-${sent}`;
        sent++;
        if (retry) retries++;
        else {
          bodies.set(
            id,
            JSON.stringify({
              event_id: id,
              face_image_base64: faces[sent % faces.length],
              timestamp: now - Math.floor(Math.random() * 23 * HOUR),
              media_device_info: { media_device_id: `cam-${sent % 4}` },
            }),
          );
        }
        lastId = id;
        context.id = id;
        // Half the retries re-stamp the event (a client that sets the time when it sends): two copies race
        // under different keys, and the one that loses the pointer must remove its record.
        if (retry && retries % 2 === 0) {
          const b = JSON.parse(bodies.get(id)!) as { timestamp: number };
          return { ...req, body: JSON.stringify({ ...b, timestamp: b.timestamp - HOUR }) };
        }
        return { ...req, body: bodies.get(id) };
      },
      onResponse: (status, body, context) => {
        const id = context.id as string;
        const r = JSON.parse(body) as { event_id?: string; status?: string; error?: { code: string } };
        const what =
          status === 201 && r.status === 'created' ? 'created' : status === 200 ? r.status : undefined;
        if ((what === 'created' || what === 'duplicate') && r.event_id === id) tally[what]++;
        else tally.unexpected.push(`ingest ${id} ${status} ${r.error?.code ?? r.status}`);
        answers.set(id, [...(answers.get(id) ?? []), what ?? `${status}`]);
      },
    },
  ];

  const t0 = performance.now();
  const result = await run({
    url: server.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 60,
    requests,
  });
  const loadSeconds = (performance.now() - t0) / 1000;

  // autocannon stops with requests in flight, and the server finishes them: give them the longest
  // latency of the run (the load is lower now), then wait until the history is still.
  await new Promise((r) => setTimeout(r, result.latency.max + 1000));
  const recordTimes = new Map<string, number>();
  const storedIds = async () => {
    const counts = new Map<string, number>();
    const history = server.services.history.records({
      range: { fromMs: now - 25 * HOUR, toMs: now + HOUR },
      reverse: false,
    });
    for (const r of await readRecords(history)) {
      counts.set(r.eventId, (counts.get(r.eventId) ?? 0) + 1);
      recordTimes.set(r.eventId, r.timestamp);
    }
    return counts;
  };
  let stored = await storedIds();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const again = await storedIds();
    const still = again.size === stored.size;
    stored = again;
    if (still) break;
  }
  clearInterval(sampler);
  sample();

  const acknowledged = [...answers].filter(([, a]) => a.some((x) => x === 'created' || x === 'duplicate'));
  const peak = Math.max(...rss);
  const mb = (b: number) => Math.round(b / 2 ** 20);
  const report = {
    connections: CONNECTIONS,
    seconds: Math.round(loadSeconds * 10) / 10,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    searches: { ok: tally.searchOk, busy429: tally.searchBusy },
    ingests: { sent, retriesWithSameId: retries, created: tally.created, duplicate: tally.duplicate },
    unexpected: tally.unexpected.length + result.errors + result.timeouts,
    eventsStored: stored.size,
    rssMb: { baseline: mb(baseline), peak: mb(peak), end: mb(rss[rss.length - 1]), samples: rss.length },
  };
  console.log(`load: ${JSON.stringify(report)}`);

  // No unexpected answer, no socket error, no timeout.
  expect(tally.unexpected).toEqual([]);
  expect(result.errors).toBe(0);
  expect(result.timeouts).toBe(0);
  // The load was real: both kinds of request, retries among them.
  expect(tally.searchOk).toBeGreaterThan(0);
  expect(tally.created).toBeGreaterThan(0);
  expect(retries).toBeGreaterThan(0);

  // Each id created at most once, however many times it was sent.
  expect([...answers].filter(([, a]) => a.filter((x) => x === 'created').length > 1)).toEqual([]);
  // Every acknowledged event is stored, and nothing is stored twice.
  expect(acknowledged.filter(([id]) => stored.get(id) !== 1).map(([id]) => id)).toEqual([]);
  expect([...stored].filter(([, n]) => n !== 1)).toEqual([]);
  // Nothing stored that was not sent (requests cut off by the end of the run may or may not be stored).
  expect([...stored.keys()].filter((id) => id !== 'warm-up' && !bodies.has(id))).toEqual([]);
  expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length + 1);
  // Each with its pointer, which names its images and the record that won.
  for (const [id] of acknowledged) {
    const pointer = await server.services.events.find(id);
    expect({ id, images: pointer?.imageIds, time: pointer?.timestampMs }).toEqual({
      id,
      images: [`${id}.face`, `${id}.scene`],
      time: recordTimes.get(id),
    });
  }
  // Their images are served (a sample: each GET decodes a photo's worth of base64).
  for (const [id] of acknowledged.filter((_, i) => i % 10 === 0)) {
    expect((await fetch(`${server.url}/sophon/v2/face/images/${id}.face`)).status).toBe(200);
  }
  // The same count as a search sees it: every stored event is a record the search examines.
  const all = await post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: query });
  expect(all.body.records_examined).toBe(stored.size);

  expect(mb(peak - baseline)).toBeLessThan(RSS_GROWTH_LIMIT_MB);
}, 60_000);
