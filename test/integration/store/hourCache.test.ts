/**
 * The hour cache against a real DynamoDB wire protocol (dynalite, or DynamoDB Local under
 * `npm run test:dynamodb-local`): two stores with caches of their own
 * stand for two Lambda containers, one writing, one searching.
 */
import { Int8DotKernel } from '../../../functions/core/int8Dot';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { scanHistory } from '../../../functions/core/scan';
import { BUCKET_MS } from '../../../functions/core/timeWindow';
import { ensureTable, startStandIns, type StandIns } from '../../../functions/local/standIns';
import { loadConfig } from '../../../functions/shared/config';
import { HourCache } from '../../../functions/history/hourCache';
import { createAwsClients } from '../../../functions/store/clients';
import { HistoryStore } from '../../../functions/history/historyStore';
import { DynamoEventStore } from '../../../functions/store/dynamoEventStore';
import { near, randomUnit, syntheticEvent } from '../../../scripts/seed/synthetic';
import { dropTable, sharedDynamoEndpoint, uniqueTable } from '../dynamoTarget';

const HOUR = Date.UTC(2025, 5, 1, 8) / BUCKET_MS; // a closed hour well in the past
// Retention that covers that hour: DynamoDB Local's TTL removes expired items within a second.
const retentionDays = 36_500;
const at = (minute: number) => HOUR * BUCKET_MS + minute * 60_000;
const face = randomUnit();

let dir: string;
let standIns: StandIns;
let db: DynamoDBClient;
let writer: DynamoEventStore;
let searcher: HistoryStore;
let cache: HourCache;
let table: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-cache-'));
  const shared = sharedDynamoEndpoint();
  standIns = await startStandIns(dir, 'images', { dynamodb: !shared });
  const c = loadConfig({
    DYNAMODB_ENDPOINT: shared ?? standIns.dynamodbEndpoint,
    S3_ENDPOINT: standIns.s3Endpoint,
  });
  db = createAwsClients(c, { localCredentials: true }).dynamo;
  table = shared ? uniqueTable('sfs-cache') : 'events';
  await ensureTable(db, table);
  writer = new DynamoEventStore(db, { table, retentionDays });
  cache = new HourCache({ budgetBytes: 1e8, memory: Int8DotKernel.instance() });
  searcher = new HistoryStore(db, { table, shards: 4, cache });
});

afterAll(async () => {
  if (db && sharedDynamoEndpoint()) await dropTable(db, table);
  db?.destroy();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});

const search = () =>
  scanHistory(searcher.records({ range: { fromMs: at(0), toMs: at(60) - 1 }, reverse: true }), {
    query: face,
    minCosine: 0.8,
  });

describe('hours cached between searches', () => {
  it('finds the matches with their event JSON, and caches the closed hour', async () => {
    const events = Array.from({ length: 60 }, (_, i) =>
      syntheticEvent(
        at(i % 60) + i,
        `cam-${i % 3}`,
        i % 20 === 0 ? near(face, 0.2) : randomUnit(),
        {},
        `ev-${i}`,
      ),
    );
    await writer.putMany(events);
    const out = await search();
    expect(out.examined).toBe(60);
    expect(out.matches.map((m) => m.record.eventId)).toEqual(['ev-40', 'ev-20', 'ev-0']);
    expect(JSON.parse(out.matches[0].record.doc)).toMatchObject({
      media_device_info: { media_device_id: 'cam-1' },
    });
    expect(cache.size).toBe(1);
  });

  it('sees an event written late into that hour by another process', async () => {
    const bytesBefore = cache.bytes;
    await writer.put(syntheticEvent(at(30), 'cam-9', near(face, 0.2), {}, 'late'));
    const out = await search();
    expect(out.examined).toBe(61);
    expect(out.matches.map((m) => m.record.eventId)).toContain('late');
    expect(cache.bytes).toBeGreaterThan(bytesBefore);
  });

  it('stops returning an event deleted by another process', async () => {
    expect(await writer.delete('ev-20')).toBeDefined();
    const out = await search();
    expect(out.matches.map((m) => m.record.eventId)).not.toContain('ev-20');
    expect(out.examined).toBe(60);
  });

  it('answers the same from the cache as from the table', async () => {
    const cold = await scanHistory(
      new HistoryStore(db, { table, shards: 4 }).records({
        range: { fromMs: at(0), toMs: at(60) - 1 },
        reverse: true,
      }),
      { query: face, minCosine: 0.8 },
    );
    const warm = await search();
    expect(warm).toEqual(cold);
  });
});
