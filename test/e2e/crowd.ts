import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '../../functions/shared/config';
import { createServices } from '../../functions/store/services';
import type { EventStore, StoredEvent } from '../../functions/store/types';
import { randomUnit } from '../../scripts/seed/synthetic';
import { imagelessEvent } from './fixture';
import { DEVICES } from './seed';
import { TSX } from './serverProcess';

export interface CrowdOptions {
  count: number;
  newestMs: number;
  oldestMs: number;
}

/**
 * `count` events of strangers spread evenly over [oldestMs, newestMs], written straight to the store in
 * bulk. They exist to be scanned: enough of them that one search call reaches the contract's 50,000-
 * record cap and the console has to "Load more". The ingest API only takes photos, and running the face
 * engine 50,000 times would take the best part of two hours, so their embeddings are random unit vectors
 * (cosine to any face ≈ 0 ± 0.05: they never match at a sane threshold).
 */
export async function seedCrowd(
  store: EventStore,
  { count, newestMs, oldestMs }: CrowdOptions,
): Promise<void> {
  const device = DEVICES[2];
  const step = (newestMs - oldestMs) / Math.max(1, count - 1);
  const batch: StoredEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestampMs = Math.round(newestMs - i * step);
    batch.push(imagelessEvent(`crowd-${i}`, timestampMs, device, randomUnit()));
  }
  await store.putMany(batch, { pointers: false });
}

/**
 * Runs seedCrowd in a child process against the server's DynamoDB endpoint: inside jest's sandbox the
 * SDK is several times slower, and this is 51,000 writes.
 */
export async function seedCrowdOutOfProcess(dynamodbEndpoint: string, opts: CrowdOptions): Promise<void> {
  await promisify(execFile)(TSX, [__filename, dynamodbEndpoint, JSON.stringify(opts)], { env: process.env });
}

if (require.main === module) {
  const [endpoint, opts] = process.argv.slice(2);
  const config = loadConfig({ ...process.env, DYNAMODB_ENDPOINT: endpoint, S3_ENDPOINT: endpoint });
  seedCrowd(
    createServices(config, { localCredentials: true }).events,
    JSON.parse(opts) as CrowdOptions,
  ).catch((err) => {
    console.error('crowd seeding failed:', err);
    process.exit(1);
  });
}
