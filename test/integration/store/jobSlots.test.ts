import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSlots } from '../../../functions/jobs/jobSlots';
import { ensureTable, startStandIns, type StandIns } from '../../../functions/local/standIns';
import { loadConfig } from '../../../functions/shared/config';
import { createAwsClients, type AwsClients } from '../../../functions/store/clients';

/** The search jobs' admission in AWS (functions/jobs/jobSlots.ts), against dynalite over the wire. */
let dir: string;
let standIns: StandIns;
let table: string;
const instances: AwsClients[] = [];

/** Another jobs Lambda instance: its own SDK client over the same table. */
function instance(now?: () => number): JobSlots {
  const c = loadConfig({ DYNAMODB_ENDPOINT: standIns.dynamodbEndpoint, S3_ENDPOINT: standIns.s3Endpoint });
  const clients = createAwsClients(c, { localCredentials: true });
  instances.push(clients);
  return new JobSlots(clients.dynamo, { table, leaseSeconds: 60, now });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfs-jobslots-'));
  const base = loadConfig({});
  standIns = await startStandIns(dir, base.IMAGE_BUCKET);
  const c = loadConfig({ DYNAMODB_ENDPOINT: standIns.dynamodbEndpoint, S3_ENDPOINT: standIns.s3Endpoint });
  table = c.EVENTS_TABLE;
  const clients = createAwsClients(c, { localCredentials: true });
  await ensureTable(clients.dynamo, table);
  clients.dynamo.destroy();
}, 60_000);

afterAll(async () => {
  for (const c of instances) {
    c.dynamo.destroy();
    c.s3.destroy();
  }
  await standIns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('simultaneous admissions on several instances never pass the limit; a release frees a slot', async () => {
  const slots = [instance(), instance(), instance()];
  const jobs = Array.from({ length: 6 }, (_, i) => `job-${i}`);
  const admitted = await Promise.all(jobs.map((id, i) => slots[i % 3].acquire(id, 2)));
  expect(admitted.filter(Boolean)).toHaveLength(2);
  expect(await slots[0].count()).toBe(2);
  // A retried start of an admitted job is the same admission, not a second slot.
  const first = jobs[admitted.indexOf(true)];
  expect(await slots[1].acquire(first, 2)).toBe(true);
  expect(await slots[2].count()).toBe(2);
  expect(await slots[0].acquire('late', 2)).toBe(false);
  await slots[2].release(first);
  await slots[1].release(first); // repeated: nothing more
  expect(await slots[0].count()).toBe(1);
  expect(await slots[0].acquire('late', 2)).toBe(true);
  expect(await slots[1].acquire('later', 2)).toBe(false);
  for (const id of [...jobs, 'late']) await slots[0].release(id);
  expect(await slots[0].count()).toBe(0);
});

it('a slot whose release never came frees itself when its lease expires', async () => {
  let now = Date.now();
  const slots = instance(() => now);
  expect(await slots.acquire('lost', 1)).toBe(true);
  expect(await slots.acquire('next', 1)).toBe(false);
  now += 61_000;
  expect(await slots.count()).toBe(0);
  expect(await slots.acquire('next', 1)).toBe(true);
  // The lost job's release, late, does not free the slot another job now holds.
  await slots.release('lost');
  expect(await slots.count()).toBe(1);
  await slots.release('next');
});
