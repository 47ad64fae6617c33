import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { concatPrefetched, mergeOrdered } from '../core/merge';
import type { HistoryRecord } from '../core/scan';
import { BUCKET_MS, hoursToScan } from '../core/timeWindow';
import { isConditionFailure } from './errors';
import { POINTER_SK, eventKey, eventPk, parseSk, pointerPk, skBounds } from './keys';
import type { EventPointer, EventStore, HistoryQuery, StoredEvent } from './types';

export interface DynamoEventStoreOptions {
  table: string;
  shards: number;
  retentionDays: number;
  /** Hours whose first page is fetched ahead of the one being read. */
  lookaheadHours: number;
  /** Parallel BatchWriteItem calls in putMany. */
  writeConcurrency: number;
}

const defaults: Omit<DynamoEventStoreOptions, 'table'> = {
  shards: 4,
  retentionDays: 90,
  lookaheadHours: 2,
  writeConcurrency: 4,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The history in DynamoDB: hour-bucket partitions split into shards (keys.ts has the layout). A search
 * reads each hour's shards in parallel and merges them in exact (timestamp, id) order.
 *
 * Changing BUCKET_SHARDS only affects new writes if it grows; shrinking it hides older events in the
 * dropped shards, so only ever raise it.
 */
export class DynamoEventStore implements EventStore {
  private readonly opts: DynamoEventStoreOptions;

  constructor(
    private readonly db: DynamoDBClient,
    opts: Partial<DynamoEventStoreOptions> & { table: string },
  ) {
    this.opts = { ...defaults, ...opts };
  }

  private expiresAt(timestampMs: number): number {
    return Math.floor(timestampMs / 1000) + this.opts.retentionDays * 86_400;
  }

  private eventItem(e: StoredEvent): Record<string, AttributeValue> {
    const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
    return {
      pk: { S: pk },
      sk: { S: sk },
      e: { B: e.code },
      dev: { S: e.deviceId },
      d: { S: JSON.stringify(e.doc) },
      expiresAt: { N: String(this.expiresAt(e.timestampMs)) },
    };
  }

  private pointerItem(e: StoredEvent): Record<string, AttributeValue> {
    const imageIds = [e.doc.recognize_face_image_id, e.doc.spot_image_id].filter(Boolean);
    return {
      pk: { S: pointerPk(e.eventId) },
      sk: { S: POINTER_SK },
      ts: { N: String(e.timestampMs) },
      images: { L: imageIds.map((S) => ({ S })) },
      expiresAt: { N: String(this.expiresAt(e.timestampMs)) },
    };
  }

  async put(e: StoredEvent): Promise<'created' | 'duplicate'> {
    if (await this.find(e.eventId)) return 'duplicate';
    // Event first, pointer last: a crash in between leaves an event a retry rewrites in place (same key),
    // never a pointer to nothing.
    await this.db.send(new PutItemCommand({ TableName: this.opts.table, Item: this.eventItem(e) }));
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.opts.table,
          Item: this.pointerItem(e),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'created';
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // A concurrent ingest of the same id won; if it carried another timestamp, ours is a second copy.
      const winner = await this.find(e.eventId);
      if (winner && winner.timestampMs !== Math.floor(e.timestampMs)) {
        const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
        await this.db.send(
          new DeleteItemCommand({ TableName: this.opts.table, Key: { pk: { S: pk }, sk: { S: sk } } }),
        );
      }
      return 'duplicate';
    }
  }

  async putMany(events: StoredEvent[], opts: { pointers?: boolean } = {}): Promise<void> {
    const requests: WriteRequest[] = [];
    for (const e of events) {
      requests.push({ PutRequest: { Item: this.eventItem(e) } });
      if (opts.pointers !== false) requests.push({ PutRequest: { Item: this.pointerItem(e) } });
    }
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        let batch = requests.slice(next, next + 25);
        next += 25;
        for (let attempt = 0; batch.length > 0; attempt++) {
          if (attempt > 8) throw new Error('BatchWriteItem left items unprocessed after retries');
          if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
          const r = await this.db.send(
            new BatchWriteItemCommand({ RequestItems: { [this.opts.table]: batch } }),
          );
          batch = r.UnprocessedItems?.[this.opts.table] ?? [];
        }
      }
    };
    await Promise.all(Array.from({ length: this.opts.writeConcurrency }, worker));
  }

  async find(eventId: string): Promise<EventPointer | undefined> {
    const r = await this.db.send(
      new GetItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pointerPk(eventId) }, sk: { S: POINTER_SK } },
        ConsistentRead: true,
      }),
    );
    if (!r.Item) return undefined;
    return {
      eventId,
      timestampMs: Number(r.Item.ts.N),
      imageIds: (r.Item.images?.L ?? []).map((v) => v.S ?? '').filter(Boolean),
    };
  }

  async delete(eventId: string): Promise<EventPointer | undefined> {
    const p = await this.find(eventId);
    if (!p) return undefined;
    const { pk, sk } = eventKey(p.timestampMs, eventId, this.opts.shards);
    await this.db.send(
      new DeleteItemCommand({ TableName: this.opts.table, Key: { pk: { S: pk }, sk: { S: sk } } }),
    );
    await this.db.send(
      new DeleteItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pointerPk(eventId) }, sk: { S: POINTER_SK } },
      }),
    );
    return p;
  }

  records(q: HistoryQuery): AsyncIterable<HistoryRecord> {
    const hours = hoursToScan(q.range, q.reverse);
    const forward = (a: HistoryRecord, b: HistoryRecord) =>
      a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.eventId < b.eventId);
    const before = q.reverse ? (a: HistoryRecord, b: HistoryRecord) => forward(b, a) : forward;
    return concatPrefetched(
      hours.map((hour) => () => {
        const from = Math.max(q.range.fromMs, hour * BUCKET_MS);
        const to = Math.min(q.range.toMs, (hour + 1) * BUCKET_MS - 1);
        const shards = Array.from({ length: this.opts.shards }, (_, s) =>
          this.pages(eventPk(hour, s), from, to, q.reverse, q.deviceIds),
        );
        return mergeOrdered(shards, before);
      }),
      this.opts.lookaheadHours,
    );
  }

  private async *pages(
    pk: string,
    fromMs: number,
    toMs: number,
    reverse: boolean,
    deviceIds: string[] | undefined,
  ): AsyncGenerator<HistoryRecord[]> {
    const { lo, hi } = skBounds(fromMs, toMs);
    const values: Record<string, AttributeValue> = { ':pk': { S: pk }, ':lo': { S: lo }, ':hi': { S: hi } };
    let filter: string | undefined;
    if (deviceIds) {
      deviceIds.forEach((d, i) => (values[`:d${i}`] = { S: d }));
      filter = `dev IN (${deviceIds.map((_, i) => `:d${i}`).join(', ')})`;
    }
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.opts.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          FilterExpression: filter,
          ExpressionAttributeValues: values,
          ProjectionExpression: 'sk, e, dev, d',
          ScanIndexForward: !reverse,
          ExclusiveStartKey: start,
        }),
      );
      yield (r.Items ?? []).map((item) => {
        const { timestampMs, eventId } = parseSk(item.sk.S ?? '');
        return {
          timestamp: timestampMs,
          eventId,
          deviceId: item.dev?.S ?? '',
          code: item.e?.B ?? new Uint8Array(0),
          doc: item.d?.S ?? '{}',
        };
      });
      start = r.LastEvaluatedKey;
    } while (start);
  }

  async isEmpty(): Promise<boolean> {
    const r = await this.db.send(
      new ScanCommand({ TableName: this.opts.table, Limit: 25, ProjectionExpression: 'pk' }),
    );
    return !(r.Items ?? []).some((i) => i.pk.S?.startsWith('EV#')) && !r.LastEvaluatedKey;
  }
}
