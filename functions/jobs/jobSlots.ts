import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailure } from '../store/errors';
import { JOB_PK_PREFIX } from '../store/keys';
import { liveLeases, slotKey, tryLease } from '../store/leaseSlots';

/** The slots' partition: under `JOB#` (the jobs' grants), never a job's (a job's key is `JOB#<uuid>`). */
const SLOTS_PK = `${JOB_PK_PREFIX}slots`;

/**
 * AWS's job admission: MAX_CONCURRENT_JOBS slots as lease items in the events table, mirroring the
 * search slots (functions/store/dynamoSearchSlots.ts). A job takes a slot with a conditional put that
 * succeeds only if the slot is free, its lease expired, or it is already this job's (a retried start),
 * so simultaneous POSTs on any number of instances never pass the limit. The job's end releases it (the
 * piece that finishes it, the map's Catch, a cancel, a GET finding its execution ended); a release that
 * never comes frees the slot when the lease (the state machine's timeout) expires.
 */
export class JobSlots {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly opts: { table: string; leaseSeconds: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Slot numbers held by a live lease, and their owners (one query). */
  private held(): Promise<Map<number, string>> {
    return liveLeases(this.db, this.opts.table, SLOTS_PK, this.now());
  }

  /** Jobs holding a slot now. */
  async count(): Promise<number> {
    return (await this.held()).size;
  }

  /** Takes a slot of `limit` for the job; false when all are held by other jobs. */
  async acquire(jobId: string, limit: number): Promise<boolean> {
    const held = await this.held();
    if ([...held.values()].includes(jobId)) return true;
    for (let slot = 0; slot < limit; slot++) {
      if (held.has(slot)) continue;
      const { leaseSeconds } = this.opts;
      const lease = { pk: SLOTS_PK, slot, owner: jobId, now: this.now(), leaseSeconds, orOwnLease: true };
      if (await tryLease(this.db, this.opts.table, lease)) return true;
    }
    return false;
  }

  /** Frees the job's slot, if it still holds one (a release repeated, or after expiry, does nothing). */
  async release(jobId: string): Promise<void> {
    for (const [slot, owner] of await this.held()) {
      if (owner !== jobId) continue;
      try {
        await this.db.send(
          new UpdateItemCommand({
            TableName: this.opts.table,
            Key: slotKey(SLOTS_PK, slot),
            UpdateExpression: 'SET leaseUntil = :zero REMOVE #o',
            ConditionExpression: '#o = :owner',
            ExpressionAttributeNames: { '#o': 'owner' },
            ExpressionAttributeValues: { ':zero': { N: '0' }, ':owner': { S: jobId } },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
  }
}
