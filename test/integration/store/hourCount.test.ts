/**
 * The hour directory's event count under the crash-safe write paths (docs/store.md, "Crashes"): a retry
 * that rewrites a stopped attempt's record in place, and an erasure of a record that is not there, move
 * the hour's version but not its count.
 */
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { encodeEmbedding } from '../../../functions/core/embeddingCodec';
import type { EventDoc } from '../../../functions/core/event';
import { hourOf } from '../../../functions/core/timeWindow';
import { DynamoEventStore } from '../../../functions/store/dynamoEventStore';
import { hourDirectoryPk, hourDirectorySk, pointerPk, POINTER_SK } from '../../../functions/store/keys';
import type { StoredEvent } from '../../../functions/store/types';
import { randomUnit } from '../../../scripts/seed/synthetic';
import { startTestServer } from '../api/helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
let store: DynamoEventStore;

beforeAll(async () => {
  server = await startTestServer();
  store = new DynamoEventStore(server.services.clients.dynamo, {
    table: server.config.EVENTS_TABLE,
    shards: server.config.BUCKET_SHARDS,
    // T is in 2025: with the default 90 days its items would carry a past expiresAt, which DynamoDB
    // Local (npm run test:dynamodb-local) sweeps in the background, mid-test.
    retentionDays: 36_500,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const T = Date.UTC(2025, 5, 7, 8, 9, 10);

const entry = async () => {
  const r = await server.services.clients.dynamo.send(
    new GetItemCommand({
      TableName: server.config.EVENTS_TABLE,
      Key: { pk: { S: hourDirectoryPk(hourOf(T)) }, sk: { S: hourDirectorySk(hourOf(T)) } },
      ConsistentRead: true,
    }),
  );
  return { n: Number(r.Item?.n?.N ?? NaN), v: Number(r.Item?.v?.N ?? NaN) };
};

const event = (eventId: string): StoredEvent => ({
  eventId,
  timestampMs: T,
  deviceId: 'cam-1',
  code: encodeEmbedding(randomUnit()),
  doc: { timestamp: T / 1000, media_device_info: { media_device_id: 'cam-1' } } as EventDoc,
});

it('counts an event once through a retried ingest, and an absent record not at all when erased', async () => {
  expect(await store.put(event('count-1'))).toBe('created');
  const first = await entry();
  expect(first.n).toBe(1);
  // A stopped attempt: the record is there, its pointer not (as if killed before the pointer).
  await server.services.clients.dynamo.send(
    new DeleteItemCommand({
      TableName: server.config.EVENTS_TABLE,
      Key: { pk: { S: pointerPk('count-1') }, sk: { S: POINTER_SK } },
    }),
  );
  expect(await store.put(event('count-1'))).toBe('created');
  const retried = await entry();
  expect(retried.n).toBe(1);
  expect(retried.v).toBeGreaterThan(first.v);
  await store.delete('count-1');
  expect((await entry()).n).toBe(0);
  // Erasing the record again (an erasure that names a record never written) changes the version only.
  const before = await entry();
  await store.deleteRecord({ eventId: 'count-1', timestampMs: T });
  const after = await entry();
  expect(after.n).toBe(0);
  expect(after.v).toBeGreaterThan(before.v);
});
