/**
 * Loads history into the local store through the running server's ingest API (or a server started for
 * the occasion on the same DATA_DIR): `npm run seed -- <folder>` with photos laid out as
 * <identity>/<image>, `--synthetic N` for random-embedding events, `npm run seed:demo` for the demo set.
 */
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { getFaceEngine } from '../functions/face';
import { startLocalServer, type LocalServer } from '../functions/local/server';
import { config } from '../functions/shared/config';
import { createAwsClients } from '../functions/store/clients';
import { DynamoEventStore } from '../functions/store/dynamoEventStore';
import { randomUnit, syntheticEvent } from './seed/synthetic';
import { findLocalServer, findServerFor, isLoopbackEndpoint, type LocalEndpoints } from './lib/localServer';
import { displayName } from './lib/displayName';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const DEMO_PHOTOS = resolve(__dirname, '../build/fixtures/photos');

interface Options {
  hours: number;
  devices: number;
  synthetic: number;
  url?: string;
  concurrency: number;
  demo?: boolean;
}

/** One event to post: a photo, optionally one face of it. */
interface Planned {
  file: string;
  identity: string;
  box?: number[];
  key: string;
}

function photosOf(folder: string): Planned[] {
  const out: Planned[] = [];
  for (const identity of readdirSync(folder).sort()) {
    const dir = join(folder, identity);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!IMAGE_EXT.has(extname(f).toLowerCase())) continue;
      const file = join(dir, f);
      // The folder is the person; the stored name is how people write it (Vladimir_Putin → Vladimir Putin).
      out.push({ file, identity: displayName(identity), key: relative(folder, file) });
    }
  }
  return out;
}

/** Each face of the group photos, three times (different hours and cameras), named sampleN-faceK. */
async function demoPlan(): Promise<Planned[]> {
  const engine = getFaceEngine();
  const out: Planned[] = [];
  for (const f of readdirSync(DEMO_PHOTOS)
    .filter((f) => IMAGE_EXT.has(extname(f)))
    .sort()) {
    const file = join(DEMO_PHOTOS, f);
    const { faces } = await engine.detectAll(readFileSync(file));
    faces.forEach((face, k) => {
      for (let r = 0; r < 3; r++) {
        out.push({
          file,
          identity: `${basename(f, extname(f))}-face${k + 1}`,
          box: face.box,
          key: `${f}#${k}#${r}`,
        });
      }
    });
  }
  return out;
}

/** What this run has done so far: printed as progress, and on failure (a killed server, a full disk). */
const tally = { created: 0, skipped: 0, failed: 0, synthetic: 0 };
const tallyLine = () =>
  `${tally.created} events stored, ${tally.skipped} already there (skipped), ${tally.failed} failed` +
  (tally.synthetic ? `, ${tally.synthetic} synthetic written` : '');

/**
 * Progress for a log (output not a terminal, where the bar prints nothing): a line at most every 5 s,
 * and one at the end.
 */
function logProgress(what: string, done: number, total: number, force = false): void {
  if (process.stdout.isTTY) return;
  const now = Date.now();
  if (!force && now - lastProgress < 5000) return;
  lastProgress = now;
  console.log(`seed: ${what} ${done}/${total}: ${tallyLine()}`);
}
let lastProgress = 0;

const idFor = (key: string) => `seed-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

async function postEvents(
  url: string,
  plan: Planned[],
  o: Options,
): Promise<{ created: number; failed: number }> {
  const now = Date.now();
  const span = o.hours * 3_600_000;
  const bar = new SingleBar(
    { format: 'photos {bar} {value}/{total} ({eta}s left) {status}' },
    Presets.shades_classic,
  );
  if (process.stdout.isTTY) bar.start(plan.length, 0, { status: '' });
  console.log(`seed: ${plan.length} photos to post to ${url}`);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      const p = plan[i];
      const device = (i % o.devices) + 1;
      const body = {
        event_id: idFor(p.key),
        face_image_base64: readFileSync(p.file).toString('base64'),
        face_box: p.box,
        // Spread evenly over the span, newest last, with a little jitter.
        timestamp: Math.round(now - span + ((i + 0.5) / plan.length) * span + (Math.random() - 0.5) * 60_000),
        identity_name: p.identity,
        user_type: 'employee',
        media_device_info: {
          media_device_id: `cam-${device}`,
          media_device_name: `Camera ${device}`,
          media_device_ip: `10.0.0.${device}`,
          media_device_type: 'photo',
        },
      };
      const res = await fetch(`${url}/sophon/v2/face/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const out = (await res.json()) as { status?: string; error?: { code: string } };
      if (res.ok && out.status === 'created') tally.created++;
      else if (res.ok) tally.skipped++;
      else {
        tally.failed++;
        const why = `${basename(p.file)}: ${out.error?.code}`;
        if (process.stdout.isTTY) bar.update({ status: why });
        else console.log(`seed: ${why}`);
      }
      if (process.stdout.isTTY) bar.increment();
      logProgress('photos', ++done, plan.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    bar.stop();
  }
  logProgress('photos', done, plan.length, true);
  return { created: tally.created, failed: tally.failed };
}

