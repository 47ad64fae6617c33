import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { expiresAtSeconds } from '../core/retention';
import { BUCKET_MS, hourOf } from '../core/timeWindow';
import { queryPages } from './dynamoPaging';
import { StorageUnavailableError, isConditionFailure } from './errors';
import { backoffDelay } from './retryPolicy';
import {
  EVENT_PK_PREFIX,
  INTENT_SHARDS,
  POINTER_SK,
  eventKey,
  hourDirectoryPk,
  hourDirectorySk,
  intentKey,
  intentPk,
  pointerPk,
  shardOf,
} from './keys';
import type { EventIntent, EventLocation, EventPointer, EventStore, StoredEvent } from './types';

export interface DynamoEventStoreOptions {
  table: string;
  shards: number;
  retentionDays: number;
  /** Parallel BatchWriteItem calls in putMany. */
  writeConcurrency: number;
}

const defaults: Omit<DynamoEventStoreOptions, 'table'> = {
  shards: 4,
  retentionDays: 90,
  writeConcurrency: 4,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Before re-sending the unprocessed part of a batch (attempt ≥ 1): 25..1000 ms, growing, with jitter. */
const batchBackoff = (attempt: number) => sleep(backoffDelay(attempt - 1, 50, 1000));

/**
 * The history's writes in DynamoDB: hour partitions split into shards (keys.ts has the layout), the hour
 * directory, pointers and intents. Searches read it through functions/history/.
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

  private expiresAt(timestampMs: number, ingestedAtMs = timestampMs): number {
    return expiresAtSeconds(timestampMs, ingestedAtMs, this.opts.retentionDays);
  }

  private eventItem(e: StoredEvent): Record<string, AttributeValue> {
    const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
    return {
      pk: { S: pk },
      sk: { S: sk },
      e: { B: e.code },
      dev: { S: e.deviceId },
      d: { S: JSON.stringify(e.doc) },
      expiresAt: { N: String(this.expiresAt(e.timestampMs, e.ingestedAtMs)) },
    };
  }

  private pointerItem(e: StoredEvent): Record<string, AttributeValue> {
    const imageIds = this.imageIdsOf(e);
    return {
      pk: { S: pointerPk(e.eventId) },
      sk: { S: POINTER_SK },
      ts: { N: String(e.timestampMs) },
      images: { L: imageIds.map((S) => ({ S })) },
      at: { N: String(e.ingestedAtMs ?? Date.now()) },
      expiresAt: { N: String(this.expiresAt(e.timestampMs, e.ingestedAtMs)) },
    };
  }

  async put(e: StoredEvent): Promise<'created' | 'duplicate'> {
    return (await this.putEvent(e)).status;
  }

  /**
   * Crash-safe order (docs/store.md, "Crashes"): the intent, the hour's directory entry (a stored
   * event's hour is always listed), the record, the hour's count and version, the pointer
   * (conditional), then the intent goes. The intent fixes the event's time at the first attempt's: a
   * retry after a crash (whatever timestamp it carries) writes its record under the same key, so there
   * is never a second record, and every record that exists is at the time its pointer or intent names
   * (DELETE and reconcile reach it) whatever process dies between two of these writes.
   */
  async putEvent(e: StoredEvent): Promise<{ status: 'created' | 'duplicate'; timestampMs: number }> {
    const found = await this.find(e.eventId);
    if (found) return { status: 'duplicate', timestampMs: found.timestampMs };
    const timestampMs = await this.claimIntent(e.eventId, e.timestampMs, this.imageIdsOf(e));
    const event =
      timestampMs === e.timestampMs
        ? e
        : { ...e, timestampMs, doc: { ...e.doc, timestamp: timestampMs / 1000 } };
    await this.bumpVersions([event], { shards: true });
    const old = await this.db.send(
      new PutItemCommand({
        TableName: this.opts.table,
        Item: this.eventItem(event),
        ReturnValues: 'ALL_OLD',
      }),
    );
    // A retry rewriting a stopped attempt's record in place adds no event to the hour's count.
    await this.bumpVersions([event], { count: old.Attributes ? undefined : 1 });
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.opts.table,
          Item: this.pointerItem(event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // A concurrent ingest of the same id won (possibly with an intent of its own, made after ours was
      // gone); settle() removes our copy if it is at another time.
      await this.settle(e.eventId);
      return { status: 'duplicate', timestampMs: (await this.find(e.eventId))?.timestampMs ?? timestampMs };
    }
    await this.deleteIntent(e.eventId, timestampMs);
    return { status: 'created', timestampMs };
  }

  /**
   * Creates the intent, or adopts the one a stopped attempt left: its time is the event's. An intent left
   * by a stopped erasure is taken over: its record goes first (our images are already written under
   * the same ids), then the intent carries our time.
   */
  private async claimIntent(eventId: string, timestampMs: number, imageIds: string[]): Promise<number> {
    const key = this.intentItemKey(eventId);
    const values: Record<string, AttributeValue> = {
      ':ts': { N: String(timestampMs) },
      ':now': { N: String(Date.now()) },
      ':exp': { N: String(this.expiresAt(timestampMs)) },
    };
    const r = await this.db.send(
      new UpdateItemCommand({
        TableName: this.opts.table,
        Key: key,
        UpdateExpression: `SET ts = if_not_exists(ts, :ts), touchedAt = :now, expiresAt = if_not_exists(expiresAt, :exp)${imageIds.length ? ' ADD images :img' : ''}`,
        ExpressionAttributeValues: imageIds.length ? { ...values, ':img': { SS: imageIds } } : values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const intent = this.parseIntent(r.Attributes ?? {});
    if (!intent.erasing) return intent.timestampMs;
    if (Math.floor(intent.timestampMs) !== Math.floor(timestampMs)) await this.deleteRecord(intent);
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.opts.table,
        Key: key,
        UpdateExpression: 'SET ts = :ts, touchedAt = :now, expiresAt = :exp REMOVE erasing',
        ExpressionAttributeValues: values,
      }),
    );
    return timestampMs;
  }

  private intentItemKey(eventId: string): Record<string, AttributeValue> {
    const { pk, sk } = intentKey(eventId);
    return { pk: { S: pk }, sk: { S: sk } };
  }

  async putMany(events: StoredEvent[], opts: { pointers?: boolean } = {}): Promise<void> {
    // Pointers first, in a phase of their own: a crash part-way leaves pointers to nothing (DELETE still
    // answers for them), never a searchable record without its pointer.
    if (opts.pointers !== false) await this.batchPut(events.map((e) => this.pointerItem(e)));
    await this.bumpVersions(events, { shards: true }); // directory entries before the records
    await this.batchPut(events.map((e) => this.eventItem(e)));
    await this.bumpVersions(events, { count: 1 });
  }

  private async batchPut(items: Array<Record<string, AttributeValue>>): Promise<void> {
    // One key twice in a BatchWriteItem call fails the whole call; the last copy of an item wins.
    const byKey = new Map<string, WriteRequest>();
    for (const item of items) byKey.set(`${item.pk.S}|${item.sk.S}`, { PutRequest: { Item: item } });
    const requests = [...byKey.values()];
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        let batch = requests.slice(next, next + 25);
        next += 25;
        for (let attempt = 0; batch.length > 0; attempt++) {
          if (attempt > 8)
            throw new StorageUnavailableError('BatchWriteItem left items unprocessed after retries');
          if (attempt > 0) await batchBackoff(attempt);
          const r = await this.db.send(
            new BatchWriteItemCommand({ RequestItems: { [this.opts.table]: batch } }),
          );
          batch = r.UnprocessedItems?.[this.opts.table] ?? [];
        }
      }
    };
    await Promise.all(Array.from({ length: this.opts.writeConcurrency }, worker));
  }

  private imageIdsOf(e: StoredEvent): string[] {
    return [e.doc.recognize_face_image_id, e.doc.spot_image_id].filter((id): id is string => Boolean(id));
  }

  private parseIntent(item: Record<string, AttributeValue>): EventIntent {
    return {
      eventId: item.sk?.S ?? '',
      timestampMs: Number(item.ts?.N ?? 0),
      imageIds: item.images?.SS ?? [],
      touchedAt: Number(item.touchedAt?.N ?? 0),
      erasing: item.erasing?.BOOL === true,
    };
  }

  async intent(eventId: string): Promise<EventIntent | undefined> {
    const r = await this.db.send(
      new GetItemCommand({
        TableName: this.opts.table,
        Key: this.intentItemKey(eventId),
        ConsistentRead: true,
      }),
    );
    return r.Item ? this.parseIntent(r.Item) : undefined;
  }

  async markErasing(intent: Omit<EventIntent, 'touchedAt' | 'erasing'>): Promise<void> {
    const values: Record<string, AttributeValue> = {
      ':ts': { N: String(intent.timestampMs) },
      ':now': { N: String(Date.now()) },
      ':exp': { N: String(this.expiresAt(intent.timestampMs)) },
      ':yes': { BOOL: true },
    };
    if (intent.imageIds.length) values[':img'] = { SS: [...new Set(intent.imageIds)] };
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.opts.table,
        Key: this.intentItemKey(intent.eventId),
        UpdateExpression: `SET ts = :ts, touchedAt = :now, expiresAt = :exp, erasing = :yes${intent.imageIds.length ? ' ADD images :img' : ''}`,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Removes the intent; with `onlyAt`, only if it still names that time and is not an erasure's. */
  async deleteIntent(eventId: string, onlyAt?: number): Promise<void> {
    try {
      await this.db.send(
        new DeleteItemCommand({
          TableName: this.opts.table,
          Key: this.intentItemKey(eventId),
          ...(onlyAt === undefined
            ? {}
            : {
                ConditionExpression: 'ts = :ts AND attribute_not_exists(erasing)',
                ExpressionAttributeValues: { ':ts': { N: String(onlyAt) } },
              }),
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async settle(eventId: string): Promise<number> {
    const [intent, pointer] = await Promise.all([this.intent(eventId), this.find(eventId)]);
    if (!intent || !pointer || intent.erasing) return 0;
    const stale = Math.floor(intent.timestampMs) !== Math.floor(pointer.timestampMs);
    if (stale) await this.deleteRecord(intent);
    await this.deleteIntent(eventId, intent.timestampMs);
    return stale ? 1 : 0;
  }

  async *intents(): AsyncIterable<EventIntent[]> {
    for (let shard = 0; shard < INTENT_SHARDS; shard++) {
      const pages = queryPages(this.db, {
        TableName: this.opts.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: intentPk(shard) } },
        ConsistentRead: true,
      });
      for await (const items of pages) yield items.map((item) => this.parseIntent(item));
    }
  }

  /**
   * Every write or delete of an event bumps its hour's version in the hour directory (after the write),
   * so caches of that hour in any process see the change on their next search. Writes bump it before
   * too, which creates the hour's directory entry before the event can be stored.
   */
  private async bumpVersions(
    events: EventLocation[],
    change: { shards?: boolean; count?: 1 | -1 } = {},
  ): Promise<void> {
    const hours = new Map<number, { shards: Set<number>; n: number }>();
    for (const e of events) {
      const h = hourOf(e.timestampMs);
      const entry = hours.get(h) ?? { shards: new Set<number>(), n: 0 };
      entry.shards.add(shardOf(e.eventId, this.opts.shards));
      entry.n++;
      hours.set(h, entry);
    }
    const todo = [...hours];
    // A bulk write may touch hundreds of hours: a few updates at a time, not one connection per hour.
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const [hour, { shards, n }] = todo[next++];
        const values: Record<string, AttributeValue> = {
          ':one': { N: '1' },
          ':exp': { N: String(this.expiresAt((hour + 1) * BUCKET_MS)) },
        };
        let add = 'v :one';
        if (change.shards) {
          values[':s'] = { NS: [...shards].map(String) };
          add += ', s :s';
        }
        if (change.count) {
          values[':n'] = { N: String(change.count * n) };
          add += ', n :n';
        }
        await this.db.send(
          new UpdateItemCommand({
            TableName: this.opts.table,
            Key: { pk: { S: hourDirectoryPk(hour) }, sk: { S: hourDirectorySk(hour) } },
            UpdateExpression: `ADD ${add} SET expiresAt = :exp`,
            ExpressionAttributeValues: values,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(todo.length, this.opts.writeConcurrency) }, worker));
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
      ingestedAtMs: r.Item.at?.N === undefined ? undefined : Number(r.Item.at.N),
    };
  }

  /** Store-level erasure (no images): the records the pointer and intent name, the pointer, the intent. */
  async delete(eventId: string): Promise<EventPointer | undefined> {
    const [p, intent] = await Promise.all([this.find(eventId), this.intent(eventId)]);
    if (!p && !intent) return undefined;
    if (p) await this.deleteRecord(p);
    if (intent && (!p || Math.floor(intent.timestampMs) !== Math.floor(p.timestampMs)))
      await this.deleteRecord(intent);
    await this.deletePointer(eventId);
    if (intent) await this.deleteIntent(eventId);
    return p ?? { eventId, timestampMs: intent!.timestampMs, imageIds: intent!.imageIds };
  }

  // One SDK command per method, each with its own projection, consistency and return values: spelled out,
  // not folded into a helper, so each call reads as the request it sends (and storeAccess.test checks it).
  async deleteRecord(e: EventLocation): Promise<void> {
    const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
    const old = await this.db.send(
      new DeleteItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    // Erasure may name a record a stopped ingest never wrote: the version moves, the count only if one went.
    await this.bumpVersions([e], { count: old.Attributes ? -1 : undefined });
  }

  async deletePointer(eventId: string): Promise<void> {
    await this.db.send(
      new DeleteItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pointerPk(eventId) }, sk: { S: POINTER_SK } },
      }),
    );
  }

  async embeddingOf(e: EventLocation): Promise<Uint8Array | undefined> {
    const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
    const r = await this.db.send(
      new GetItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ProjectionExpression: 'e',
      }),
    );
    return r.Item?.e?.B;
  }

  async recordExists(e: EventLocation): Promise<boolean> {
    const { pk, sk } = eventKey(e.timestampMs, e.eventId, this.opts.shards);
    const r = await this.db.send(
      new GetItemCommand({
        TableName: this.opts.table,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
      }),
    );
    return Boolean(r.Item);
  }

  async isEmpty(): Promise<boolean> {
    const r = await this.db.send(
      new ScanCommand({ TableName: this.opts.table, Limit: 25, ProjectionExpression: 'pk' }),
    );
    return !(r.Items ?? []).some((i) => i.pk.S?.startsWith(EVENT_PK_PREFIX)) && !r.LastEvaluatedKey;
  }
}
