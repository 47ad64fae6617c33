import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { hourOf } from '../core/timeWindow';
import { scanPages } from './dynamoPaging';
import { EVENT_PK_PREFIX, HOUR_DIRECTORY_PK_PREFIX, hourDirectoryPk, hourDirectorySk, parseSk } from './keys';

/** Written once a table's hour directory is known complete (new tables, or after a backfill). */
const MARKER = { pk: { S: HOUR_DIRECTORY_PK_PREFIX }, sk: { S: 'COMPLETE' } };

/**
 * Lists in the hour directory every hour that holds events, for tables written before the directory
 * existed (their searches would find nothing): one scan of the table, once, then a marker item. New
 * tables get the marker at once (their scan is empty). Returns the hours listed.
 *
 * @example await backfillHourDirectory(dynamo, 'sophon-face-events');
 */
export async function backfillHourDirectory(db: DynamoDBClient, table: string): Promise<number> {
  const marker = await db.send(new GetItemCommand({ TableName: table, Key: MARKER, ConsistentRead: true }));
  if (marker.Item) return 0;
  const hours = new Map<number, { shards: Set<string>; n: number; expiresAt: number }>();
  const pages = scanPages(db, {
    TableName: table,
    FilterExpression: 'begins_with(pk, :ev)',
    ExpressionAttributeValues: { ':ev': { S: EVENT_PK_PREFIX } },
    ProjectionExpression: 'pk, sk, expiresAt',
  });
  for await (const items of pages) {
    for (const item of items) {
      const hour = hourOf(parseSk(item.sk.S ?? '').timestampMs);
      const entry = hours.get(hour) ?? { shards: new Set<string>(), n: 0, expiresAt: 0 };
      entry.shards.add((item.pk.S ?? '').split('#')[2]);
      entry.n++;
      entry.expiresAt = Math.max(entry.expiresAt, Number(item.expiresAt?.N ?? 0));
      hours.set(hour, entry);
    }
  }
  for (const [hour, { shards, n, expiresAt }] of hours) {
    // The entry expires with the hour's newest item, so the TTL sweep takes it with the hour (an item
    // without expiresAt, of no release that wrote events, keeps its hour's entry).
    await db.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: hourDirectoryPk(hour) }, sk: { S: hourDirectorySk(hour) } },
        UpdateExpression: `ADD v :one, s :s SET n = :n${expiresAt > 0 ? ', expiresAt = :exp' : ''}`,
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':s': { NS: [...shards] },
          ':n': { N: String(n) },
          ...(expiresAt > 0 ? { ':exp': { N: String(expiresAt) } } : {}),
        },
      }),
    );
  }
  await db.send(new PutItemCommand({ TableName: table, Item: MARKER }));
  return hours.size;
}
