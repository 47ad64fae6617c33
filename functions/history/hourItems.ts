import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { HistoryRecord } from '../core/scan';
import { StorageUnavailableError } from '../store/errors';
import { eventPk, hourDirectoryPk, hourDirectorySk, hourFromDirectorySk, parseSk } from '../store/keys';
import { backoffDelay } from '../store/retryPolicy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What the compactor reads from the events table: hour write versions and an hour's records, both
 * strongly consistent (a segment must reflect every write its version counts).
 */
export class HourItems {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly opts: { table: string; shards: number },
  ) {}

  /** The write versions of these hours (hour directory entries); an hour without one is absent. */
  async versions(hours: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (let i = 0; i < hours.length; i += 100) {
      let keys: Record<string, AttributeValue>[] = hours
        .slice(i, i + 100)
        .map((h) => ({ pk: { S: hourDirectoryPk(h) }, sk: { S: hourDirectorySk(h) } }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8)
          throw new StorageUnavailableError('BatchGetItem left keys unprocessed after retries');
        if (attempt > 0) await sleep(backoffDelay(attempt - 1, 50, 1000));
        const r = await this.db.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.opts.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk, v' },
            },
          }),
        );
        for (const item of r.Responses?.[this.opts.table] ?? []) {
          out.set(hourFromDirectorySk(item.sk.S ?? ''), item.v?.N ?? '0');
        }
        keys = r.UnprocessedKeys?.[this.opts.table]?.Keys ?? [];
      }
    }
    return out;
  }

  /** Every record of the hour, all shards (order unspecified; codes as stored, `doc` empty). */
  async records(hour: number): Promise<HistoryRecord[]> {
    const shards = await Promise.all(
      Array.from({ length: this.opts.shards }, (_, s) => this.partition(eventPk(hour, s))),
    );
    return shards.flat();
  }

  private async partition(pk: string): Promise<HistoryRecord[]> {
    const out: HistoryRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.opts.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ProjectionExpression: 'sk, e, dev',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of r.Items ?? []) {
        const { timestampMs, eventId } = parseSk(item.sk.S ?? '');
        out.push({
          timestamp: timestampMs,
          eventId,
          deviceId: item.dev?.S ?? '',
          code: item.e?.B ?? new Uint8Array(0),
          doc: '',
        });
      }
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
