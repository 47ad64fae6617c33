import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/** Kept under its old name for the callers that set up stand-ins and their table together. */
export { ensureEventsTable as ensureTable } from '../store/eventsTable';

export interface StandIns {
  /** '' when DynamoDB was not asked for (another endpoint serves it). */
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/** What s3rver (patched, scripts/patch-s3rver.mjs) writes before renaming into place: `<file>.<pid>.<hex>.tmp`. */
const PARTIAL = /\.\d+\.[0-9a-f]{8}\.tmp$/;
const OBJECT = '._S3rver_object';
const METADATA = '._S3rver_metadata.json';

/**
 * Removes the partial objects a killed process or a full disk left under the object store, never listed
 * or served (the listing and the image endpoint answer as if they were absent): the patched s3rver's
 * temporary files (only a rename makes an object visible), and an older s3rver's torn objects, whose
 * metadata file is empty or missing. Only files untouched for `minAgeMs` (a write in flight is younger);
 * with `dryRun`, counts only. Returns how many objects. Run at start (no other process holds the data)
 * and by `npm run reconcile` (with its grace period).
 */
export function sweepPartialObjects(
  s3Dir: string,
  opts: { minAgeMs?: number; dryRun?: boolean } = {},
): number {
  const cutoff = Date.now() - (opts.minAgeMs ?? 0);
  const old = (path: string) => {
    try {
      return statSync(path).mtimeMs <= cutoff;
    } catch {
      return false; // gone meanwhile
    }
  };
  const remove = (paths: string[]) => {
    if (!opts.dryRun) for (const p of paths) rmSync(p, { force: true });
  };
  let removed = 0;
  for (const entry of readdirSync(s3Dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    // parentPath from Node 20.12; path before it.
    const parent =
      (entry as { parentPath?: string }).parentPath ?? (entry as { path?: string }).path ?? s3Dir;
    const path = join(parent, entry.name);
    if (PARTIAL.test(entry.name)) {
      if (!old(path)) continue;
      remove([path]);
      removed++;
    } else if (entry.name.endsWith(OBJECT)) {
      const meta = path.slice(0, -OBJECT.length) + METADATA;
      let torn: boolean;
      try {
        torn = statSync(meta).size === 0;
      } catch {
        torn = true;
      }
      if (!torn || !old(path)) continue;
      remove([path, `${path}.md5`, meta]); // the .md5 s3rver keeps beside an object, if any
      removed++;
    }
  }
  return removed;
}

/** Free bytes for an unprivileged writer on the filesystem of `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * dynalite (DynamoDB) and s3rver (S3) in this process, on free loopback ports, persisted under dataDir
 * (dynamodb/ unless `inMemory`, and s3/). They speak the real wire protocols, so the service reaches them through the
 * same SDK clients it uses in the cloud. `dynamodb: false` starts s3rver only.
 */
export async function startStandIns(
  dataDir: string,
  bucket: string,
  opts: { dynamodb?: boolean; inMemory?: boolean } = {},
): Promise<StandIns> {
  const dynamoDir = join(dataDir, 'dynamodb');
  const s3Dir = join(dataDir, 's3');
  mkdirSync(s3Dir, { recursive: true });
  sweepPartialObjects(s3Dir);

  let dynamo: Server | undefined;
  if (opts.dynamodb !== false) {
    if (!opts.inMemory) mkdirSync(dynamoDir, { recursive: true });
    // Without a path dynalite keeps its tables in memory (memory-level).
    const path = opts.inMemory ? {} : { path: dynamoDir };
    const server: Server = dynalite({ ...path, createTableMs: 0, deleteTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    dynamo = server;
  }
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  // `silent` reaches only s3rver's console transport; close() removes the transports, and a request
  // still in flight then makes winston complain about having none. The logger itself stays quiet.
  (s3 as unknown as { logger: { silent: boolean } }).logger.silent = true;
  let s3Address: AddressInfo;
  try {
    s3Address = await s3.run();
  } catch (err) {
    await new Promise((r) => (dynamo ? dynamo.close(r) : r(undefined)));
    throw err;
  }
  return {
    dynamodbEndpoint: dynamo ? `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}` : '',
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    close: async () => {
      // Keep-alive sockets of the SDK clients would hold close() open.
      s3.httpServer?.closeAllConnections();
      const closingS3 = s3.close();
      const closingDynamo = new Promise((r) => (dynamo ? dynamo.close(r) : r(undefined)));
      dynamo?.closeAllConnections();
      await Promise.all([closingS3, closingDynamo]);
    },
  };
}
