/**
 * What DynamoDB itself enforces and dynalite does not, or not the same way, checked against whichever the
 * run uses: dynalite under `npm test`, the official DynamoDB Local under `npm run test:dynamodb-local`
 * (docs/store.md, Conformance).
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanHistory } from '../../../functions/core/scan';
import { BUCKET_MS } from '../../../functions/core/timeWindow';
import { startStandIns, type StandIns } from '../../../functions/local/standIns';
import { loadConfig } from '../../../functions/shared/config';
import { createAwsClients } from '../../../functions/store/clients';
import { HistoryStore } from '../../../functions/history/historyStore';
import { DynamoEventStore } from '../../../functions/store/dynamoEventStore';
import { DynamoSearchSlots } from '../../../functions/store/dynamoSearchSlots';
import { ensureEventsTable } from '../../../functions/store/eventsTable';
import { eventPk } from '../../../functions/store/keys';
import { near, randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { readRecords } from '../../support/history';
import { dropTable, sharedDynamoEndpoint, uniqueTable } from '../dynamoTarget';

const shared = sharedDynamoEndpoint();
const HOUR = Date.UTC(2026, 2, 3, 14) / BUCKET_MS;
const at = (ms: number) => HOUR * BUCKET_MS + ms;
const wholeHour = { fromMs: at(0), toMs: at(BUCKET_MS - 1) };
/** Covers the fixed hour above: DynamoDB Local's TTL removes expired items within a second. */
const retentionDays = 36_500;

let dir: string;
let standIns: StandIns;
let db: DynamoDBClient;
const tables: string[] = [];

async function freshTable(): Promise<string> {
  const table = uniqueTable('sfs-conf');
  tables.push(table);
  await ensureEventsTable(db, table);
  return table;
}

/** The history of a table as a search reads it (no cache: every read goes to the table). */
const historyOf = (table: string, shards = 4) => new HistoryStore(db, { table, shards });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-conf-'));
  standIns = await startStandIns(dir, 'images', { dynamodb: !shared });
  const c = loadConfig({
    DYNAMODB_ENDPOINT: shared ?? standIns.dynamodbEndpoint,
    S3_ENDPOINT: standIns.s3Endpoint,
    // DynamoDB Local answers a 1 MB page in up to ~2 s on a busy 2-core machine.
    STORAGE_REQUEST_TIMEOUT_MS: '60000',
  });
  db = createAwsClients(c, { localCredentials: true }).dynamo;
});

