import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { LocalServer } from '../../functions/local/server';
import { startLocalServer } from '../../functions/local/server';
import { backfillHourDirectory } from '../../functions/store/hourDirectoryBackfill';

export const ROOT = resolve(__dirname, '../..');

export interface Child {
  child: ChildProcess;
  /** Exit code, or the signal that ended it ('SIGKILL' after a crash point). */
  exited: Promise<string>;
  stderr: () => string;
  stdout: () => string;
}

/**
 * A script of this repository under tsx in its own process, on `dataDir`, never on a developer's port.
 * `prefix`: a command that execs the rest (its pid stays node's), e.g. one that mounts a small disk first.
 */
export function spawnScript(
  script: string,
  args: string[],
  dataDir: string,
  env: Record<string, string>,
  prefix: string[] = [],
): Child {
  // node itself (tsx as a loader, not its wrapper process): a SIGKILL reaches the process that writes.
  const command = [...prefix, process.execPath, '--import', 'tsx', join(ROOT, script), ...args];
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      DYNAMODB_ENDPOINT: '',
      S3_ENDPOINT: '',
      // The compactor's timer would add writes of its own at unpredictable points: off here.
      COMPACTION_INTERVAL_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(signal ?? String(code))));
  return { child, exited, stderr: () => err, stdout: () => out };
}

/** `npm start` in a child process; its URL once it listens (the marker file it writes). */
export async function startServerChild(
  dataDir: string,
  env: Record<string, string> = {},
  prefix: string[] = [],
): Promise<Child & { url: string }> {
  const marker = join(dataDir, 'local-server.json');
  rmSync(marker, { force: true }); // a killed server leaves its marker
  const c = spawnScript('functions/local/server.ts', [], dataDir, env, prefix);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (c.child.exitCode !== null || c.child.signalCode !== null)
      throw new Error(`server exited early: ${c.stderr()}`);
    if (existsSync(marker)) {
      try {
        return { ...c, url: (JSON.parse(readFileSync(marker, 'utf8')) as { url: string }).url };
      } catch {
        // caught mid-write
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  c.child.kill('SIGKILL');
  throw new Error('server did not start');
}

/**
 * The same data, opened again in this process (the restart after a crash), as `npm start` opens it: with
 * the hour directory's one-time backfill done, so a server child started on it later writes nothing at
 * startup (its writes are the operation's only).
 */
export async function reopen(dataDir: string): Promise<LocalServer> {
  const s = await startLocalServer({
    port: 0,
    dataDir,
    env: { DYNAMODB_ENDPOINT: '', S3_ENDPOINT: '', COMPACTION_INTERVAL_SECONDS: '0' },
  });
  await backfillHourDirectory(s.services.clients.dynamo, s.config.EVENTS_TABLE);
  return s;
}

/** A fresh DATA_DIR made ready (table, bucket, backfill marker) so a crash child's writes are its operation's. */
export const prepare = async (dataDir: string): Promise<void> => (await reopen(dataDir)).close();

export interface Audit {
  /** event id → times of its records */
  records: Map<string, number[]>;
  pointers: Map<string, number>;
  intents: Map<string, number>;
  images: string[];
  /**
   * What breaks the invariants: a record neither its pointer nor its intent names; an id twice; a record
   * whose hour (and shard) the hour directory does not list.
   */
  problems: string[];
}

/**
 * Everything in the store, read directly (a full table scan and a listing), and the invariants of
 * docs/store.md "Crashes": every record is at the time its pointer or its intent names (so DELETE and
 * reconcile reach it), no event id has two records, and every record's hour and shard are listed in the
 * hour directory (so a search reaches it).
 */
export async function audit(server: Pick<LocalServer, 'services' | 'config'>): Promise<Audit> {
  const { dynamo } = server.services.clients;
  const items: Array<Record<string, AttributeValue>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const r = await dynamo.send(
      new ScanCommand({
        TableName: server.config.EVENTS_TABLE,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  const a: Audit = { records: new Map(), pointers: new Map(), intents: new Map(), images: [], problems: [] };
  // The hour directory's shards per hour (`yyyyMMddHH#shard`): a record's hour must be listed (docs/store.md).
  const listed = new Set<string>();
  for (const i of items) {
    if (i.pk.S?.startsWith('HV#')) for (const shard of i.s?.NS ?? []) listed.add(`${i.sk.S}#${shard}`);
  }
  for (const i of items) {
    const pk = i.pk.S ?? '';
    const sk = i.sk.S ?? '';
    if (pk.startsWith('EV#')) {
      if (!listed.has(pk.slice(3))) a.problems.push(`${pk}: hour or shard not in the hour directory`);
      const id = sk.slice(14);
      a.records.set(id, [...(a.records.get(id) ?? []), Number(sk.slice(0, 13))]);
    } else if (pk.startsWith('EVENT#')) a.pointers.set(pk.slice(6), Math.floor(Number(i.ts.N)));
    else if (pk.startsWith('INTENT#')) a.intents.set(sk, Math.floor(Number(i.ts?.N)));
  }
  for (const [id, times] of a.records) {
    if (times.length > 1) a.problems.push(`${id}: ${times.length} records`);
    for (const t of times) {
      if (a.pointers.get(id) !== t && a.intents.get(id) !== t)
        a.problems.push(`${id}@${t}: record without pointer or intent`);
    }
  }
  for await (const page of server.services.images.list()) a.images.push(...page.map((p) => p.imageId));
  return a;
}
