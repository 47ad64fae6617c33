import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryRecord } from '../core/scan';
import { batchGetAll, queryPages } from '../store/dynamoPaging';
import { eventPk, hourDirectoryPk, hourDirectorySk, hourFromDirectorySk, parseSk } from '../store/keys';

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
    const items = await batchGetAll(
      this.db,
      this.opts.table,
      hours.map((h) => ({ pk: { S: hourDirectoryPk(h) }, sk: { S: hourDirectorySk(h) } })),
      { projection: 'sk, v', consistent: true },
    );
    return new Map(items.map((item) => [hourFromDirectorySk(item.sk.S ?? ''), item.v?.N ?? '0']));
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
    const pages = queryPages(this.db, {
      TableName: this.opts.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ProjectionExpression: 'sk, e, dev',
      ConsistentRead: true,
    });
    for await (const items of pages) {
      for (const item of items) {
        const { timestampMs, eventId } = parseSk(item.sk.S ?? '');
        out.push({
          timestamp: timestampMs,
          eventId,
          deviceId: item.dev?.S ?? '',
          code: item.e?.B ?? new Uint8Array(0),
          doc: '',
        });
      }
    }
    return out;
  }
}