afterAll(async () => {
  if (db && shared) for (const t of tables) await dropTable(db, t);
  db?.destroy();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the events table', () => {
  it('is ACTIVE with TTL on expiresAt once ensureEventsTable returns, with several callers at once', async () => {
    const table = uniqueTable('sfs-conf');
    tables.push(table);
    await Promise.all([1, 2, 3].map(() => ensureEventsTable(db, table)));
    const { Table } = await db.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    const ttl = (await db.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
    // dynalite has no UpdateTimeToLive; DynamoDB Local, LocalStack and AWS do.
    if (shared) expect(ttl).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    else expect(ttl?.TimeToLiveStatus).toBe('DISABLED');
  });

  it('gives every item expiresAt in epoch seconds; where TTL runs, an expired event goes and the rest stays', async () => {
    const table = await freshTable();
    const store = new DynamoEventStore(db, { table, retentionDays: 1 });
    const history = historyOf(table);
    const now = Date.now();
    await store.put(syntheticEvent(now, 'cam-1', randomUnit(), {}, 'fresh'));
    const lease = await new DynamoSearchSlots(db, { table, slots: 1, leaseSeconds: 30 }).tryAcquire();
    const items = (await db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
    expect(items.map((i) => i.pk.S?.split('#')[0]).sort()).toEqual(['EV', 'EVENT', 'HV', 'LEASE']);
    for (const item of items) {
      const seconds = Number(item.expiresAt?.N);
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(now / 1000);
      expect(seconds).toBeLessThan(now / 1000 + 2 * 86_400);
    }
    await lease?.release();

    await store.put(syntheticEvent(now - 3 * 86_400_000, 'cam-1', randomUnit(), {}, 'expired'));
    if (shared) {
      // DynamoDB Local sweeps expired items every few seconds (0.5-12 s measured here).
      for (let waited = 0; (await store.find('expired')) && waited < 45_000; waited += 250) {
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(await store.find('expired')).toBeUndefined();
    } else {
      expect(await store.find('expired')).toBeDefined(); // dynalite expires nothing
    }
    expect(await store.find('fresh')).toMatchObject({ eventId: 'fresh', timestampMs: now });
    const fresh = await readRecords(
      history.records({ range: { fromMs: now - 1, toMs: now + 1 }, reverse: false }),
    );
    expect(fresh.map((r) => r.eventId)).toEqual(['fresh']);
  }, 90_000);
});

describe('device filters', () => {
  let store: DynamoEventStore;
  let history: HistoryStore;
  beforeAll(async () => {
    const table = await freshTable();
    store = new DynamoEventStore(db, { table, retentionDays, shards: 2 });
    history = historyOf(table, 2);
    await store.putMany(
      Array.from({ length: 40 }, (_, i) =>
        syntheticEvent(at(i * 1000), `cam-${i * 5}`, randomUnit(), {}, `dev-${i}`),
      ),
    );
  });
  const devicesOf = async (deviceIds: string[]) =>
    (await readRecords(history.records({ range: wholeHour, reverse: false, deviceIds }))).map(
      (r) => r.deviceId,
    );

  it('takes up to 100 devices in one IN, as DynamoDB allows', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `cam-${i}`);
    expect(await devicesOf(ids)).toEqual(Array.from({ length: 20 }, (_, i) => `cam-${i * 5}`));
  });

  it('filters on more devices than one IN takes (DynamoDB refuses 101 operands; dynalite does not)', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `cam-${i}`);
    expect(await devicesOf(ids)).toEqual(Array.from({ length: 30 }, (_, i) => `cam-${i * 5}`));
  });

  it('reads nothing for an empty device list (`IN ()` is a syntax error)', async () => {
    expect(await devicesOf([])).toEqual([]);
  });
});

describe('batches', () => {
  it('writes an event given twice to putMany once (a key twice fails a whole BatchWriteItem)', async () => {
    const table = await freshTable();
    const store = new DynamoEventStore(db, { table, retentionDays });
    const e = syntheticEvent(at(5), 'cam-1', randomUnit(), {}, 'twice');
    await store.putMany([e, { ...e }, syntheticEvent(at(6), 'cam-1', randomUnit(), {}, 'once')]);
    const read = await readRecords(historyOf(table).records({ range: wholeHour, reverse: false }));
    expect(read.map((r) => r.eventId)).toEqual(['twice', 'once']);
    expect(await store.find('twice')).toMatchObject({ timestampMs: at(5) });
  });

  it('fetches the event JSON of one record asked twice (a key twice fails a whole BatchGetItem)', async () => {
    const table = await freshTable();
    const store = new DynamoEventStore(db, { table, retentionDays });
    await store.put(syntheticEvent(at(7), 'cam-1', randomUnit(), { identity_name: 'dora' }, 'dora-1'));
    const stream = historyOf(table).records({ range: wholeHour, reverse: true });
    const [record] = await readRecords(stream);
    const docs = await stream.docs([record, record]);
    expect(docs.map((d) => JSON.parse(d ?? 'null').identity_name)).toEqual(['dora', 'dora']);
  });

  describe('an hour larger than one 1 MB query page', () => {
    const COUNT = 2400;
    const face = randomUnit();
    let store: DynamoEventStore;
    let table: string;
    const ids = Array.from({ length: COUNT }, (_, i) => `pg-${String(i).padStart(5, '0')}`);
    // Every 16th event matches: 150 matches, more than one BatchGetItem (100 keys) holds.
    const matching = ids.filter((_, i) => i % 16 === 0);

    beforeAll(async () => {
      table = await freshTable();
      // One shard: all 2,400 events (~2 KB each) in one partition, read over several pages.
      store = new DynamoEventStore(db, { table, retentionDays, shards: 1 });
      const padding = 'x'.repeat(1000);
      await store.putMany(
        ids.map((id, i) =>
          syntheticEvent(
            at(Math.floor(i / 2) * 1000), // two events per millisecond value: ties broken by id
            'cam-1',
            i % 16 === 0 ? near(face, 0.2) : randomUnit(),
            { identity_name: id, identity_id: padding },
            id,
          ),
        ),
        { pointers: false },
      );
    });

    it('is really paged by the server', async () => {
      const r = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: eventPk(HOUR, 0) } },
        }),
      );
      expect(r.LastEvaluatedKey).toBeDefined();
      expect(r.Items!.length).toBeLessThan(COUNT);
    });

    it('reads every record once, in (timestamp, id) order, both ways', async () => {
      const forward = await readRecords(historyOf(table, 1).records({ range: wholeHour, reverse: false }));
      expect(forward.map((r) => r.eventId)).toEqual(ids);
      const backward = await readRecords(historyOf(table, 1).records({ range: wholeHour, reverse: true }));
      expect(backward.map((r) => r.eventId)).toEqual([...ids].reverse());
    });

    it('scans the hour and fetches the event JSON of all 150 matches', async () => {
      const out = await scanHistory(historyOf(table, 1).records({ range: wholeHour, reverse: true }), {
        query: face,
        minCosine: 0.8,
      });
      expect(out.examined).toBe(COUNT);
      expect(out.matches.map((m) => m.record.eventId)).toEqual([...matching].reverse());
      expect(out.matches.map((m) => JSON.parse(m.record.doc).identity_name)).toEqual([...matching].reverse());
    });
  });
});

