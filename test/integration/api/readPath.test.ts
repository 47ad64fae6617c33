/**
 * Every search call answers (issue 11): long windows over a sparse store, iteration in both styles
 * (the original's endtimestamp → endtime/starttime, and last_end_timestamp), a same-millisecond group
 * larger than a page, the response-size cap with maximum-size events, the time budget, a client that
 * goes away, and the cost of a refused search. Events are written through the store adapter in bulk
 * (BatchWriteItem) with synthetic embeddings planted around the query face's.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { request } from 'node:http';
import { encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { getFaceEngine } from '../../../functions/face';
import { dropSearchCaches } from '../../../functions/history/hourCache';
import { LEASE_PK } from '../../../functions/store/keys';
import { near, randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { b64, faceCrop, facesOf, photo, startTestServer } from './helpers';

const DAY = 86_400_000;
const END = Date.UTC(2025, 6, 1); // the sparse store's last moment; windows reach 10 years back from it
const SPARSE_START = END - 3 * 365 * DAY;
const GROUP_TS = Date.UTC(2024, 0, 10, 12, 0, 0, 500); // 1,500 events in this one millisecond
const GROUP = 1_500;
const BIG_START = Date.UTC(2014, 2, 1); // maximum-size events, outside the 10-year window
const BIG = 400;

let server: Awaited<ReturnType<typeof startTestServer>>;
let query: Buffer;
/** Matching event ids in ascending (timestamp, id) order. */
const matching: string[] = [];
const bigIds: string[] = [];
/** Query calls the server sends, and a delay injected into each (a slow storage). */
const storage = { queries: 0, delayMs: 0 };

let seed = 11;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

beforeAll(async () => {
  // The sparse store is years old: past the default 90-day retention its items carry an expiresAt in
  // the past, and DynamoDB Local (npm run test:dynamodb-local), like DynamoDB, deletes expired items in
  // the background, mid-test (dynalite never does). Retention is not what this file tests.
  // A storage timeout as long as the shared DynamoDB Local's (helpers.ts): there the 150,000-event
  // seeding of readBounds.test.ts may run beside this file's searches.
  server = await startTestServer(
    { STORAGE_REQUEST_TIMEOUT_MS: '60000', RETENTION_DAYS: '36500' },
    { tableInMemory: true },
  );
  server.services.clients.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') {
        storage.queries++;
        if (storage.delayMs) await new Promise((r) => setTimeout(r, storage.delayMs));
      }
      return next(args);
    },
    { step: 'initialize', name: 'countQueries' },
  );
  const group = photo(2);
  query = await faceCrop(group, (await facesOf(group))[0]);
  const target = (await getFaceEngine().analyzeQuery(query, 'low')).embedding;
  const other = encodeEmbedding(randomUnit(random));

  // Sparse: 360 events at random moments over three years, a third of them the query's person.
  const sparse = Array.from({ length: 360 }, (_, i) => {
    const ts = SPARSE_START + Math.floor(random() * (END - SPARSE_START));
    const match = i % 3 === 0;
    return syntheticEvent(ts, `cam-${i % 4}`, match ? near(target, 0.3, random) : other, {}, `s${i}`);
  });
  // A crowd in one millisecond, larger than a page's 1,000 results, with neighbours on both sides.
  const crowd = Array.from({ length: GROUP }, (_, i) =>
    syntheticEvent(GROUP_TS, 'cam-g', near(target, 0.3, random), {}, `g${String(i).padStart(4, '0')}`),
  );
  const neighbours = [-2, -1, 1, 2].map((d) =>
    syntheticEvent(GROUP_TS + d, 'cam-g', near(target, 0.3, random), {}, `n${d + 2}`),
  );
  const all = [...sparse, ...crowd, ...neighbours];
  for (let i = 0; i < all.length; i += 500) {
    await server.services.events.putMany(all.slice(i, i + 500), { pointers: false });
  }
  const order = (a: { timestampMs: number; eventId: string }, b: typeof a) =>
    a.timestampMs - b.timestampMs || (a.eventId < b.eventId ? -1 : 1);
  const matches = all.filter((e) => e.eventId[0] !== 's' || Number(e.eventId.slice(1)) % 3 === 0);
  matching.push(...matches.sort(order).map((e) => e.eventId));

  // Maximum-size events: every free-text field at today's limit, in characters JSON escapes to six
  // bytes, and a 4 KB recognize_face_attr; some share a millisecond.
  const long = (c: string) => c.repeat(512);
  const big = Array.from({ length: BIG }, (_, i) =>
    syntheticEvent(
      BIG_START + Math.floor(i / 3) * 1000,
      long('\u0001'),
      other,
      {
        identity_name: long('\u0002'),
        identity_id: long('\u0003'),
        register_image_id: long('\u0004'),
        media_device_info: {
          media_device_id: long('\u0001'),
          media_device_name: long('\u0005'),
          media_device_ip: long('\u0006'),
          media_device_type: long('\u0007'),
        },
        recognize_face_attr: { expression: 'x'.repeat(4080) } as never,
      },
      `big${String(i).padStart(4, '0')}`,
    ),
  );
  for (let i = 0; i < big.length; i += 100) {
    await server.services.events.putMany(big.slice(i, i + 100), { pointers: false });
  }
  bigIds.push(...big.map((e) => e.eventId));
}, 300_000);

