import { type DynamoDBClient, DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { type LeaseHandle, type SearchSlots, slotOrder } from '../core/lease';
import { isConditionFailure } from './errors';
import { LEASE_PK } from './keys';
import { liveLeases, slotKey, tryLease } from './leaseSlots';

export interface SearchSlotsOptions {
  table: string;
  slots: number;
  leaseSeconds: number;
  now?: () => number;
}

/**
 * Search slots as lease items in the events table (pk LEASE#search, sk slot#n). A slot is taken with a
 * conditional put that succeeds only if it is free or its lease has expired, so the limit holds across
 * every instance, and a crashed search blocks its slot for at most one lease. A running search renews
 * its lease every third of the lease time.
 */
export class DynamoSearchSlots implements SearchSlots {
  private readonly now: () => number;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly opts: SearchSlotsOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  private key(slot: number) {
    return slotKey(LEASE_PK, slot);
  }

  /** Slots not held by a live lease, read in one query. */
  private async freeSlots(): Promise<number[]> {
    const held = await liveLeases(this.db, this.opts.table, LEASE_PK, this.now());
    return slotOrder(this.opts.slots).filter((s) => !held.has(s));
  }

  /** The last attempt found every slot taken: the next one reads the leases first (see tryAcquire). */
  private full = false;

  likelyFree(): boolean {
    return !this.full;
  }

  /**
   * One slot at random is tried first with the conditional put alone: while slots are free (the usual
   * case) a search's slot costs one request, not the query and then the put (one round trip on every
   * search's path before its face engine starts). Only when that slot is held are the live leases read,
   * and a free one tried. After a refusal the leases are read first until a slot is taken again, so
   * refusals in a row cost one request each, as before (a failed conditional put is dearer than the
   * query: ~30 ms of CPU against the SDK and dynalite, readPath.test.ts).
   */
  async tryAcquire(): Promise<LeaseHandle | undefined> {
    const owner = randomUUID();
    const take = (slot: number) =>
      tryLease(this.db, this.opts.table, {
        pk: LEASE_PK,
        slot,
        owner,
        now: this.now(),
        leaseSeconds: this.opts.leaseSeconds,
      });
    if (!this.full) {
      const first = slotOrder(this.opts.slots)[0];
      if (await take(first)) return this.handle(first, owner);
    }
    for (const slot of await this.freeSlots()) {
      if (await take(slot)) {
        this.full = false;
        return this.handle(slot, owner);
      }
    }
    this.full = true;
    return undefined;
  }

  private handle(slot: number, owner: string): LeaseHandle {
    const ownerIs = { ':owner': { S: owner } };
    const renew = setInterval(
      () => {
        const until = this.now() + this.opts.leaseSeconds * 1000;
        this.db
          .send(
            new UpdateItemCommand({
              TableName: this.opts.table,
              Key: this.key(slot),
              UpdateExpression: 'SET leaseUntil = :until',
              ConditionExpression: '#o = :owner',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ...ownerIs, ':until': { N: String(until) } },
            }),
          )
          .catch(() => undefined); // a lost renewal only shortens the lease
      },
      // Three renewals per lease, so one lost renewal never lets a live search's lease lapse.
      (this.opts.leaseSeconds * 1000) / 3,
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        try {
          await this.db.send(
            new DeleteItemCommand({
              TableName: this.opts.table,
              Key: this.key(slot),
              ConditionExpression: '#o = :owner',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: ownerIs,
            }),
          );
        } catch (err) {
          // Someone took the slot after our lease expired: it is theirs now.
          if (!isConditionFailure(err)) throw err;
        }
      },
    };
  }
}
