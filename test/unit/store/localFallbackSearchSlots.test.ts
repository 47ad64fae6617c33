import type { LeaseHandle, SearchSlots } from '../../../functions/core/lease';
import { translateStorageError } from '../../../functions/store/errors';
import { LocalFallbackSearchSlots } from '../../../functions/store/localFallbackSearchSlots';

/** The table's slots as a fake: `failing` makes every lease write fail as a full table disk does. */
class TableSlots implements SearchSlots {
  held = 0;
  failing = false;
  constructor(private readonly slots: number) {}
  async tryAcquire(): Promise<LeaseHandle | undefined> {
    if (this.failing) throw storageFailure();
    if (this.held >= this.slots) return undefined;
    this.held++;
    return {
      release: async () => {
        if (this.failing) throw storageFailure();
        this.held--;
      },
    };
  }
}

/** The patched dynalite's answer to a storage error, as the adapter raises it (the client translates the SDK's). */
const storageFailure = () =>
  translateStorageError(
    Object.assign(new Error('storage'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
  );

let clock = 0;
const setup = (slots = 2) => {
  const table = new TableSlots(slots);
  return {
    table,
    slots: new LocalFallbackSearchSlots(table, { slots, retryTableAfterMs: 30_000, now: () => clock }),
  };
};

it('takes table leases while the table stores them', async () => {
  const { table, slots } = setup();
  const a = await slots.tryAcquire();
  expect(table.held).toBe(1);
  await a!.release();
  expect(table.held).toBe(0);
});

it('is likely free while its count and the table say so', async () => {
  const { table, slots } = setup(1);
  expect(slots.likelyFree()).toBe(true);
  const a = await slots.tryAcquire();
  expect(slots.likelyFree()).toBe(false); // its own count is full
  await a!.release();
  expect(slots.likelyFree()).toBe(true);
  (table as SearchSlots).likelyFree = () => false; // the table's last attempt was refused
  expect(slots.likelyFree()).toBe(false);
});

it('counts in process when a lease cannot be written, with the same limit, and tries the table again later', async () => {
  const { table, slots } = setup();
  table.failing = true;
  const a = await slots.tryAcquire();
  const b = await slots.tryAcquire();
  expect(a && b).toBeDefined();
  expect(await slots.tryAcquire()).toBeUndefined();
  await a!.release();
  table.failing = false;
  // Within the retry period the count alone decides, without asking the table.
  const c = await slots.tryAcquire();
  expect(table.held).toBe(0);
  await b!.release();
  await c!.release();
  clock += 30_000;
  const d = await slots.tryAcquire();
  expect(table.held).toBe(1);
  await d!.release();
});

it('keeps the limit across a switch: searches counted in process hold slots the table does not see', async () => {
  const { table, slots } = setup();
  table.failing = true;
  const a = await slots.tryAcquire();
  const b = await slots.tryAcquire();
  table.failing = false;
  clock += 30_000;
  expect(await slots.tryAcquire()).toBeUndefined();
  expect(table.held).toBe(0);
  await a!.release();
  await b!.release();
});

it('a table lease that cannot be deleted is released here (it expires by itself there)', async () => {
  const { table, slots } = setup(1);
  const a = await slots.tryAcquire();
  table.failing = true;
  await expect(a!.release()).resolves.toBeUndefined();
  expect(await slots.tryAcquire()).toBeDefined();
});

it.each([
  ['a bug', new TypeError('bug')],
  [
    'throttling (SERVICE_UNAVAILABLE, as in AWS)',
    Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
  ],
])('rethrows what is not a storage failure of the stand-in: %s', async (_what, err) => {
  const broken: SearchSlots = { tryAcquire: () => Promise.reject(err) };
  const slots = new LocalFallbackSearchSlots(broken, { slots: 1, retryTableAfterMs: 1 });
  await expect(slots.tryAcquire()).rejects.toBe(err);
});
