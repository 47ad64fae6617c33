/**
 * A search that crashes while holding its slot (another instance took it and died: no release, no
 * renewal) blocks that slot for one lease only; a search that is alive keeps renewing its lease.
 */
import { createAwsClients } from '../../../functions/store/clients';
import { DynamoSearchSlots } from '../../../functions/store/dynamoSearchSlots';
import { b64, faceCrop, facesOf, photo, post, startTestServer } from '../api/helpers';
import { countFault, faultTally, faultsInjected } from './faultKit';
import { DEFAULT_MESSAGES } from '../../../functions/core/errors';

const LEASE_SECONDS = 2;
let server: Awaited<ReturnType<typeof startTestServer>>;
let alice: Buffer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const search = () => post(`${server.url}/sophon/v2/face/searchbyimage`, { face_image_base64: b64(alice) });
const BUSY = {
  status: 429,
  body: {
    error: {
      code: 'ANOTHER_PICTURE_SEARCH_RUNNING_ERROR',
      message: DEFAULT_MESSAGES.ANOTHER_PICTURE_SEARCH_RUNNING_ERROR,
    },
  },
};

/** Another instance of the service: its own SDK client and slots over the same table. */
function otherInstance() {
  const { dynamo } = createAwsClients(server.config, { localCredentials: true });
  const slots = new DynamoSearchSlots(dynamo, {
    table: server.config.EVENTS_TABLE,
    slots: server.config.MAX_CONCURRENT_SEARCHES,
    leaseSeconds: server.config.LEASE_SECONDS,
  });
  /** The instance dies: from now on none of its calls (renewals, the release) reaches DynamoDB. */
  const crash = () => {
    countFault('crashed-search');
    dynamo.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('process gone'), { name: 'Crashed' });
      },
      { step: 'initialize', name: 'crashed' },
    );
  };
  return { slots, crash, destroy: () => dynamo.destroy() };
}

beforeAll(async () => {
  server = await startTestServer({ LEASE_SECONDS: String(LEASE_SECONDS), MAX_CONCURRENT_SEARCHES: '1' });
  const group = photo(1);
  alice = await faceCrop(group, (await facesOf(group))[0]);
}, 60_000);

afterAll(async () => {
  await server?.close();
  console.log(`faults/lease: ${faultsInjected()} faults injected ${JSON.stringify(faultTally)}`);
});

it('a crashed search holds its slot until its lease expires, then another search gets through', async () => {
  const other = otherInstance();
  const lease = await other.slots.tryAcquire();
  const expiresAt = Date.now() + LEASE_SECONDS * 1000;
  expect(lease).toBeDefined();
  other.crash();

  expect(await search()).toEqual(BUSY);
  let answer = await search();
  while (answer.status === 429 && Date.now() < expiresAt + 10_000) {
    await sleep(200);
    answer = await search();
  }
  expect(answer.status).toBe(200);
  // The slot was really held for the whole lease: no search got it before the lease ran out.
  expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  // The slot is free again after that search: the crashed holder left no trace.
  expect((await search()).status).toBe(200);
  other.destroy();
});

it('a live search renews its lease: the slot stays taken past LEASE_SECONDS until it is released', async () => {
  const other = otherInstance();
  const lease = await other.slots.tryAcquire();
  expect(lease).toBeDefined();
  await sleep(LEASE_SECONDS * 1000 * 1.5);
  expect(await search()).toEqual(BUSY);
  await lease!.release();
  expect((await search()).status).toBe(200);
  other.destroy();
});
