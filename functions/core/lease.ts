import { ContractError } from './errors';

/** A claim on one of the deployment-wide search slots. */
export interface LeaseHandle {
  release(): Promise<void>;
}

/** Slots shared by every instance; a slot whose holder crashed frees itself when its lease expires. */
export interface SearchSlots {
  /** A handle, or undefined when every slot is taken. */
  tryAcquire(): Promise<LeaseHandle | undefined>;
  /**
   * False when this process's last attempt found every slot taken, so the next is likely refused: a
   * search then starts nothing beside the acquisition (a refusal stays cheap under a full house).
   */
  likelyFree?(): boolean;
}

/**
 * Runs `fn` holding a search slot; ANOTHER_PICTURE_SEARCH_RUNNING_ERROR when none is free.
 *
 * @example await withSearchSlot(slots, () => search(query));
 */
export async function withSearchSlot<T>(slots: SearchSlots, fn: () => Promise<T>): Promise<T> {
  const lease = await slots.tryAcquire();
  if (!lease) throw new ContractError('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR');
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}

/** Slot numbers in a random order, so instances spread their attempts instead of all racing for slot 0. */
export function slotOrder(count: number, random: () => number = Math.random): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
