/**
 * Throttling and timeouts that a local stand-in cannot produce, injected into the server's SDK clients:
 * each call is retried with growing, jittered waits up to STORAGE_MAX_ATTEMPTS (4), then the request
 * answers SERVICE_UNAVAILABLE; a fault that clears within the retries is invisible to the client.
 */
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';
import {
  type Attempt,
  errors,
  faultTally,
  faultsInjected,
  injectFaults,
  isRecordPut,
  recordAttempts,
  storedImageIds,
} from './faultKit';
import { DEFAULT_MESSAGES, StorageUnavailableError } from '../../../functions/core/errors';

let server: Awaited<ReturnType<typeof startTestServer>>;
let alice: Buffer;
const now = Date.now();
const UNAVAILABLE = {
  status: 503,
  body: { error: { code: 'SERVICE_UNAVAILABLE', message: DEFAULT_MESSAGES.SERVICE_UNAVAILABLE } },
};

const search = () => post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: b64(alice) });
const ingest = (eventId: string, minutesAgo = 10) =>
  post(`${server.url}/sophon/v2/face/events`, {
    event_id: eventId,
    face_image_base64: b64(alice),
    timestamp: now - minutesAgo * 60_000,
    media_device_info: { media_device_id: 'cam-1' },
  });
const ids = (r: { body: Record<string, unknown> }) =>
  ((r.body.events ?? []) as Array<{ event_id: string }>).map((e) => e.event_id);

/** Attempts grouped by call, for one command. */
function callsOf(attempts: Attempt[], commandName: string): Attempt[][] {
  const calls = new Map<number, Attempt[]>();
  for (const a of attempts.filter((x) => x.commandName === commandName)) {
    calls.set(a.call, [...(calls.get(a.call) ?? []), a]);
  }
  return [...calls.values()];
}

