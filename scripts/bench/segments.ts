/**
 * History segments on the bench's 50,000-record window (docs/speed.md, "Segments"): building them
 * (compaction), then reading the window's records cold three ways in the same run: the segments from
 * S3 (s3rver, what the service uses), the same segment bytes stored as DynamoDB items of up to 400 KB
 * (dynalite; the alternative the choice was measured against), and the items as a search reads them.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import { ENCODED_BYTES } from '../../functions/core/embeddingCodec';
import type { HistoryRecord, RecordBlock } from '../../functions/core/scan';
import { Compactor } from '../../functions/history/compactor';
import { HourItems } from '../../functions/history/hourItems';
import { decodeSegment, encodeSegment } from '../../functions/history/segmentFormat';
import { SegmentStore } from '../../functions/history/segmentStore';
import type { LocalServer } from '../../functions/local/server';
import { type Summary, summarize } from './stats';

export interface SegmentFigures {
  hours: number;
  records: number;
  segmentBytes: number;
  /** Building every hour's segment from its items (compactor.run over the window). */
  compactionMs: Summary;
  /** Versions (one batch read) and every hour's segment from S3, decoded into blocks. */
  segmentsReadMs: Summary;
  /** The same segment bytes as DynamoDB items (≤ 400 KB each): one Query per hour, joined, decoded. */
  segmentsDynamoReadMs: Summary;
  /** Every hour's items (all shards), merged and packed into blocks as the read path does. */
  itemsReadMs: Summary;
}

/** Hours read at once: the search's own read-ahead (the hour being scanned and two more). */
const CONCURRENCY = 3;
/** Segment bytes per DynamoDB item: under the 400 KB item limit with the keys. */
const DYNAMO_CHUNK = 380 * 1024;
const DYNAMO_PK = 'BENCHSEG#';

async function eachHour<T>(hours: number[], read: (hour: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(hours.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < hours.length) {
        const i = next++;
        out[i] = await read(hours[i]);
      }
    }),
  );
  return out;
}

/** As the read path packs an hour: sorted by (timestamp, id), codes copied into one matrix. */
function pack(records: HistoryRecord[]): RecordBlock {
  records.sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : 1));
  const codes = new Uint8Array(records.length * ENCODED_BYTES);
  records.forEach((r, i) => {
    codes.set(r.code, i * ENCODED_BYTES);
    r.code = codes.subarray(i * ENCODED_BYTES, (i + 1) * ENCODED_BYTES);
  });
  return { records, codes };
}

async function batchWrite(db: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let batch = requests.slice(i, i + 25);
    while (batch.length > 0) {
      const r = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
      batch = r.UnprocessedItems?.[table] ?? [];
    }
  }
}

async function dynamoSegment(db: DynamoDBClient, table: string, hour: number): Promise<RecordBlock> {
  const parts: Uint8Array[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const r = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `${DYNAMO_PK}${hour}` } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of r.Items ?? []) parts.push(item.b.B!);
    start = r.LastEvaluatedKey;
  } while (start);
  return decodeSegment(Buffer.concat(parts)).block;
}

/** The segments of the window's hours are removed (its searches then read items). */
export async function removeSegments(
  server: LocalServer,
  window: { first: number; last: number },
): Promise<void> {
  const c = server.config;
  const store = new SegmentStore(server.services.clients.s3, {
    bucket: c.IMAGE_BUCKET,
    retentionDays: 36_500,
  });
  const inWindow = (await store.list()).filter((s) => s.hour >= window.first && s.hour <= window.last);
  await store.remove(inWindow.map((s) => s.key));
}

/** Measures segments on the server's seeded window [firstHour, lastHour]; leaves them built. */
export async function benchSegments(
  server: LocalServer,
  window: { first: number; last: number },
  runs: number,
): Promise<SegmentFigures> {
  const { dynamo: db, s3 } = server.services.clients;
  const c = server.config;
  const items = new HourItems(db, { table: c.EVENTS_TABLE, shards: c.BUCKET_SHARDS });
  // The window lies months back: retention long enough to keep it.
  const store = new SegmentStore(s3, { bucket: c.IMAGE_BUCKET, retentionDays: 36_500 });
  const compactor = new Compactor(items, store, { retentionDays: 36_500, budgetMs: 600_000 });
  const hours = Array.from({ length: window.last - window.first + 1 }, (_, i) => window.first + i);

  const compaction: number[] = [];
  for (let i = 0; i < runs; i++) {
    await store.remove((await store.list()).filter((s) => hours.includes(s.hour)).map((s) => s.key));
    const t = performance.now();
    const report = await compactor.run(window);
    compaction.push(performance.now() - t);
    if (report.built !== hours.length)
      throw new Error(`compaction built ${report.built} of ${hours.length} hours`);
  }
  const versions = await items.versions(hours);

  // The same bytes as DynamoDB items, for the storage comparison.
  let segmentBytes = 0;
  const puts: WriteRequest[] = [];
  for (const hour of hours) {
    const bytes = encodeSegment(
      hour,
      versions.get(hour)!,
      (await store.readHour(hour, versions.get(hour)!))!.records,
    );
    segmentBytes += bytes.length;
    for (let at = 0, part = 0; at < bytes.length; at += DYNAMO_CHUNK, part++) {
      const Item = {
        pk: { S: `${DYNAMO_PK}${hour}` },
        sk: { S: String(part).padStart(4, '0') },
        b: { B: bytes.subarray(at, at + DYNAMO_CHUNK) },
      };
      puts.push({ PutRequest: { Item } });
    }
  }
  await batchWrite(db, c.EVENTS_TABLE, puts);

  const segmentsRead: number[] = [];
  const dynamoRead: number[] = [];
  const itemsRead: number[] = [];
  let records = 0;
  try {
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const current = await items.versions(hours);
      const blocks = await eachHour(hours, (h) => store.readHour(h, current.get(h) ?? '0'));
      segmentsRead.push(performance.now() - t);
      records = blocks.reduce((n, b) => n + (b?.records.length ?? NaN), 0);

      t = performance.now();
      await eachHour(hours, (h) => dynamoSegment(db, c.EVENTS_TABLE, h));
      dynamoRead.push(performance.now() - t);

      t = performance.now();
      const fromItems = await eachHour(hours, async (h) => pack(await items.records(h)));
      itemsRead.push(performance.now() - t);
      const n = fromItems.reduce((k, b) => k + b.records.length, 0);
      if (n !== records) throw new Error(`segments hold ${records} records, items ${n}`);
    }
  } finally {
    const deletes = puts.map((p) => ({
      DeleteRequest: { Key: { pk: p.PutRequest!.Item!.pk, sk: p.PutRequest!.Item!.sk } },
    }));
    await batchWrite(db, c.EVENTS_TABLE, deletes);
  }
  return {
    hours: hours.length,
    records,
    segmentBytes,
    compactionMs: summarize(compaction),
    segmentsReadMs: summarize(segmentsRead),
    segmentsDynamoReadMs: summarize(dynamoRead),
    itemsReadMs: summarize(itemsRead),
  };
}
