import type { LeaseHandle, SearchSlots } from '../core/lease';
import { StorageUnavailableError, isStorageUnavailable } from './errors';

/**
 * What the patched dynalite answers when its storage fails (scripts/patch-dynalite.mjs): 500
 * InternalServerError. Throttling and timeouts (which tests inject to play AWS) stay SERVICE_UNAVAILABLE.
 */
export function isStandInStorageFailure(err: unknown): boolean {
  // The clients translate the SDK's failure (store/errors.ts): the stand-in's answer is then the cause.
  if (err instanceof StorageUnavailableError) err = err.cause;
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'InternalServerError' && e.$metadata?.httpStatusCode === 500;
}

export interface LocalFallbackOptions {
  /** MAX_CONCURRENT_SEARCHES: the same limit the table's leases enforce. */
  slots: number;
  /** After a lease write fails, the count alone decides for this long before the table is tried again. */
  retryTableAfterMs: number;
  now?: () => number;
}

/**
 * The local server's search slots (issue 14; docs/store.md, "Local storage and its disk"): the table's
 * leases while the table can store them, else a count kept in this process, so a full table disk (the
 * stand-in refuses writes but serves reads) stops ingests, not searches.
 *
 * Safe only where this process runs every search of the table: the local server with its own stand-ins,
 * holding DATA_DIR's lock (functions/local/dataDirLock.ts), so no other instance can hold a lease. The
 * count covers every search this process runs, whichever way its slot was taken, and is checked before
 * the table: the limit holds across a switch. Never used in AWS, where a lease that cannot be written
 * stays SERVICE_UNAVAILABLE (many instances share the table).
 */
export class LocalFallbackSearchSlots implements SearchSlots {
  private held = 0;
  private tableFailedAt = -Infinity;
  private readonly now: () => number;

  constructor(
    private readonly table: SearchSlots,
    private readonly opts: LocalFallbackOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  likelyFree(): boolean {
    return this.held < this.opts.slots && (this.table.likelyFree?.() ?? true);
  }

  async tryAcquire(): Promise<LeaseHandle | undefined> {
    if (this.held >= this.opts.slots) return undefined;
    let lease: LeaseHandle | undefined;
    if (this.now() - this.tableFailedAt >= this.opts.retryTableAfterMs) {
      try {
        lease = await this.table.tryAcquire();
        if (!lease) return undefined; // leases of a killed earlier run still count until they expire
      } catch (err) {
        if (!isStandInStorageFailure(err)) throw err;
        this.tableFailedAt = this.now();
      }
    }
    // Checked again: other searches may have taken the last slots while the table answered.
    if (this.held >= this.opts.slots) {
      await this.releaseQuietly(lease);
      return undefined;
    }
    this.held++;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.held--;
        await this.releaseQuietly(lease);
      },
    };
  }

  /** A lease the table cannot delete now expires by itself (LEASE_SECONDS), as a crashed search's does. */
  private async releaseQuietly(lease: LeaseHandle | undefined): Promise<void> {
    try {
      await lease?.release();
    } catch (err) {
      if (!isStorageUnavailable(err)) throw err;
    }
  }
}