beforeAll(async () => {
  server = await startTestServer();
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
  expect((await ingest('seen-1', 30)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.close();
  console.log(`faults/throttling: ${faultsInjected()} faults injected ${JSON.stringify(faultTally)}`);
});

describe('DynamoDB throttling on every attempt', () => {
  it('retries each call four times with growing waits, then answers SERVICE_UNAVAILABLE (503)', async () => {
    const { dynamo } = server.services.clients;
    const rec = recordAttempts(dynamo);
    // The first storage call of a search is taking its slot (PutItem on LEASE#search).
    const remove = injectFaults(dynamo, (c) =>
      c.commandName === 'PutItemCommand' ? errors.throttling() : undefined,
    );
    try {
      // Two searches at once, as two instances would be throttled together.
      const replies = await Promise.all([search(), search()]);
      expect(replies).toEqual([UNAVAILABLE, UNAVAILABLE]);
    } finally {
      remove();
      rec.stop();
    }
    const calls = callsOf(rec.attempts, 'PutItemCommand');
    expect(calls).toHaveLength(2);
    for (const attempts of calls) {
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      const waits = attempts.slice(1).map((a, i) => a.at - attempts[i].at);
      // Throttling base 1 s, equal jitter, 2 s cap: the n-th retry waits at least half its ceiling.
      expect(waits[0]).toBeGreaterThanOrEqual(500 - 2);
      expect(waits[1]).toBeGreaterThanOrEqual(1000 - 2);
      expect(waits[2]).toBeGreaterThanOrEqual(1000 - 2);
    }
    // The service is back at once when the throttling stops.
    expect((await search()).status).toBe(200);
  });

  it('draws each wait at random: calls throttled together do not retry in step', async () => {
    const { dynamo } = server.services.clients;
    const remove = injectFaults(dynamo, (c) =>
      c.commandName === 'GetItemCommand' ? errors.provisionedThroughput() : undefined,
    );
    type SdkFailure = { name: string; $metadata: { attempts: number; totalRetryDelay: number } };
    let failures: Array<{ cause?: unknown }>;
    try {
      failures = await Promise.all(
        [1, 2, 3].map((i) =>
          server.services.events.find(`any-${i}`).then(
            () => Promise.reject(),
            (e: Error) => e,
          ),
        ),
      );
    } finally {
      remove();
    }
    // The adapter raises StorageUnavailableError once the SDK's retries are spent, the SDK's error its cause.
    for (const e of failures) expect(e).toBeInstanceOf(StorageUnavailableError);
    const sdkErrors = failures.map((e) => e.cause as SdkFailure);
    const delays = sdkErrors.map((e) => e.$metadata.totalRetryDelay);
    for (const e of sdkErrors) {
      expect(e.name).toBe('ProvisionedThroughputExceededException');
      expect(e.$metadata.attempts).toBe(4);
      // 3 retries: [500, 1000) + [1000, 2000) + [1000, 2000) ms.
      expect(e.$metadata.totalRetryDelay).toBeGreaterThanOrEqual(2500);
      expect(e.$metadata.totalRetryDelay).toBeLessThan(5000);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

describe('faults that clear within the retries', () => {
  it('an event write throttled, then failing with a 500, succeeds on the third attempt (201), stored once', async () => {
    const { dynamo } = server.services.clients;
    const rec = recordAttempts(dynamo);
    const remove = injectFaults(dynamo, (c, attempt) => {
      if (!isRecordPut(c)) return undefined;
      return attempt === 1
        ? errors.provisionedThroughput()
        : attempt === 2
          ? errors.dynamoInternal()
          : undefined;
    });
    let status: number;
    try {
      status = (await ingest('throttled-then-500', 5)).status;
    } finally {
      remove();
      rec.stop();
    }
    expect(status).toBe(201);
    const recordPuts = rec.attempts.filter((a) => a.commandName === 'PutItemCommand');
    // Record put: 3 attempts; pointer put: 1.
    expect(recordPuts.map((a) => a.attempt)).toEqual([1, 2, 3, 1]);
    expect(await server.services.events.find('throttled-then-500')).toBeDefined();
    expect(ids(await search())).toEqual(['throttled-then-500', 'seen-1']);
  });

  it('a search whose every history read times out once still answers in full (200)', async () => {
    // A new event moves its hour's version, so the search reads that hour from the table, not its cache.
    expect((await ingest('read-after-timeout', 4)).status).toBe(201);
    const { dynamo } = server.services.clients;
    const rec = recordAttempts(dynamo);
    const reads = new Set(['QueryCommand', 'BatchGetItemCommand']);
    const remove = injectFaults(dynamo, (c, attempt) =>
      reads.has(c.commandName) && attempt === 1 ? errors.timeout() : undefined,
    );
    let r: Awaited<ReturnType<typeof search>>;
    try {
      r = await search();
    } finally {
      remove();
      rec.stop();
    }
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(['read-after-timeout', 'throttled-then-500', 'seen-1']);
    const calls = [...callsOf(rec.attempts, 'QueryCommand'), ...callsOf(rec.attempts, 'BatchGetItemCommand')];
    expect(callsOf(rec.attempts, 'QueryCommand').length).toBeGreaterThan(0);
    for (const c of calls) expect(c.map((a) => a.attempt)).toEqual([1, 2]);
  });
});

describe('S3 throttling', () => {
  it('an ingest whose images cannot be stored answers 503 and leaves no event and no image', async () => {
    const { s3 } = server.services.clients;
    const before = await storedImageIds(server.services.images);
    const rec = recordAttempts(s3);
    const remove = injectFaults(s3, (c) =>
      c.commandName === 'PutObjectCommand' ? errors.s3SlowDown() : undefined,
    );
    let r: Awaited<ReturnType<typeof ingest>>;
    try {
      r = await ingest('s3-throttled', 3);
    } finally {
      remove();
      rec.stop();
    }
    expect(r).toEqual(UNAVAILABLE);
    const puts = callsOf(rec.attempts, 'PutObjectCommand');
    expect(puts.map((p) => p.length)).toEqual([4, 4]); // face crop and scene, four attempts each
    expect(await server.services.events.find('s3-throttled')).toBeUndefined();
    expect(await storedImageIds(server.services.images)).toEqual(before);
    expect(ids(await search())).not.toContain('s3-throttled');
  });
});
