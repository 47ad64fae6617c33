/**
 * Taking a deployment out of service, with its data erased or deliberately kept (docs/deploy.md,
 * "Decommissioning"). Say which; there is no default.
 *
 *   npm run decommission -- --erase --aws --table <EventsTable> --bucket <ImageBucket> [--bucket <more>] --yes
 *   npm run decommission -- --erase                # the local server's data (running at $PORT, or DATA_DIR)
 *   npm run decommission -- --retain               # prints what stays, erases nothing
 *
 * Then, in the cloud: `aws kms schedule-key-deletion --key-id <DataKeyArn> --pending-window-in-days 7`
 * and `npx cdk destroy`.
 */
import { Command } from 'commander';
import { createAwsClients } from '../functions/store/clients';
import { eraseDeployment } from '../functions/store/decommission';
import { config, loadConfig } from '../functions/shared/config';
import { findLocalServer, isLoopbackEndpoint } from './lib/localServer';

interface Options {
  erase?: boolean;
  retain?: boolean;
  aws?: boolean;
  url?: string;
  table?: string;
  bucket: string[];
  yes?: boolean;
}

const RETAINED =
  'Retained on `cdk destroy`: the events table (deletion protection on, point-in-time recovery for its ' +
  'window), the image bucket, the access-log bucket and the KMS key. Events and images keep expiring ' +
  '(DynamoDB TTL, S3 lifecycle) while table and bucket exist, but the erase API is gone with the stack: ' +
  'erase requests must then be carried out by hand, and whoever keeps the data answers for it.';

async function main(): Promise<void> {
  const o = new Command()
    .name('decommission')
    .option('--erase', 'erase every event, image and upload for good')
    .option('--retain', 'erase nothing; print what stays')
    .option('--aws', 'the named table and buckets in AWS (default credentials)')
    .option('--url <url>', 'the local server whose data to erase (default: http://127.0.0.1:$PORT)')
    .option('--table <name>', 'the events table (with --aws)')
    .option(
      '--bucket <name>',
      'a bucket to empty (with --aws; repeat)',
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option('--yes', 'confirm erasing AWS data')
    .parse()
    .opts<Options>();
  if (Boolean(o.erase) === Boolean(o.retain)) throw new Error('say --erase or --retain');
  if (o.retain) {
    console.log(RETAINED);
    return;
  }
  let c = config();
  let local = false;
  if (o.aws) {
    if (!o.table || o.bucket.length === 0) throw new Error('--aws needs --table and at least one --bucket');
    if (!o.yes) throw new Error('erasing AWS data for good: add --yes');
    c = loadConfig({ ...process.env, EVENTS_TABLE: o.table, IMAGE_BUCKET: o.bucket[0] });
  } else {
    const endpoints = await findLocalServer(o.url ?? `http://127.0.0.1:${c.PORT}`);
    if (!endpoints) throw new Error('no local server answers: start it (npm start) or give --url');
    c = loadConfig({
      ...process.env,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      S3_ENDPOINT: endpoints.s3,
      EVENTS_TABLE: endpoints.table,
      IMAGE_BUCKET: endpoints.bucket,
    });
    local = isLoopbackEndpoint(endpoints.s3);
  }
  const clients = createAwsClients(c, { localCredentials: local });
  const buckets = o.aws ? o.bucket : [c.IMAGE_BUCKET];
  console.log(JSON.stringify(await eraseDeployment(clients, { table: c.EVENTS_TABLE, buckets })));
  if (o.aws) {
    console.log(
      'Next: aws kms schedule-key-deletion --key-id <DataKeyArn> --pending-window-in-days 7; npx cdk destroy',
    );
  }
}

main().catch((err) => {
  console.error('decommission failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