async function writeSynthetic(endpoints: LocalEndpoints, n: number, o: Options): Promise<void> {
  const c = config();
  const local = isLoopbackEndpoint(endpoints.dynamodb);
  const { dynamo } = createAwsClients(
    { ...c, DYNAMODB_ENDPOINT: endpoints.dynamodb },
    { localCredentials: local },
  );
  const store = new DynamoEventStore(dynamo, {
    table: endpoints.table,
    shards: c.BUCKET_SHARDS,
    retentionDays: c.RETENTION_DAYS,
  });
  const bar = new SingleBar(
    { format: 'synthetic {bar} {value}/{total} ({eta}s left)' },
    Presets.shades_classic,
  );
  if (process.stdout.isTTY) bar.start(n, 0);
  const now = Date.now();
  const span = o.hours * 3_600_000;
  for (let done = 0; done < n;) {
    const batch = Array.from({ length: Math.min(1000, n - done) }, () =>
      syntheticEvent(
        Math.floor(now - Math.random() * span),
        `cam-${1 + Math.floor(Math.random() * o.devices)}`,
        randomUnit(),
      ),
    );
    // With pointers (written before the records): every event a search can return can be deleted by id.
    await store.putMany(batch);
    done += batch.length;
    tally.synthetic = done;
    bar.update(done);
    logProgress('synthetic', done, n);
  }
  bar.stop();
  logProgress('synthetic', n, n, true);
}

async function main(): Promise<void> {
  const program = new Command()
    .name('seed')
    .argument('[folder]', 'photos laid out as <identity>/<image>')
    .option('--hours <n>', 'spread events over the last n hours', Number, 24)
    .option('--devices <n>', 'number of cameras to spread events over', Number, 4)
    .option('--synthetic <n>', 'also write n events with random embeddings', Number, 0)
    .option('--concurrency <n>', 'parallel ingest requests', Number, 2)
    .option('--url <url>', 'the server to seed (default: the one holding DATA_DIR, else one started here)')
    .option('--demo', 'the demo set: every face of build/fixtures/photos, plus 5,000 synthetic events')
    .parse();
  const o = program.opts<Options>();
  const folder = program.args[0];
  if (!folder && !o.demo && !o.synthetic) program.help({ error: true });

  // Without --url: the server that holds DATA_DIR (its lock says where it listens), else one started here.
  const dataDir = resolve(config().DATA_DIR);
  const held = o.url ? undefined : await findServerFor(dataDir);
  const url = o.url ?? held?.url;
  let server: LocalServer | undefined;
  let endpoints = url ? await findLocalServer(url) : undefined;
  if (o.url && !endpoints) throw new Error(`no local server answers at ${o.url}`);
  let target = url ?? '';
  if (held) console.log(`seed: DATA_DIR ${dataDir} is served by process ${held.pid} at ${held.url}`);
  if (!endpoints) {
    console.log(`seed: no server holds ${dataDir}: starting one for the seeding.`);
    server = await startLocalServer({ port: 0 });
    endpoints = server.endpoints;
    target = server.url;
  }
  try {
    const plan = o.demo ? await demoPlan() : folder ? photosOf(resolve(folder)) : [];
    if (plan.length > 0) {
      const { created, failed } = await postEvents(target, plan, o);
      console.log(
        `${created} events created, ${plan.length - created - failed} already there, ${failed} rejected`,
      );
    }
    const synthetic = o.synthetic || (o.demo ? 5000 : 0);
    if (synthetic > 0) await writeSynthetic(endpoints, synthetic, o);
    if (o.demo) {
      console.log('Try a search:');
      console.log(
        `  { printf '{"face_image_base64":"'; base64 -w0 build/fixtures/photos/sample1.jpg; printf '"}'; } | curl -s -X POST ${url ?? `http://127.0.0.1:${config().PORT}`}/sophon/v2/face/searchbyimage -H 'Content-Type: application/json' --data-binary @-`,
      );
    }
  } finally {
    await server?.close();
  }
}

main().catch((err) => {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = err instanceof Error ? err.message : String(err);
  console.error(`seed failed: ${why}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
  console.error(
    `seed: before that, ${tallyLine()}; a re-run posts everything again (stored events are skipped)`,
  );
  process.exit(1);
});
