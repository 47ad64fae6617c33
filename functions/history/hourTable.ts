import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryRecord } from '../core/scan';
import { batchGetAll, queryPages } from '../store/dynamoPaging';
import {
  eventKey,
  eventPk,
  hourDirectoryPk,
  hourDirectorySk,
  hourFromDirectorySk,
  parseSk,
  skBounds,
} from '../store/keys';
import type { HourEntry, HourSource, ReadOptions } from './hourBlocks';

/** DynamoDB's limit on the operands of one IN; dynalite has none (docs/store.md, Conformance). */
const MAX_IN_OPERANDS = 100;

/**
 * The read path's port onto the events table (the layout of store/keys.ts): an hour's shards page by
 * page, the hour directory, the event JSON of matches. Reads only; the store writes.
 */
export class HourTable implements HourSource {
  readonly cacheKey: string;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly opts: { table: string; shards: number },
  ) {
    this.cacheKey = `${opts.table}#${opts.shards}`;
  }

  shardPages(hour: number, fromMs: number, toMs: number, o: ReadOptions): AsyncIterable<HistoryRecord[]>[] {
    return (o.shards ?? Array.from({ length: this.opts.shards }, (_, s) => s))
      .filter((s) => s < this.opts.shards)
      .map((s) => this.pages(eventPk(hour, s), fromMs, toMs, o));
  }

  /** The stored event JSON of these records, in order; undefined for an event no longer there. */
  async docs(records: HistoryRecord[]): Promise<Array<string | undefined>> {
    const keys = records.map((r) => eventKey(r.timestamp, r.eventId, this.opts.shards));
    const items = await batchGetAll(
      this.db,
      this.opts.table,
      keys.map((k) => ({ pk: { S: k.pk }, sk: { S: k.sk } })),
      { projection: 'pk, sk, d' },
    );
    const found = new Map(items.map((i) => [`${i.pk.S}|${i.sk.S}`, i.d?.S ?? '{}']));
    return keys.map((k) => found.get(`${k.pk}|${k.sk}`));
  }

  /** The directory's hours in [first, last] (one UTC year at most) with their versions, consistent. */
  async hours(first: number, last: number, signal?: AbortSignal): Promise<Map<number, HourEntry>> {
    const out = new Map<number, HourEntry>();
    const pages = queryPages(
      this.db,
      {
        TableName: this.opts.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': { S: hourDirectoryPk(first) },
          ':lo': { S: hourDirectorySk(first) },
          ':hi': { S: hourDirectorySk(last) },
        },
        ProjectionExpression: 'sk, v, s, n',
        ConsistentRead: true,
      },
      { signal },
    );
    for await (const items of pages) {
      for (const item of items) {
        out.set(hourFromDirectorySk(item.sk.S ?? ''), {
          version: item.v?.N ?? '0',
          shards: item.s?.NS?.map(Number),
          count: item.n?.N === undefined ? undefined : Number(item.n.N),
        });
      }
    }
    return out;
  }

  private async *pages(
    pk: string,
    fromMs: number,
    toMs: number,
    { deviceIds, consistent = false, signal, reverse = false, limit }: ReadOptions,
  ): AsyncGenerator<HistoryRecord[]> {
    const { lo, hi } = skBounds(fromMs, toMs);
    const values: Record<string, AttributeValue> = { ':pk': { S: pk }, ':lo': { S: lo }, ':hi': { S: hi } };
    // No device: no record (`IN ()` is a syntax error). Past IN's operand limit the devices are
    // filtered here instead of by DynamoDB.
    if (deviceIds?.length === 0) return;
    const here = deviceIds && deviceIds.length > MAX_IN_OPERANDS ? new Set(deviceIds) : undefined;
    let filter: string | undefined;
    if (deviceIds && !here) {
      deviceIds.forEach((d, i) => (values[`:d${i}`] = { S: d }));
      filter = `dev IN (${deviceIds.map((_, i) => `:d${i}`).join(', ')})`;
    }
    const pages = queryPages(
      this.db,
      {
        TableName: this.opts.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        FilterExpression: filter,
        ExpressionAttributeValues: values,
        // A search fetches the event JSON of its matches only (docs()): a third of the bytes otherwise.
        ProjectionExpression: 'sk, e, dev',
        ScanIndexForward: !reverse,
        ConsistentRead: consistent,
        Limit: limit,
      },
      { signal },
    );
    for await (const page of pages) {
      const items = here ? page.filter((i) => here.has(i.dev?.S ?? '')) : page;
      yield items.map((item) => {
        const { timestampMs, eventId } = parseSk(item.sk.S ?? '');
        return {
          timestamp: timestampMs,
          eventId,
          deviceId: item.dev?.S ?? '',
          code: item.e?.B ?? new Uint8Array(0),
          doc: '',
        };
      });
    }
  }
}
