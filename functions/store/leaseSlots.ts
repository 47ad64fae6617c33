import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { queryPages } from './dynamoPaging';
import { isConditionFailure } from './errors';

/**
 * Numbered slots held by leases in the events table (the search slots, the AWS job slots): one item per
 * slot, `sk` slot#n, with its `owner` and `leaseUntil` (ms). A lease is taken with a conditional put, so
 * a limit holds across every instance, and a holder that dies blocks its slot for at most one lease.
 */
export const slotKey = (pk: string, slot: number) => ({ pk: { S: pk }, sk: { S: `slot#${slot}` } });

/** The slots of partition `pk` held by a live lease at `now`, with their owners (one consistent Query). */
export async function liveLeases(
  db: DynamoDBClient,
  table: string,
  pk: string,
  now: number,
): Promise<Map<number, string>> {
  const held = new Map<number, string>();
  const pages = queryPages(db, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: pk } },
    ProjectionExpression: 'sk, leaseUntil, #o',
    ExpressionAttributeNames: { '#o': 'owner' },
    ConsistentRead: true,
  });
  for await (const items of pages) {
    for (const item of items) {
      if (Number(item.leaseUntil?.N ?? 0) >= now) {
        held.set(Number((item.sk?.S ?? '').slice(5)), item.owner?.S ?? '');
      }
    }
  }
  return held;
}

/**
 * Takes `slot` for `owner` until now + leaseSeconds. The conditional put decides (another instance may
 * have taken the slot since it was read as free): true when it succeeded, false when the slot is held by
 * a live lease of someone else. With `orOwnLease`, a slot this owner already holds is taken again (a
 * retried start).
 */
export async function tryLease(
  db: DynamoDBClient,
  table: string,
  lease: { pk: string; slot: number; owner: string; now: number; leaseSeconds: number; orOwnLease?: boolean },
): Promise<boolean> {
  const until = lease.now + lease.leaseSeconds * 1000;
  try {
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...slotKey(lease.pk, lease.slot),
          owner: { S: lease.owner },
          leaseUntil: { N: String(until) },
          expiresAt: { N: String(Math.ceil(until / 1000) + 3600) },
        },
        ...(lease.orOwnLease
          ? {
              ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #o = :owner',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':now': { N: String(lease.now) }, ':owner': { S: lease.owner } },
            }
          : {
              ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
              ExpressionAttributeValues: { ':now': { N: String(lease.now) } },
            }),
      }),
    );
    return true;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return false;
  }
}
