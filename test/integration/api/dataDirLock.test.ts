/**
 * One store, one server (issue 14): a lock in DATA_DIR names its holder; a second server on it is
 * refused with the holder's pid and URL (it used to die on "Database is closed"); seed and reconcile
 * find the holder through the lock, never through PORT, so they never act on another store.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataDirLockedError, lockPath } from '../../../functions/local/dataDirLock';
import { type LocalServer, startLocalServer } from '../../../functions/local/server';
import { findServerFor } from '../../../scripts/lib/localServer';

const ROOT = resolve(__dirname, '../../..');
const dirs: string[] = [];
const servers: LocalServer[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sfs-lock-'));
  dirs.push(d);
  return d;
};
const start = async (dataDir: string) => {
  const s = await startLocalServer({ port: 0, dataDir, env: { DYNAMODB_ENDPOINT: '', S3_ENDPOINT: '' } });
  servers.push(s);
  return s;
};

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it('a second server on a held DATA_DIR is refused, naming the holder; the lock goes with the server', async () => {
  const dir = newDir();
  const first = await start(dir);
  const second = startLocalServer({ port: 0, dataDir: dir, env: { DYNAMODB_ENDPOINT: '', S3_ENDPOINT: '' } });
  await expect(second).rejects.toThrow(DataDirLockedError);
  await expect(second).rejects.toThrow(`in use by process ${process.pid} (the local server at ${first.url})`);
  expect(await findServerFor(dir)).toMatchObject({ url: first.url, pid: process.pid });
  await first.close();
  expect(await findServerFor(dir)).toBeUndefined();
});

it('a lock left by a killed process is taken over', async () => {
  const dir = newDir();
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(lockPath(dir), JSON.stringify({ pid: gone, url: 'http://127.0.0.1:9', startedAt: '' }));
  expect(await findServerFor(dir)).toBeUndefined();
  const s = await start(dir);
  expect(await findServerFor(dir)).toMatchObject({ url: s.url });
});

it('reconcile acts on the store of its DATA_DIR, not on the server at PORT', async () => {
  const mine = await start(newDir());
  const other = await start(newDir());
  await other.services.images.put('x.face', Buffer.from([0xff, 0xd8]), 'image/jpeg', { eventTimestampMs: 1 });
  // A partial object a crash left in this store two hours ago: reconcile counts it (a dry run removes nothing).
  const partial = join(mine.config.DATA_DIR, 's3', 'half.face._S3rver_object.4242.0a1b2c3d.tmp');
  writeFileSync(partial, 'x');
  utimesSync(partial, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
  // Not spawnSync: the servers answer from this process's event loop.
  const run = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/reconcile.ts', '--dry-run'],
    {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: mine.config.DATA_DIR, PORT: String(other.port), LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    },
  );
  expect(run.stderr).toContain(`served by process ${process.pid} at ${mine.url}`);
  expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toMatchObject({
    imagesListed: 0,
    dryRun: true,
    partialObjectsRemoved: 1,
  });
  expect(existsSync(partial)).toBe(true);
});