describe('search slots', () => {
  it('grants exactly as many of many concurrent claims as there are slots (conditional puts)', async () => {
    const slots = new DynamoSearchSlots(db, { table: await freshTable(), slots: 3, leaseSeconds: 30 });
    const claims = await Promise.all(Array.from({ length: 8 }, () => slots.tryAcquire()));
    const granted = claims.filter(Boolean);
    expect(granted).toHaveLength(3);
    expect(await slots.tryAcquire()).toBeUndefined();
    await granted[0]!.release();
    const again = await slots.tryAcquire();
    expect(again).toBeDefined();
    await Promise.all([...granted.slice(1), again].map((h) => h!.release()));
  });

  it('takes a free slot with one request (the conditional put); a refusal reads the leases too', async () => {
    const table = await freshTable();
    const sent: string[] = [];
    db.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countSlotRequests' },
    );
    try {
      const slots = new DynamoSearchSlots(db, { table, slots: 1, leaseSeconds: 30 });
      const lease = await slots.tryAcquire();
      expect(lease).toBeDefined();
      expect(sent).toEqual(['PutItemCommand']);
      sent.length = 0;
      expect(await slots.tryAcquire()).toBeUndefined();
      expect(sent).toEqual(['PutItemCommand', 'QueryCommand']);
      // Refused once, the next attempts read the leases first: a refusal in a row costs one request.
      expect(slots.likelyFree()).toBe(false);
      sent.length = 0;
      expect(await slots.tryAcquire()).toBeUndefined();
      expect(sent).toEqual(['QueryCommand']);
      await lease!.release();
      sent.length = 0;
      const again = await slots.tryAcquire();
      expect(again).toBeDefined();
      expect(slots.likelyFree()).toBe(true);
      expect(sent.filter((c) => c !== 'DeleteItemCommand')).toEqual(['QueryCommand', 'PutItemCommand']);
      sent.length = 0;
      await again!.release();
      const last = await slots.tryAcquire(); // a slot was taken since: the put alone again
      expect(last).toBeDefined();
      expect(sent).toEqual(['DeleteItemCommand', 'PutItemCommand']);
      await last!.release();
    } finally {
      db.middlewareStack.remove('countSlotRequests');
    }
  });
});
