/**
 * The measurements behind the functions' memory and timeout (docs/deploy.md): one process, as one
 * Lambda container, ORT_THREADS=1 as deployed. Cold = first call (model sessions load); warm = after.
 *
 *   npx tsx infra/measureSizing.ts [photos...]    default: build/fixtures/photos/sample1..6.jpg
 *   npx tsx infra/measureSizing.ts --scan 50000   also: one search that scans N synthetic events (no match) in
 *                                                 dynalite (memory of a maximal scan; its time is
 *                                                 dynalite's, far slower than DynamoDB)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getFaceEngine } from '../functions/face';
import { ensureTable, startStandIns } from '../functions/local/standIns';
import * as searchHandler from '../functions/search/handler';
import { resetConfig } from '../functions/shared/config';
import { LOCAL_CREDENTIALS } from '../functions/store/clients';
import { DynamoEventStore } from '../functions/store/dynamoEventStore';
import { randomUnit, syntheticEvent } from '../scripts/seed/synthetic';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const scanAt = args.indexOf('--scan');
const scanRecords = scanAt >= 0 ? Number(args.splice(scanAt, 2)[1]) : 0;
const photos = args.length
  ? args
  : [1, 2, 3, 4, 5, 6].map((n) => join(root, `build/fixtures/photos/sample${n}.jpg`));

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const images = photos.map((p) => readFileSync(p));
  const engine = getFaceEngine();
  console.log(`baseline rss ${mb(process.memoryUsage().rss)} MB; ${images.length} photos`);

  const coldQuery = await time(() => engine.analyzeQuery(images[0], 'no'));
  const coldEvent = await time(() => engine.analyzeEvent(images[0]));
  const query: number[] = [];
  const event: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const img of images) {
      query.push(await time(() => engine.analyzeQuery(img, 'no')));
      event.push(await time(() => engine.analyzeEvent(img)));
    }
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `analyzeQuery: cold ${coldQuery.toFixed(0)} ms, warm p50 ${pct(query, 0.5).toFixed(0)} ms, p95 ${pct(query, 0.95).toFixed(0)} ms`,
  );
  console.log(
    `analyzeEvent: cold ${coldEvent.toFixed(0)} ms, warm p50 ${pct(event, 0.5).toFixed(0)} ms, p95 ${pct(event, 0.95).toFixed(0)} ms`,
  );
  console.log(`peak rss ${mb(maxRss)} MB (all sessions loaded)`);
  if (scanRecords > 0) await measureScan(images[0]);
}

/** One search over `scanRecords` events spread over the last 24 h, through the search handler. */
async function measureScan(photo: Buffer): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sophon-sizing-'));
  const table = 'sizing-events';
  const bucket = 'sizing-images';
  const standIns = await startStandIns(dataDir, bucket);
  try {
    const db = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: standIns.dynamodbEndpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    await ensureTable(db, table);
    const store = new DynamoEventStore(db, { table, shards: 4, retentionDays: 90, writeConcurrency: 8 });
    const now = Date.now();
    const t0 = performance.now();
    for (let i = 0; i < scanRecords; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, scanRecords - i) }, (_, j) =>
        syntheticEvent(now - ((i + j) / scanRecords) * 86_400_000, `cam-${(i + j) % 8}`, randomUnit()),
      );
      await store.putMany(batch, { pointers: false });
    }
    console.log(`seeded ${scanRecords} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    Object.assign(process.env, {
      EVENTS_TABLE: table,
      IMAGE_BUCKET: bucket,
      DYNAMODB_ENDPOINT: standIns.dynamodbEndpoint,
      S3_ENDPOINT: standIns.s3Endpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    // The engine above already read the configuration; the search must see the stand-ins.
    resetConfig();
    const { handler } = searchHandler;
    const rssBefore = process.memoryUsage().rss;
    const t1 = performance.now();
    const event = {
      httpMethod: 'POST',
      path: '/sophon/v2/face/searchbyimage',
      resource: '/sophon/v2/face/searchbyimage',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ face_image_base64: photo.toString('base64'), fiqa_level: 'no', threshold: 99 }),
      isBase64Encoded: false,
    };
    const context = {
      getRemainingTimeInMillis: () => 900_000,
      functionName: 'sizing',
      awsRequestId: 'sizing',
    };
    // The handler's own event and context types are wider than this hand-built pair needs.
    const invoke = handler as unknown as (
      e: unknown,
      c: unknown,
    ) => Promise<{ statusCode: number; body: string }>;
    const r = await invoke(event, context);
    const body = JSON.parse(r.body) as { events?: unknown[]; total_time?: number };
    console.log(
      `search over ${scanRecords} records: HTTP ${r.statusCode}, ${body.events?.length ?? 0} events, ` +
        `${((performance.now() - t1) / 1000).toFixed(1)} s (dynalite), total_time ${body.total_time}, ` +
        `rss ${mb(rssBefore)} → ${mb(process.memoryUsage().rss)} MB, peak ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
    );
    db.destroy();
  } finally {
    await standIns.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
