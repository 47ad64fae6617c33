import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { StorageUnavailableError } from './errors';
import { backoffDelay } from './retryPolicy';

type Item = Record<string, AttributeValue>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Re-sends of a batch's unprocessed part (the SDK already retried each call's transient failures). */
const MAX_BATCH_ATTEMPTS = 9;
/** DynamoDB's limit on the keys of one BatchGetItem call. */
const BATCH_GET_KEYS = 100;

export interface PageOptions {
  /** Aborted: the request in flight is cancelled and no further page is asked for. */
  signal?: AbortSignal;
}

/** Every page of a paged call, in order, asked for only as the consumer takes them. */
async function* pages(
  send: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
  first: Item | undefined,
): AsyncGenerator<Item[]> {
  let start = first;
  do {
    const r = await send(start);
    yield r.Items ?? [];
    start = r.LastEvaluatedKey;
  } while (start);
}

/**
 * Every page of a Query, in order, asked for only as the consumer takes them (a consumer that stops
 * early reads no further page).
 *
 * @example for await (const items of queryPages(db, { TableName, KeyConditionExpression, ... })) use(items);
 */
export function queryPages(
  db: DynamoDBClient,
  input: QueryCommandInput,
  opts: PageOptions = {},
): AsyncGenerator<Item[]> {
  return pages(
    (start) =>
      db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }), { abortSignal: opts.signal }),
    input.ExclusiveStartKey,
  );
}

/** Every page of a Scan, in order, as queryPages (each names its own SDK command; the loop is `pages`). */
export function scanPages(
  db: DynamoDBClient,
  input: ScanCommandInput,
  opts: PageOptions = {},
): AsyncGenerator<Item[]> {
  return pages(
    (start) => db.send(new ScanCommand({ ...input, ExclusiveStartKey: start }), { abortSignal: opts.signal }),
    input.ExclusiveStartKey,
  );
}

/**
 * The items of `keys` in one table (any order; absent items are simply missing), in calls of 100 keys
 * run in parallel. A key given twice is asked once (one key twice fails a whole call). The unprocessed
 * part of a call (DynamoDB's answer to throttling and size limits) is re-sent with a growing, jittered
 * backoff (25..1000 ms); still unprocessed after 9 attempts: StorageUnavailableError.
 *
 * @example const items = await batchGetAll(db, table, keys, { projection: 'pk, sk, d' });
 */
export async function batchGetAll(
  db: DynamoDBClient,
  table: string,
  keys: Item[],
  opts: { projection?: string; consistent?: boolean } = {},
): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [`${k.pk?.S}|${k.sk?.S}`, k])).values()];
  const batches: Item[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) batches.push(unique.slice(i, i + BATCH_GET_KEYS));
  const found = await Promise.all(
    batches.map(async (batch) => {
      const out: Item[] = [];
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS)
          throw new StorageUnavailableError('BatchGetItem left keys unprocessed after retries');
        if (attempt > 0) await sleep(backoffDelay(attempt - 1, 50, 1000));
        const r = await db.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table]: {
                Keys: pending,
                ProjectionExpression: opts.projection,
                ConsistentRead: opts.consistent,
              },
            },
          }),
        );
        for (const item of r.Responses?.[table] ?? []) out.push(item);
        pending = r.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      return out;
    }),
  );
  return found.flat();
}
