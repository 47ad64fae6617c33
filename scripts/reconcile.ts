/**
 * Removes what failed ingests and interrupted erasures left behind (functions/store/reconcile.ts):
 *
 *   npm run reconcile                         # the local server's data (running at $PORT, or DATA_DIR)
 *   npm run reconcile -- --dry-run            # count only
 *   npm run reconcile -- --grace-minutes 15   # images younger than this are left alone (default 60)
 *   npm run reconcile -- --aws                # the configured table and bucket in AWS (default credentials)
 *
 * Prints one JSON line: the counts of ReconcileReport.
 */
import { Command } from 'commander';
import { startLocalServer, type LocalServer } from '../functions/local/server';
import { config, loadConfig } from '../functions/shared/config';
import { reconcile } from '../functions/store/reconcile';
import { createServices, type Services } from '../functions/store/services';
import { findLocalServer, isLoopbackEndpoint } from './lib/localServer';

interface Options {
  graceMinutes: number;
  dryRun?: boolean;
  aws?: boolean;
  url?: string;
}

async function main(): Promise<void> {
  const o = new Command()
    .name('reconcile')
    .option('--grace-minutes <n>', 'leave images younger than this alone (ingests still running)', Number, 60)
    .option('--dry-run', 'count what would be removed, remove nothing')
    .option('--aws', 'the configured table and bucket through the default AWS endpoints and credentials')
    .option('--url <url>', 'the local server whose data to reconcile (default: http://127.0.0.1:$PORT)')
    .parse()
    .opts<Options>();
  if (!Number.isFinite(o.graceMinutes) || o.graceMinutes < 0)
    throw new Error('--grace-minutes: a number ≥ 0');

  let server: LocalServer | undefined;
  let services: Services;
  const endpoints = o.aws ? undefined : await findLocalServer(o.url ?? `http://127.0.0.1:${config().PORT}`);
  if (o.aws) {
    services = createServices(config());
  } else if (endpoints) {
    const c = loadConfig({
      ...process.env,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      S3_ENDPOINT: endpoints.s3,
      EVENTS_TABLE: endpoints.table,
      IMAGE_BUCKET: endpoints.bucket,
    });
    services = createServices(c, {
      localCredentials: isLoopbackEndpoint(endpoints.s3),
    });
  } else {
    // No server running: the local data (or DYNAMODB_ENDPOINT/S3_ENDPOINT, as `npm start` would use them).
    server = await startLocalServer({ port: 0 });
    services = server.services;
  }
  try {
    const report = await reconcile(services, { graceMs: o.graceMinutes * 60_000, dryRun: Boolean(o.dryRun) });
    console.log(JSON.stringify(report));
  } finally {
    await server?.close();
  }
}

main().catch((err) => {
  console.error('reconcile failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
