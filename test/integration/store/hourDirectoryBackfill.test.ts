import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { encodeEmbedding } from '../../../functions/core/embeddingCodec';
import { hourOf } from '../../../functions/core/timeWindow';
import { backfillHourDirectory } from '../../../functions/store/hourDirectoryBackfill';
import { eventKey, hourDirectoryPk, hourDirectorySk } from '../../../functions/store/keys';
import { randomUnit } from '../../../scripts/seed/synthetic';
import { startTestServer } from '../api/helpers';
import { readRecords } from '../../support/history';

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  // Its events are of 2025: kept past the default retention, else the search's retention hides them.
  server = await startTestServer({ RETENTION_DAYS: '36500' });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('backfillHourDirectory', () => {
  it('lists the hours of events written before the directory existed, once', async () => {
    const { dynamo } = server.services.clients;
    const table = server.config.EVENTS_TABLE;
    const t0 = Date.UTC(2025, 1, 3, 4, 5);
    const times = [t0, t0 + 1000, t0 + 3 * 3_600_000, t0 + 400 * 86_400_000];
    // Event items as an older release wrote them: no directory entry; all but the last with an expiry,
    // in the future: DynamoDB Local (npm run test:dynamodb-local), like DynamoDB, deletes expired items
    // in the background, mid-test (a CI run lost old-0..2 between the backfill and the read).
    const expiry = (i: number) => Math.floor(times[i] / 1000) + 36_500 * 86_400;
    for (const [i, ts] of times.entries()) {
      const { pk, sk } = eventKey(ts, `old-${i}`, server.config.BUCKET_SHARDS);
      await dynamo.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: pk },
            sk: { S: sk },
            e: { B: encodeEmbedding(randomUnit()) },
            dev: { S: 'cam-1' },
            d: { S: '{}' },
            ...(i < 3 ? { expiresAt: { N: String(expiry(i)) } } : {}),
          },
        }),
      );
    }
    const range = { fromMs: t0 - 1, toMs: t0 + 401 * 86_400_000 };
    const read = async () => {
      const ids: string[] = [];
      for (const r of await readRecords(server.services.history.records({ range, reverse: false })))
        ids.push(r.eventId);
      return ids;
    };
    expect(await read()).toEqual([]);
    expect(await backfillHourDirectory(dynamo, table)).toBe(new Set(times.map(hourOf)).size);
    expect(await read()).toEqual(['old-0', 'old-1', 'old-2', 'old-3']);
    expect(await backfillHourDirectory(dynamo, table)).toBe(0); // done once
    // Each entry expires with its hour's newest item (the TTL sweep takes both); none without one.
    const entryExpiry = async (ts: number) =>
      (
        await dynamo.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: hourDirectoryPk(hourOf(ts)) }, sk: { S: hourDirectorySk(hourOf(ts)) } },
          }),
        )
      ).Item?.expiresAt?.N;
    expect(await entryExpiry(times[0])).toBe(String(expiry(1)));
    expect(await entryExpiry(times[2])).toBe(String(expiry(2)));
    expect(await entryExpiry(times[3])).toBeUndefined();
  });
});