afterAll(async () => {
  await server?.close();
});

interface Page {
  status: number;
  bytes: number;
  body: {
    events: Array<{ event_id: string }>;
    have_more: boolean;
    endtimestamp: number;
    total_time: number;
    records_examined: number;
  };
}

async function search(body: Record<string, unknown>): Promise<Page> {
  const res = await fetch(`${server.url}/sophon/v2/face/searchbyimage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ face_image_base64: b64(query), ...body }),
  });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as Page['body'] };
}

type Style = 'original' | 'last_end_timestamp';

/** Iterates a window to its end in one style; every page, and the ids in the order received. */
async function iterate(style: Style, reverse: boolean, window: Record<string, number>, extra = {}) {
  const pages: Page[] = [];
  const seen: string[] = [];
  let body: Record<string, unknown> = { ...window, reverse, ...extra };
  for (let i = 0; i < 60; i++) {
    const page = await search(body);
    // The body too when it fails: which error, after how long.
    expect({ status: page.status, body: page.status === 200 ? undefined : page.body }).toEqual({
      status: 200,
      body: undefined,
    });
    pages.push(page);
    seen.push(...page.body.events.map((e) => e.event_id));
    if (!page.body.have_more) break;
    const next = page.body.endtimestamp;
    if (style === 'last_end_timestamp') body = { ...body, last_end_timestamp: next };
    else body = { ...body, [reverse ? 'endtime' : 'starttime']: next };
  }
  expect(pages[pages.length - 1].body.have_more).toBe(false);
  return { pages, seen };
}

const tenYears = { starttime: END - 3650 * DAY, endtime: END };

describe('a 10-year window over a sparse store, iterated to the end', () => {
  it.each([
    ['original', true],
    ['original', false],
    ['last_end_timestamp', true],
    ['last_end_timestamp', false],
  ] as Array<[Style, boolean]>)(
    '%s style, reverse %s: every match exactly once, in order, always advancing',
    async (style, reverse) => {
      const { pages, seen } = await iterate(style, reverse, tenYears);
      expect(seen).toEqual(reverse ? [...matching].reverse() : matching);
      // The crowd is a page of its own (taken whole), the pages around it stop short of it.
      expect(pages.some((p) => p.body.events.length === GROUP)).toBe(true);
      const ends = pages.map((p) => p.body.endtimestamp);
      ends
        .slice(1)
        .forEach((e, i) => (reverse ? expect(e).toBeLessThan(ends[i]) : expect(e).toBeGreaterThan(ends[i])));
      console.log(`${style} reverse=${reverse}: ${pages.length} calls, ${seen.length} events`);
    },
    120_000,
  );

  it('answers a 10-year window with a query per year, not per hour', async () => {
    dropSearchCaches();
    const before = storage.queries;
    const page = await search({ ...tenYears, endtime: GROUP_TS - 10 });
    expect(page.status).toBe(200);
    // 11 directory years, and 4 shards for each of the (at most 240) hours holding sparse events there.
    expect(storage.queries - before).toBeLessThanOrEqual(11 + 4 * 240);
    console.log(`10-year window: total_time ${page.body.total_time.toFixed(3)} s`);
  });
});

describe('the response-size cap', () => {
  it('keeps every page under MAX_RESPONSE_BYTES with maximum-size events at threshold 0', async () => {
    const window = { starttime: BIG_START, endtime: BIG_START + DAY, threshold: 0 };
    for (const reverse of [true, false]) {
      const { pages, seen } = await iterate('last_end_timestamp', reverse, window, { threshold: 0 });
      expect([...seen].sort()).toEqual(bigIds);
      expect(new Set(seen).size).toBe(BIG);
      const largest = Math.max(...pages.map((p) => p.bytes));
      expect(largest).toBeLessThanOrEqual(server.config.MAX_RESPONSE_BYTES);
      // The cap was what ended the pages, not the 1,000 results.
      expect(pages.length).toBeGreaterThan(1);
      console.log(`max-size events, reverse=${reverse}: ${pages.length} pages, largest ${largest} bytes`);
    }
  }, 120_000);
});

describe('the time budget', () => {
  it('stops at a millisecond boundary with have_more when its budget is spent, and iteration still ends', async () => {
    const budget = server.config.SEARCH_BUDGET_MS;
    server.config.SEARCH_BUDGET_MS = 100;
    storage.delayMs = 150;
    try {
      dropSearchCaches();
      const window = { starttime: SPARSE_START, endtime: SPARSE_START + 90 * DAY, threshold: 0 };
      const { pages, seen } = await iterate('original', true, window, { threshold: 0 });
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages.length).toBeGreaterThan(1);
      // Budget stops, not caps: some intermediate pages examined a handful of records only.
      expect(pages.slice(0, -1).some((p) => p.body.records_examined < 50)).toBe(true);
    } finally {
      server.config.SEARCH_BUDGET_MS = budget;
      storage.delayMs = 0;
    }
  }, 120_000);
});

describe('a client that goes away', () => {
  const leases = async () => {
    const r = await server.services.clients.dynamo.send(
      new QueryCommand({
        TableName: server.config.EVENTS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: LEASE_PK } },
      }),
    );
    return r.Items?.length ?? 0;
  };

  it('frees its slot within a second and stops reading', async () => {
    storage.delayMs = 200;
    try {
      dropSearchCaches();
      const body = JSON.stringify({ face_image_base64: b64(query), ...tenYears });
      const url = new URL(`${server.url}/sophon/v2/face/searchbyimage`);
      const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
      req.on('error', () => undefined);
      req.end(body);
      // Wait until the search holds its slot and reads history, then hang up.
      for (let i = 0; i < 100 && (await leases()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await leases()).toBe(1);
      const readsBefore = storage.queries;
      await new Promise((r) => setTimeout(r, 600));
      expect(storage.queries).toBeGreaterThan(readsBefore); // it was working
      req.destroy();
      const gone = Date.now();
      while ((await leases()) > 0 && Date.now() - gone < 5_000) await new Promise((r) => setTimeout(r, 50));
      const freedAfter = Date.now() - gone;
      expect(await leases()).toBe(0);
      console.log(`slot free ${freedAfter} ms after the client went away`);
      // Nothing keeps reading for the gone client (a read in flight at the hang-up may still land).
      const settled = storage.queries;
      await new Promise((r) => setTimeout(r, 1_500));
      expect(storage.queries - settled).toBeLessThanOrEqual(1);
    } finally {
      storage.delayMs = 0;
    }
  }, 60_000);
});

describe('a refused search', () => {
  it('answers 429 without running the face models', async () => {
    const hold = (slot: number, until: number) =>
      server.services.clients.dynamo.send(
        new PutItemCommand({
          TableName: server.config.EVENTS_TABLE,
          Item: {
            pk: { S: LEASE_PK },
            sk: { S: `slot#${slot}` },
            owner: { S: 'another-instance' },
            leaseUntil: { N: String(until) },
          },
        }),
      );
    const slots = server.config.MAX_CONCURRENT_SEARCHES;
    const analyze = jest.spyOn(getFaceEngine(), 'analyzeQuery');
    try {
      for (let s = 0; s < slots; s++) await hold(s, Date.now() + 60_000);
      const cpu = process.cpuUsage();
      for (let i = 0; i < 12; i++) expect((await search(tenYears)).status).toBe(429);
      const refusedCpu = process.cpuUsage(cpu);
      expect(analyze).not.toHaveBeenCalled();
      for (let s = 0; s < slots; s++) await hold(s, Date.now() - 1);
      const cpu2 = process.cpuUsage();
      expect((await search({ starttime: GROUP_TS + 5, endtime: GROUP_TS + 5 })).status).toBe(200);
      const acceptedCpu = process.cpuUsage(cpu2);
      expect(analyze).toHaveBeenCalledTimes(1);
      const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
      console.log(
        `CPU: 12 refused searches ${ms(refusedCpu).toFixed(0)} ms, one accepted ${ms(acceptedCpu).toFixed(0)} ms`,
      );
    } finally {
      analyze.mockRestore();
    }
  }, 60_000);
});
