import { ContractError } from '../../../functions/core/errors';
import { type SearchSlots, slotOrder, withSearchSlot } from '../../../functions/core/lease';

describe('withSearchSlot', () => {
  it('runs the search holding a slot and releases it even when the search fails', async () => {
    let released = 0;
    const slots: SearchSlots = { tryAcquire: async () => ({ release: async () => void released++ }) };
    expect(await withSearchSlot(slots, async () => 42)).toBe(42);
    await expect(withSearchSlot(slots, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(released).toBe(2);
  });

  it('answers ANOTHER_PICTURE_SEARCH_RUNNING_ERROR when no slot is free', async () => {
    const slots: SearchSlots = { tryAcquire: async () => undefined };
    await expect(withSearchSlot(slots, async () => 1)).rejects.toEqual(
      new ContractError('ANOTHER_PICTURE_SEARCH_RUNNING_ERROR'),
    );
  });

  it('tries every slot once, in a shuffled order', () => {
    expect([...slotOrder(6)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
