import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { hourOf } from '../core/timeWindow';
import { scanPages } from './dynamoPaging';
import { hourDirectoryPk, hourDirectorySk, parseSk } from './keys';

/** Written once a table's hour directory is known complete (new tables, or after a backfill). */
const MARKER = { pk: { S: 'HV#' }, sk: { S: 'COMPLETE' } };

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
  const hours = new Map<number, { shards: Set<string>; n: number }>();
  const pages = scanPages(db, {
    TableName: table,
    FilterExpression: 'begins_with(pk, :ev)',
    ExpressionAttributeValues: { ':ev': { S: 'EV#' } },
    ProjectionExpression: 'pk, sk',
  });
  for await (const items of pages) {
    for (const item of items) {
      const hour = hourOf(parseSk(item.sk.S ?? '').timestampMs);
      const entry = hours.get(hour) ?? { shards: new Set<string>(), n: 0 };
      entry.shards.add((item.pk.S ?? '').split('#')[2]);
      entry.n++;
      hours.set(hour, entry);
    }
  }
  for (const [hour, { shards, n }] of hours) {
    await db.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: hourDirectoryPk(hour) }, sk: { S: hourDirectorySk(hour) } },
        UpdateExpression: 'ADD v :one, s :s SET n = :n',
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':s': { NS: [...shards] },
          ':n': { N: String(n) },
        },
      }),
    );
  }
  await db.send(new PutItemCommand({ TableName: table, Item: MARKER }));
  return hours.size;
}
