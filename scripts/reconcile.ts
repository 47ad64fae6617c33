/**
 * Removes what failed ingests and interrupted erasures left behind (functions/reconcile/reconcile.ts):
 *
 *   npm run reconcile                         # DATA_DIR's data (through the server holding it, if one runs)
 *   npm run reconcile -- --dry-run            # count only
 *   npm run reconcile -- --grace-minutes 15   # images younger than this are left alone (default 60)
 *   npm run reconcile -- --aws                # the configured table and bucket in AWS (default credentials)
 *
 * Prints one JSON line: the counts of ReconcileReport, and partialObjectsRemoved (DATA_DIR's object store).
 */
import { Command } from 'commander';
import { startLocalServer, type LocalServer } from '../functions/local/server';
import { config } from '../functions/shared/config';
import { type ReconcileReport, reconcile } from '../functions/reconcile/reconcile';
import { createServices, type Services } from '../functions/store/services';
import { join, resolve } from 'node:path';
import { sweepPartialObjects } from '../functions/local/standIns';
import { findLocalServer, findServerFor } from './lib/localServer';
import { servicesAt } from './lib/targetServices';

/** The counts of the pages finished, printed if the run fails part-way. */
let done: ReconcileReport | undefined;

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
    .option('--url <url>', 'the local server whose data to reconcile (default: the one holding DATA_DIR)')
    .parse()
    .opts<Options>();
  if (!Number.isFinite(o.graceMinutes) || o.graceMinutes < 0)
    throw new Error('--grace-minutes: a number ≥ 0');

  let server: LocalServer | undefined;
  let services: Services;
  // Without --url: the server that holds DATA_DIR (found through its lock, never through PORT).
  const dataDir = resolve(config().DATA_DIR);
  const held = o.aws || o.url ? undefined : await findServerFor(dataDir);
  const endpoints = o.aws ? undefined : o.url ? await findLocalServer(o.url) : held?.endpoints;
  if (o.url && !endpoints) throw new Error(`no local server answers at ${o.url}`);
  if (held) console.error(`reconcile: DATA_DIR ${dataDir} is served by process ${held.pid} at ${held.url}`);
  if (o.aws) {
    services = createServices(config());
  } else if (endpoints) {
    services = servicesAt(endpoints);
  } else {
    // No server running: the local data (or DYNAMODB_ENDPOINT/S3_ENDPOINT, as `npm start` would use them).
    server = await startLocalServer({ port: 0 });
    services = server.services;
  }
  try {
    let last = 0;
    const report = await reconcile(services, {
      graceMs: o.graceMinutes * 60_000,
      dryRun: Boolean(o.dryRun),
      onProgress: (r) => {
        done = r;
        // For a log (output not a terminal): the counts so far, at most every 5 s.
        if (process.stdout.isTTY || Date.now() - last < 5000) return;
        last = Date.now();
        console.log(`reconcile: so far ${JSON.stringify(r)}`);
      },
    });
    // Partial objects of the local object store (a crash or a full disk mid-write): never listed, so the
    // pass above cannot see them; removed from DATA_DIR's files, with the same grace period.
    const local = !o.aws && !o.url && !process.env.S3_ENDPOINT;
    const partialObjectsRemoved = local
      ? sweepPartialObjects(join(dataDir, 's3'), {
          minAgeMs: o.graceMinutes * 60_000,
          dryRun: Boolean(o.dryRun),
        })
      : 0;
    console.log(JSON.stringify({ ...report, partialObjectsRemoved }));
  } finally {
    await server?.close();
  }
}

main().catch((err) => {
  console.error('reconcile failed:', err instanceof Error ? err.message : err);
  console.error(
    `reconcile: before that, ${done ? JSON.stringify(done) : 'nothing was done'}; running it again is safe`,
  );
  process.exit(1);
});
